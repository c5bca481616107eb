"""`tkctl history --cluster --follow`: print each new revision of the log as it is written.

The revisions endpoint is polled for what came after the last revision printed
(`sinceRevision`), every half second: the log is one append-only table, so
"after N" misses nothing and repeats nothing, even across a dropped request.
Ctrl-C ends it (the command's signal handler).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from cli.history.blocks import log_line
from objects.revisions import Revision

POLL_SECONDS = 0.5


def follow(newer: Callable[[int], list[Revision]], *, after: int, write: Callable[[str], None],
           stop: threading.Event | None = None, interval: float = POLL_SECONDS) -> None:
    """Print a log line for every revision after `after`, as they come, until `stop` is set."""
    stop = stop or threading.Event()
    while not stop.is_set():
        for revision in newer(after):
            write(log_line(revision))
            after = revision.revision
        stop.wait(interval)
