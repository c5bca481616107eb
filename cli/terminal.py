"""The local terminal during `exec -it`: raw mode while the remote shell owns it, and its size.

In raw mode every key goes to the remote side as typed (Ctrl-C included, so
it interrupts the remote command, not tkctl); the settings are restored on the
way out, whatever happened.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import termios
import tty
from collections.abc import Callable, Iterator
from typing import TextIO


def is_terminal(stream: TextIO) -> bool:
    try:
        return os.isatty(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False


@contextlib.contextmanager
def raw_mode(stream: TextIO = sys.stdin) -> Iterator[None]:
    fd = stream.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def size(stream: TextIO = sys.stdout) -> tuple[int, int] | None:
    """(width, height) in characters, or None when the stream is not a terminal."""
    for candidate in (stream, sys.stdin):
        try:
            columns, lines = os.get_terminal_size(candidate.fileno())
            return columns, lines
        except (AttributeError, OSError, ValueError):
            continue
    return None


@contextlib.contextmanager
def on_resize(callback: Callable[[], None]) -> Iterator[None]:
    """Call `callback` (in the main thread) whenever the window changes size (SIGWINCH)."""
    previous = signal.signal(signal.SIGWINCH, lambda _signum, _frame: callback())
    try:
        yield
    finally:
        signal.signal(signal.SIGWINCH, previous)
