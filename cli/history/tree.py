"""`tkctl trace`'s causal tree: each write under the write it reacted to, one hop per line.

    trace of deployment.apps/web in default, writes since 11:00:00.000

    12:00:00.000  kubectl  patch deployments.apps/web  spec.replicas 3 -> 6
    └─ +12 ms  controller/deployment  update replicasets.apps/web-7d4  spec.replicas 3 -> 6
       ├─ +8 ms  controller/replicaset  create pods/web-7d4-x2  created
       │  └─ +3 ms  scheduler  bind pods/web-7d4-x2  bound to node-2  (tkctl why pod/web-7d4-x2)
       │     └─ +412 ms  kubelet/node-2  update status pods/web-7d4-x2  Running  # sandbox 12 ms, ...
       └─ +9 ms  controller/replicaset  create pods/web-7d4-k9  created
    5 writes, 0.43 s from the first to the last (12:00:00.000 -> 12:00:00.431)

A root (a person's command, a timer, a write whose cause is no longer kept)
shows its time; every other hop shows how long after its cause it was written.
A row written before the log kept provenance (a migrated database) has no
time: its hop shows `?` or `+? ms`, and the footer counts only timed hops.
"""

from __future__ import annotations

from collections.abc import Iterator

from cli.history.changes import actor, verb
from cli.why.times import clock_time
from objects.meta import parse_time
from objects.revisions import Trace, TraceHop

BRANCH, LAST_BRANCH, STEM, GAP = "├─ ", "└─ ", "│  ", "   "
BINDING_VERBS = ("bind",)
UNKNOWN = "?"  # a time or latency the log does not have


def render_trace(trace: Trace, *, namespace: str | None = None) -> str:
    """The whole answer: a heading, then each root's tree and its footer; `namespace` is the one
    the user is in, so `(tkctl why ...)` hints name another only when they must."""
    parts = [_heading(trace) + "\n"]
    if not trace.roots:
        parts.append("no write to it is kept in that time\n")
    for root in sorted(trace.roots, key=lambda hop: hop.revision):
        lines = [_hop_text(root, parent=None, namespace=namespace)]
        lines.extend(_children_lines(root, prefix="", namespace=namespace))
        lines.append(_footer(root))
        parts.append("\n".join(lines) + "\n")
    if trace.truncated:
        parts.append("(the tree was cut at the server's size limit: a shorter --since shows all of it)\n")
    return "\n".join(parts)


def _heading(trace: Trace) -> str:
    subject = trace.subject
    kind = subject.get("kind", "?").lower()
    group = subject.get("apiVersion", "").rpartition("/")[0]
    where = f" in {subject['namespace']}" if subject.get("namespace") else ""
    since = f", writes since {clock_time(trace.since)}" if trace.since else ""
    return f"trace of {kind}{'.' + group if group else ''}/{subject.get('name', '?')}{where}{since}"


def _children_lines(hop: TraceHop, *, prefix: str, namespace: str | None) -> Iterator[str]:
    children = sorted(hop.children, key=lambda child: child.revision)
    for index, child in enumerate(children):
        last = index == len(children) - 1
        yield prefix + (LAST_BRANCH if last else BRANCH) + _hop_text(child, parent=hop, namespace=namespace)
        yield from _children_lines(child, prefix=prefix + (GAP if last else STEM), namespace=namespace)


def _hop_text(hop: TraceHop, *, parent: TraceHop | None, namespace: str | None) -> str:
    when = _clock(hop) if parent is None else f"+{_latency_text(hop, parent)}"
    cells = [when, actor(hop.provenance), f"{verb(hop.provenance)} {hop.resource}/{hop.name}", hop.summary]
    if _is_binding(hop):
        where = f" -n {hop.namespace}" if hop.namespace and hop.namespace != namespace else ""
        cells.append(f"(tkctl why pod/{hop.name}{where})")
    if hop.provenance.note:
        cells.append(f"# {hop.provenance.note}")
    return "  ".join(cell for cell in cells if cell)


def _is_binding(hop: TraceHop) -> bool:
    provenance = hop.provenance
    return hop.resource == "pods" and (provenance.subresource == "binding" or provenance.verb in BINDING_VERBS)


def _clock(hop: TraceHop) -> str:
    return clock_time(hop.time) if parse_time(hop.time) else UNKNOWN


def _latency_text(hop: TraceHop, parent: TraceHop) -> str:
    if hop.latency_milliseconds is not None:
        return span(hop.latency_milliseconds)
    hop_at, parent_at = parse_time(hop.time), parse_time(parent.time)
    if hop_at is None or parent_at is None:
        return f"{UNKNOWN} ms"
    return span((hop_at - parent_at).total_seconds() * 1000)


def _footer(root: TraceHop) -> str:
    """How many writes, and the span from the first to the last of those that have a time."""
    hops = list(_every_hop(root))
    writes = "1 write" if len(hops) == 1 else f"{len(hops)} writes"
    timed = sorted(((moment, hop) for hop in hops if (moment := parse_time(hop.time)) is not None),
                   key=lambda pair: pair[0])
    if not timed:
        return f"{writes}, none with a time (written before the log kept times)"
    (first_at, first), (last_at, last) = timed[0], timed[-1]
    untimed = len(hops) - len(timed)
    return (f"{writes}, {span((last_at - first_at).total_seconds() * 1000)} from the first to the last "
            f"({clock_time(first.time)} -> {clock_time(last.time)})"
            + (f", {untimed} without a time" if untimed else ""))


def _every_hop(hop: TraceHop) -> Iterator[TraceHop]:
    yield hop
    for child in hop.children:
        yield from _every_hop(child)


def span(milliseconds: float) -> str:
    """`12 ms` under a second, `1.23 s` above: the scale a learner compares hops at."""
    if milliseconds < 1000:
        return f"{milliseconds:.0f} ms"
    return f"{milliseconds / 1000:.2f} s"
