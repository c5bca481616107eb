"""`tkctl history --cluster --follow`: print each new revision of the log as it is written.

The revisions endpoint is polled for what came after the last revision printed
(`sinceRevision`), every half second: the log is one append-only table, so
"after N" misses nothing and repeats nothing, even across a dropped request.
A poll that fails (the master restarting, unreachable, a 5xx) is said once on
stderr and asked again, from the same revision, at the next poll; the log
survives a restart, so following picks up where it was. Ctrl-C ends it (the
command's signal handler).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from apiclient import ApiClientError
from cli.errors import message_for
from cli.history.blocks import log_line
from objects.revisions import Revision

POLL_SECONDS = 0.5


def follow(newer: Callable[[int], list[Revision]], *, after: int, write: Callable[[str], None],
           warn: Callable[[str], None], stop: threading.Event | None = None,
           interval: float = POLL_SECONDS) -> None:
    """Print a log line for every revision after `after`, as they come, until `stop` is set. `warn`
    hears, once per outage, that the server stopped answering, and once that it answers again."""
    stop = stop or threading.Event()
    failing = False
    while not stop.is_set():
        try:
            revisions = newer(after)
        except ApiClientError as error:
            if not failing:
                warn(f"{message_for(error)}\n(still following: asking again for revisions after {after})\n")
            failing = True
        else:
            if failing:
                warn("(the server answers again: following on)\n")
            failing = False
            for revision in revisions:
                write(log_line(revision))
                after = revision.revision
        stop.wait(interval)
