"""`tkctl trace`'s tree, rendered from a hand-made Trace (pure functions, no server)."""

from __future__ import annotations

from cli.history.tree import render_trace, span
from objects.revisions import Provenance, Trace, TraceHop


def hop(revision: int, at: str, component: str, verb: str, resource: str, name: str, summary: str, *,
        latency: float | None = None, children: list[TraceHop] | None = None, **provenance) -> TraceHop:
    return TraceHop(revision=revision, time=f"2026-12-05T12:00:{at}Z", type="MODIFIED", resource=resource,
                    namespace="default", name=name, summary=summary, latency_milliseconds=latency,
                    provenance=Provenance(component=component, verb=verb, **provenance), children=children or [])


RUNNING = hop(5, "00.431", "kubelet/node-2", "update", "pods", "web-7d4-x2", "Running", latency=412,
              subresource="status", note="sandbox 12 ms, pull 0 ms")
BOUND = hop(4, "00.019", "scheduler", "bind", "pods", "web-7d4-x2", "bound to node-2", latency=3,
            subresource="binding", children=[RUNNING])
SCALE = Trace(subject={"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": "default"},
              since="2026-12-05T11:00:00.000Z", roots=[
                  hop(1, "00.000", "kubectl", "patch", "deployments.apps", "web", "spec.replicas 3 -> 6", children=[
                      hop(2, "00.012", "controller/deployment", "update", "replicasets.apps", "web-7d4",
                          "spec.replicas 3 -> 6", latency=12, children=[
                              hop(3, "00.016", "controller/replicaset", "create", "pods", "web-7d4-x2", "created",
                                  latency=4, children=[BOUND]),
                              hop(6, "00.021", "controller/replicaset", "create", "pods", "web-7d4-k9", "created",
                                  latency=9)])])])


def test_the_tree_hangs_each_write_under_its_cause_with_latency_actor_verb_and_summary():
    assert render_trace(SCALE, namespace="default").splitlines() == [
        "trace of deployment.apps/web in default, writes since 11:00:00.000",
        "",
        "12:00:00.000  kubectl  patch deployments.apps/web  spec.replicas 3 -> 6",
        "└─ +12 ms  controller/deployment  update replicasets.apps/web-7d4  spec.replicas 3 -> 6",
        "   ├─ +4 ms  controller/replicaset  create pods/web-7d4-x2  created",
        "   │  └─ +3 ms  scheduler  bind pods/web-7d4-x2  bound to node-2  (tkctl why pod/web-7d4-x2)",
        "   │     └─ +412 ms  kubelet/node-2  update status pods/web-7d4-x2  Running  # sandbox 12 ms, pull 0 ms",
        "   └─ +9 ms  controller/replicaset  create pods/web-7d4-k9  created",
        "6 writes, 431 ms from the first to the last (12:00:00.000 -> 12:00:00.431)",
    ]


def test_a_why_hint_names_the_namespace_when_it_is_not_the_current_one():
    assert "(tkctl why pod/web-7d4-x2 -n default)" in render_trace(SCALE, namespace="other")


def test_a_hop_without_a_latency_counts_it_from_its_causes_time():
    root = hop(1, "00.000", "kubectl", "create", "pods", "a", "created",
               children=[hop(2, "01.500", "scheduler", "bind", "pods", "a", "bound to node-1")])
    trace = Trace(subject={"apiVersion": "v1", "kind": "Pod", "name": "a"}, roots=[root])
    assert "└─ +1.50 s  scheduler  bind pods/a" in render_trace(trace)


def test_hops_without_a_time_show_a_question_mark_and_the_footer_counts_only_timed_hops():
    """Guards a traceback: rows from before the provenance columns (a migrated database) have time ""."""
    migrated = hop(1, "00.000", "kubectl", "create", "pods", "a", "created")
    root = migrated.model_copy(update={"time": "", "children": [
        hop(2, "00.100", "scheduler", "bind", "pods", "a", "bound to node-1", children=[
            hop(3, "00.350", "kubelet/node-1", "update", "pods", "a", "Running"),
            hop(4, "00.500", "kubelet/node-1", "update", "pods", "a", "Ready").model_copy(update={"time": ""})])]})
    lines = render_trace(Trace(subject={"apiVersion": "v1", "kind": "Pod", "name": "a"}, roots=[root])).splitlines()
    assert lines[2:] == [
        "?  kubectl  create pods/a  created",
        "└─ +? ms  scheduler  bind pods/a  bound to node-1  (tkctl why pod/a -n default)",
        "   ├─ +250 ms  kubelet/node-1  update pods/a  Running",
        "   └─ +? ms  kubelet/node-1  update pods/a  Ready",
        "4 writes, 250 ms from the first to the last (12:00:00.100 -> 12:00:00.350), 2 without a time",
    ]
    alone = Trace(subject={"apiVersion": "v1", "kind": "Pod", "name": "a"},
                  roots=[migrated.model_copy(update={"time": ""})])
    assert render_trace(alone).splitlines()[-1] == "1 write, none with a time (written before the log kept times)"


def test_nothing_kept_and_a_cut_tree_are_said():
    empty = Trace(subject={"apiVersion": "v1", "kind": "Node", "name": "node-2"}, truncated=True)
    text = render_trace(empty)
    assert text.startswith("trace of node/node-2\n")
    assert "no write to it is kept in that time" in text
    assert "cut at the server's size limit" in text


def test_spans_read_in_milliseconds_under_a_second():
    assert (span(0.4), span(999), span(1234)) == ("0 ms", "999 ms", "1.23 s")
