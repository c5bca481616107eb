"""`tkctl why -w`: the page again whenever the answer may have changed, until Ctrl-C.

    watch the subject and what moves it ──> any event ─┐
    a countdown runs out (its owner acts) ─────────────┼──> ask why again ──> show it
    REFRESH_SECONDS without either ────────────────────┘
    every second while a countdown runs (terminal only) ──> show the same answer, ticked down

What moves each subject, watched on daemon threads (ChangeFeed):

    pod         the pod, and its events (a scheduling attempt or a back-off only writes an event)
    node        the node, and the pods bound to it
    deployment  the deployment, its namespace's replica sets and pods
    replicaset  the replica set and its namespace's pods
    daemonset   the daemon set and its namespace's pods
    service     the service, its namespace's pods and endpoint slices

The refresh covers what the kubelet answers live and writes nowhere (a probe's
failure count, a pull attempt). At a terminal the page is redrawn in place; into
a pipe or a file, a page (or the -o document) is written only when the
reasoning changed, never for a tick.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from apiclient import ApiClient, ApiClientError
from cli.encoding import go_yaml, indented_json
from cli.printers import TemplatePrinter
from cli.why.countdowns import Clock
from cli.why.fetch import Answer
from cli.why.page import render_why
from objects.kinds import DEPLOYMENT, ENDPOINT_SLICE, EVENT, NODE, POD, REPLICASET, SERVICE, ResourceType

TICK_SECONDS = 1.0
REFRESH_SECONDS = 2.0
RETRY_SECONDS = 1.0  # after a watch failed to connect


@dataclass(frozen=True)
class Source:
    """One watch: a kind, where, and which of its objects."""

    resource: ResourceType
    namespace: str | None
    field_selector: str = ""


def sources_of(resource: ResourceType, namespace: str | None, name: str) -> list[Source]:
    by_name = f"metadata.name={name}"
    if resource == POD:
        return [Source(POD, namespace, by_name), Source(EVENT, namespace, f"involvedObject.name={name}")]
    if resource == NODE:
        return [Source(NODE, None, by_name), Source(POD, None, f"spec.nodeName={name}")]
    if resource == SERVICE:
        return [Source(SERVICE, namespace, by_name), Source(POD, namespace), Source(ENDPOINT_SLICE, namespace)]
    owned = [Source(REPLICASET, namespace)] if resource == DEPLOYMENT else []
    return [Source(resource, namespace, by_name), *owned, Source(POD, namespace)]


class ChangeFeed:
    """Watches its sources on daemon threads; `wait` says whether any of them changed meanwhile."""

    def __init__(self, client: ApiClient, sources: list[Source]):
        self._client = client
        self._sources = sources
        self._changed = threading.Event()
        self._stop = threading.Event()

    def start(self) -> ChangeFeed:
        for source in self._sources:
            threading.Thread(target=self._follow, args=(source,), name=f"why-watch-{source.resource.plural}",
                             daemon=True).start()
        return self

    def wait(self, timeout: float) -> bool:
        """True when something changed since the last call (the caller asks again after this returns,
        so a change that lands between the two is still in the answer)."""
        if self._changed.wait(timeout):
            self._changed.clear()
            return True
        return False

    def stop(self) -> None:
        self._stop.set()

    def _follow(self, source: Source) -> None:
        while not self._stop.is_set():
            try:
                for _ in self._client.watch(source.resource, source.namespace, field_selector=source.field_selector,
                                            stop=self._stop):
                    self._changed.set()
            except ApiClientError:  # the refresh keeps the page current meanwhile
                self._stop.wait(RETRY_SECONDS)


class Display:
    """Where the pages go: redrawn in place at a terminal, appended on change anywhere else."""

    def __init__(self, out: TextIO, *, printer: str | TemplatePrinter, terminal: bool, height: int | None = None):
        self.out = out
        self.printer = printer  # "" for the page, as `tkctl why` chose it from -o
        self.terminal = terminal
        self.height = height  # the terminal's lines: a taller page would scroll, and the next draw land askew
        self._shown: dict | None = None

    def show(self, answer: Answer) -> None:
        """Called after every answer and every tick."""
        changed = answer.reasoning != self._shown
        if self.printer or not self.terminal:
            if changed:
                self.out.write(self._document(answer, first=self._shown is None))
        else:
            lines = render_why(answer.why, Clock(answer.why, elapsed=time.monotonic() - answer.received)).splitlines()
            if self.height is not None and len(lines) >= self.height:
                lines = lines[:self.height - 2] + [f"... {len(lines) - self.height + 2} more lines: tkctl why "
                                                   "without -w prints the whole page"]
            # home, the page with each line's leftovers erased, then the rest of the old page erased
            self.out.write("\x1b[H" + "".join(f"{line}\x1b[K\n" for line in lines) + "\x1b[J")
        self._shown = answer.reasoning
        self.out.flush()

    def _document(self, answer: Answer, *, first: bool) -> str:
        if self.printer == "json":
            return indented_json(answer.wire)
        if self.printer == "yaml":
            return ("" if first else "---\n") + go_yaml(answer.wire)
        if self.printer:
            return self.printer.render(answer.wire)
        return ("" if first else "\n") + render_why(answer.why, Clock(answer.why))


def watch_why(ask: Callable[[], Answer], feed: ChangeFeed, display: Display) -> None:
    """Show the answer, then ask again whenever it may have changed; returns never (Ctrl-C ends it)."""
    answer = ask()
    display.show(answer)
    while True:
        clock = Clock(answer.why, elapsed=time.monotonic() - answer.received)
        expired = _expired(clock, answer)
        wait = REFRESH_SECONDS - (time.monotonic() - answer.received)
        if clock.running and display.terminal and not display.printer:
            wait = min(wait, TICK_SECONDS)
        if clock.next_due is not None:
            wait = min(wait, clock.next_due)
        changed = feed.wait(max(0.0, wait))
        clock = Clock(answer.why, elapsed=time.monotonic() - answer.received)
        if changed or _expired(clock, answer) > expired or time.monotonic() - answer.received >= REFRESH_SECONDS:
            answer = ask()
        display.show(answer)


def _expired(clock: Clock, answer: Answer) -> int:
    """How many of the answer's timers have run out by now."""
    return sum(1 for c in answer.why.countdowns if clock.seconds_left(c) == 0.0)
