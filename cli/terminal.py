"""The local terminal during `exec -it`: raw mode while the remote shell owns it, and its size.

In raw mode every key goes to the remote side as typed (Ctrl-C included, so
it interrupts the remote command, not tkctl); the settings are restored on the
way out, whatever happened.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import sys
import termios
import threading
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
    """Call `callback` whenever the window changes size (SIGWINCH), on a thread of its own.

    Not in the signal handler itself: that runs on the main thread wherever the signal
    caught it, perhaps inside the websocket's recv with its lock held, and a callback
    that sends on the same websocket would wait for that lock for ever. The handler
    only queues a wake-up; SimpleQueue.put is safe to call there.
    """
    wakeups: queue.SimpleQueue[bool] = queue.SimpleQueue()

    def deliver() -> None:
        while wakeups.get():
            callback()

    threading.Thread(target=deliver, name="resize", daemon=True).start()
    previous = signal.signal(signal.SIGWINCH, lambda _signum, _frame: wakeups.put(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGWINCH, previous)
        wakeups.put(False)
