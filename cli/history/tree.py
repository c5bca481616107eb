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
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from cli.history.changes import actor, verb
from cli.why.times import clock_time
from objects.meta import parse_time
from objects.revisions import Trace, TraceHop

BRANCH, LAST_BRANCH, STEM, GAP = "├─ ", "└─ ", "│  ", "   "
BINDING_VERBS = ("bind",)


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
    when = clock_time(hop.time) if parent is None else f"+{span(_latency(hop, parent))}"
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


def _latency(hop: TraceHop, parent: TraceHop) -> float:
    if hop.latency_milliseconds is not None:
        return hop.latency_milliseconds
    return _milliseconds_between(parent.time, hop.time)


def _footer(root: TraceHop) -> str:
    hops = list(_every_hop(root))
    last = max(hops, key=lambda hop: _moment(hop.time))
    total = _milliseconds_between(root.time, last.time)
    writes = "1 write" if len(hops) == 1 else f"{len(hops)} writes"
    return (f"{writes}, {span(total)} from the first to the last "
            f"({clock_time(root.time)} -> {clock_time(last.time)})")


def _every_hop(hop: TraceHop) -> Iterator[TraceHop]:
    yield hop
    for child in hop.children:
        yield from _every_hop(child)


def span(milliseconds: float) -> str:
    """`12 ms` under a second, `1.23 s` above: the scale a learner compares hops at."""
    if milliseconds < 1000:
        return f"{milliseconds:.0f} ms"
    return f"{milliseconds / 1000:.2f} s"


def _moment(at: str) -> datetime:
    moment = parse_time(at)
    if moment is None:
        raise ValueError(f"not an RFC 3339 time: {at!r}")
    return moment


def _milliseconds_between(earlier: str, later: str) -> float:
    return (_moment(later) - _moment(earlier)).total_seconds() * 1000
