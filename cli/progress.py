"""What a waiting command is waiting for, shown only to a person at a terminal.

`delete --wait`, `drain`, `rollout status` and `replace --force` can wait for
minutes, and kubectl says nothing while they do. tkctl says the same nothing
unless both stdout and stderr are terminals: a pipe, a file or a test sees
exactly kubectl's output. At a terminal, one transient line on stderr, redrawn
by rich about eight times a second, says what the command waits for and how
long it has:

    ⠼ waiting for pod/web to be deleted (12s)

Lines the command prints meanwhile (`pod/web evicted`) go to stdout above it,
and the line vanishes when the wait ends. NO_COLOR (no-color.org) keeps the
line but drops its colour.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator

import click
from rich.console import Console
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from cli.terminal import is_terminal

REFRESHES_PER_SECOND = 8
SPINNER_STYLE = "cyan"


class Waiting:
    """The status line of one wait. Without a terminal, it only passes lines through."""

    def __init__(self, what: str, *, live: Live | None = None):
        self.what = what
        self.started = time.monotonic()
        self._live = live
        self._spinner = Spinner("dots", style=SPINNER_STYLE)

    def update(self, what: str) -> None:
        """Say what the command is waiting for now (fewer objects, a new rollout step)."""
        self.what = what

    def echo(self, line: str) -> None:
        """Print a line of the command's own output to stdout, above the status line."""
        if self._live is None:
            click.echo(line)
            return
        self._live.stop()  # transient: erases the status line, so the output line lands clean
        click.echo(line)
        self._live.start()

    def __rich__(self) -> Spinner:
        """Called by rich at each redraw, so the elapsed time moves on by itself."""
        self._spinner.update(text=Text(f"{self.what} ({int(time.monotonic() - self.started)}s)"))
        return self._spinner


@contextlib.contextmanager
def waiting(what: str) -> Iterator[Waiting]:
    """A status line saying `what` for as long as the block runs, when a person is watching."""
    if not (is_terminal(sys.stdout) and is_terminal(sys.stderr)):
        yield Waiting(what)
        return
    console = Console(file=sys.stderr, no_color=os.environ.get("NO_COLOR", "") != "")
    live = Live(console=console, transient=True, refresh_per_second=REFRESHES_PER_SECOND, redirect_stdout=False,
                redirect_stderr=False)
    shown = Waiting(what, live=live)
    live.update(shown)
    live.start()
    try:
        yield shown
    finally:
        live.stop()


def names(references: list[str], *, shown: int = 3) -> str:
    """`pod/a, pod/b, pod/c and 2 more`: what a status line can hold."""
    listed = ", ".join(references[:shown])
    more = len(references) - shown
    return f"{listed} and {more} more" if more > 0 else listed
