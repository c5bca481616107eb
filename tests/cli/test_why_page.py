"""The page of `tkctl why`, rendered from hand-made Why models (pure functions, no server).

Each test builds only the section it checks and asserts the lines a reader
relies on, not the whole page.
"""

from __future__ import annotations

from cli.why.countdowns import Clock
from cli.why.page import render_why
from objects.explanation import Attempt, NodeRejection, NodeScore, ObjectRef, PluginWeight, SchedulingExplanation, \
    Suggestion
from objects.why import (ContainerReport, Countdown, DaemonNodeReport, DaemonSetReport, KubeletPodReport,
                         NodeHealthReport, PlacementComparison, PluginComparison, PodEviction, ProbeReport,
                         ReplicaSetReport, RolloutReport, TaintReport, TerminationReport, Why)

ANSWERED = "2026-12-05T12:00:10.000Z"
LATER = "2026-12-05T12:00:22.300Z"
POD = ObjectRef(api_version="v1", kind="Pod", name="web-1", namespace="default")


def why(**parts) -> Why:
    fields = {"subject": POD, "state": "Pending", "summary": "", "generated_at": ANSWERED, **parts}
    return Why(**fields)


def page(answer: Why, *, elapsed: float = 0.0) -> list[str]:
    return render_why(answer, Clock(answer, elapsed=elapsed)).splitlines()


def said(lines: list[str]) -> list[str]:
    """The lines with their alignment squeezed out, for asserts about what a line says."""
    return [" ".join(line.split()) for line in lines]


def countdown(name: str, message: str, left: float | None, owner: str = "kubelet/node-1") -> Countdown:
    return Countdown(name=name, message=message, at=LATER, owner=owner, seconds_left=left)


def listed(countdowns: list[Countdown]) -> list[Countdown]:
    """Why.countdowns as the server fills it: every section's, soonest first."""
    return sorted(countdowns, key=lambda c: c.seconds_left or 0.0)


def test_the_first_line_is_the_subject_its_state_and_the_summary():
    lines = page(why(state="Pending", summary="Unschedulable: 0/3 nodes are available: 3 Insufficient cpu."))
    assert lines[0] == "pod/web-1 is Pending: Unschedulable: 0/3 nodes are available: 3 Insufficient cpu."
    assert lines[1:3] == ["Namespace:  default", "Answered:   12:00:10.000"]


def unschedulable() -> SchedulingExplanation:
    return SchedulingExplanation(
        attempt_time="2026-12-05T12:00:09.250Z", result="Unschedulable", nodes_total=3, nodes_evaluated=3,
        message="0/3 nodes are available: 2 Insufficient cpu, 1 node(s) had untolerated taint {gpu: true}.",
        scorers=[PluginWeight(name="TaintToleration", weight=3), PluginWeight(name="NodeResourcesFit", weight=1)],
        rejected=[NodeRejection(node="node-1", plugin="NodeResourcesFit", reason="Insufficient cpu",
                                detail="requested 3 cpu, free 1800m"),
                  NodeRejection(node="node-3", plugin="TaintToleration", reason="untolerated taint",
                                detail="gpu=true:NoSchedule")],
        attempts=[Attempt(time="2026-12-05T12:00:01.000Z", result="Unschedulable", message="0/3 nodes are available"),
                  Attempt(time="2026-12-05T12:00:09.250Z", result="Unschedulable", message="0/3 nodes are available",
                          requeued_by="Node node-2 updated")],
        suggestions=[
            Suggestion(type="LowerRequests", message="lower the cpu request of container app to 1800m",
                       target=ObjectRef(api_version="apps/v1", kind="Deployment", name="web", namespace="default"),
                       patch={"spec": {"template": {"spec": {"containers": [
                           {"name": "app", "resources": {"requests": {"cpu": "1800m"}}}]}}}},
                       command="kubectl patch deployment web -n default -p '{...}'", nodes=["node-1", "node-2"]),
            Suggestion(type="RemovePods", message="remove 2 pods from node-2", nodes=["node-2"],
                       pods=["default/low-1", "default/low-2"],
                       command="kubectl delete pod -n default low-1 low-2"),
            Suggestion(type="AddNode", message="add a node with 4 cpu",
                       node={"metadata": {"labels": {"size": "big"}}, "status": {"capacity": {"cpu": "4"}}}),
            Suggestion(type="TolerateTaint", message="tolerate gpu=true:NoSchedule", patch_type="merge",
                       patch={"spec": {"tolerations": [{"key": "gpu"}]}}, nodes=["node-3"]),
        ])


def test_a_pending_pod_shows_each_nodes_verdict_with_its_numbers():
    lines = page(why(scheduling=unschedulable()))
    at = lines.index("Scheduling:")
    assert lines[at + 1] == "  Last Attempt:  Unschedulable at 12:00:09.250 (0.8 s before the answer)"
    assert lines[at + 2].startswith("  Message:       0/3 nodes are available: 2 Insufficient cpu")
    assert lines[at + 3] == "  Nodes:         3 nodes: 0 feasible, 2 rejected"
    assert lines[at + 4] == "    node-1  rejected by NodeResourcesFit: Insufficient cpu (requested 3 cpu, free 1800m)"
    assert lines[at + 5] == "    node-3  rejected by TaintToleration: untolerated taint (gpu=true:NoSchedule)"


def test_the_attempt_history_names_the_change_that_requeued_each_attempt():
    lines = page(why(scheduling=unschedulable()))
    at = lines.index("  Attempts:")
    assert lines[at + 1].split() == ["TIME", "RESULT", "REQUEUED", "BY", "MESSAGE"]
    assert lines[at + 2].split()[:3] == ["12:00:01.000", "Unschedulable", "-"]
    assert "Node node-2 updated" in lines[at + 3] and lines[at + 3].split()[0] == "12:00:09.250"


def test_each_suggestion_shows_its_message_its_nodes_and_the_exact_command():
    lines = page(why(scheduling=unschedulable()))
    at = lines.index("  Suggestions:")
    suggestions = [line.strip() for line in lines[at + 1:]]
    assert suggestions[:4] == [
        "LowerRequests:  lower the cpu request of container app to 1800m",
        "Target:       Deployment default/web",
        "Nodes:        node-1, node-2",
        "Command:      kubectl patch deployment web -n default -p '{...}'",
    ]
    assert "Remove:       default/low-1, default/low-2" in suggestions
    assert "New Node:     cpu=4; labels size=big" in suggestions
    # without a command, the patch itself, as `kubectl patch --type` names its kind
    assert 'Patch:        merge: {"spec":{"tolerations":[{"key":"gpu"}]}}' in suggestions


def test_a_large_clusters_answer_counts_the_nodes_it_leaves_out():
    from objects.explanation import RejectionCount

    explanation = SchedulingExplanation(
        result="Unschedulable", nodes_total=5000, nodes_evaluated=5000, rejected_omitted=4990, feasible_omitted=0,
        rejected=[NodeRejection(node=f"n-{i}", plugin="NodeResourcesFit", reason="Insufficient cpu")
                  for i in range(10)],
        rejection_summary=[RejectionCount(plugin="NodeResourcesFit", reason="Insufficient cpu", count=5000)])
    lines = page(why(scheduling=explanation))
    assert "  Nodes:  5000 nodes: 0 feasible, 5000 rejected" in lines
    assert "    5000 nodes  rejected by NodeResourcesFit: Insufficient cpu" in lines
    assert "    ... and 4990 more rejected" in lines


def test_feasible_nodes_show_their_plugin_scores_and_the_weights():
    explanation = SchedulingExplanation(
        result="Scheduled", node="node-2", nodes_total=2, nodes_evaluated=2,
        scorers=[PluginWeight(name="NodeResourcesFit", weight=1), PluginWeight(name="TaintToleration", weight=3)],
        feasible=[NodeScore(node="node-2", scores={"NodeResourcesFit": 80, "TaintToleration": 100}, total=380),
                  NodeScore(node="node-1", scores={"NodeResourcesFit": 70, "TaintToleration": 100}, total=370)])
    lines = page(why(scheduling=explanation))
    assert "    node-2  fits, score 380: NodeResourcesFit=80 TaintToleration=100" in lines
    assert "  Weights:  NodeResourcesFit x1, TaintToleration x3" in lines


def test_placement_compares_the_chosen_node_with_the_runner_up_plugin_by_plugin():
    placement = PlacementComparison(node="node-2", total=380, runner_up="node-1", runner_up_total=370, plugins=[
        PluginComparison(name="NodeResourcesFit", weight=1, node_score=80, runner_up_score=70),
        PluginComparison(name="TaintToleration", weight=3, node_score=100, runner_up_score=100)])
    lines = page(why(state="Running", placement=placement))
    at = lines.index("Placement:")
    assert lines[at + 1:at + 3] == ["  Chosen:     node-2, score 380", "  Runner-up:  node-1, score 370"]
    assert [line.split() for line in lines[at + 4:at + 7]] == [
        ["PLUGIN", "WEIGHT", "node-2", "node-1"], ["NodeResourcesFit", "1", "80", "70"],
        ["TaintToleration", "3", "100", "100"]]


def test_a_node_that_fitted_alone_has_no_runner_up():
    lines = page(why(placement=PlacementComparison(node="node-1", total=300)))
    assert "  Runner-up:  none: the only node that fits" in lines


def crash_loop() -> Why:
    restart = countdown("NextRestart", "container app restarts", 8.25)
    container = ContainerReport(
        name="app", image="tinykube/bootcamp:v1", state="Waiting", reason="CrashLoopBackOff", ready=False,
        restart_count=3, last_exit_code=1, last_reason="Error", last_finished_at="2026-12-05T12:00:08.000Z",
        last_log_lines=["starting", "bye"], backoff_sequence_seconds=[1.0, 2.0, 4.0, 8.0, 16.0, 30.0],
        countdowns=[restart])
    return why(state="CrashLoopBackOff", kubelet=KubeletPodReport(node="node-1", containers=[container]),
               countdowns=[restart])


def test_a_crash_loop_shows_the_exit_the_last_log_lines_and_the_next_restart():
    lines = page(crash_loop())
    at = lines.index("    app:")
    container = [line.strip() for line in lines[at + 1:]]
    assert "State:          Waiting (CrashLoopBackOff)" in container
    assert "Restart Count:  3" in container
    assert "Last Exit:      1 (Error) at 12:00:08.000 (2.0 s before the answer)" in container
    logs = container.index("Last Log Lines:")
    assert container[logs + 1:logs + 3] == ["starting", "bye"]
    assert "Backoff:       1 s, 2 s, 4 s, 8 s, 16 s, 30 s (as configured)" in container
    assert "Next Restart:  in 8.2 s: container app restarts (kubelet/node-1)" in container


def test_the_soonest_countdown_is_shown_under_the_state():
    assert "Next:       in 8.2 s: container app restarts (kubelet/node-1)" in page(crash_loop())


def test_a_watching_page_ticks_the_countdown_down_from_the_answer_and_stops_at_now():
    assert "Next:       in 5.2 s: container app restarts (kubelet/node-1)" in page(crash_loop(), elapsed=3.0)
    ticked = [line.strip() for line in page(crash_loop(), elapsed=9.0)]
    assert "Next Restart:  now: container app restarts (kubelet/node-1)" in ticked
    assert not any(line.startswith("Next:") for line in ticked)  # nothing left running


def test_a_countdown_without_seconds_in_its_section_takes_them_from_the_answers_list():
    answer = crash_loop()
    answer.kubelet.containers[0].countdowns[0] = countdown("NextRestart", "container app restarts", None)
    assert "in 8.2 s: container app restarts" in render_why(answer, Clock(answer))


def test_a_bad_image_shows_the_pull_error_and_the_next_pull():
    pull = countdown("NextPull", "image nope:1 is pulled again", 3.5)
    container = ContainerReport(name="app", image="nope:1", state="Waiting", reason="ImagePullBackOff",
                                pull_error="pull access denied for nope", pull_attempts=2, countdowns=[pull])
    lines = [line.strip() for line in page(why(kubelet=KubeletPodReport(node="node-1", containers=[container]),
                                               countdowns=[pull]))]
    assert "Pull Error:     pull access denied for nope" in lines
    assert "Pull Attempts:  2" in lines
    assert "Next Pull:      in 3.5 s: image nope:1 is pulled again (kubelet/node-1)" in lines


def test_a_creating_container_names_its_step():
    container = ContainerReport(name="app", state="Waiting", reason="ContainerCreating", step="ImagePull")
    lines = [line.strip() for line in page(why(kubelet=KubeletPodReport(node="node-1", containers=[container])))]
    assert "Step:           ImagePull" in lines


def test_a_failing_probe_shows_its_output_and_its_failures_against_the_threshold():
    probe = ProbeReport(type="readiness", handler="exec cat /tmp/ready", passing=False, consecutive_failures=2,
                        failure_threshold=3, last_output="cat: can't open '/tmp/ready'", period_seconds=1.0)
    container = ContainerReport(name="app", state="Running", ready=False, probes=[probe])
    lines = page(why(state="Running", kubelet=KubeletPodReport(node="node-1", containers=[container])))
    at = lines.index("      Probes:")
    assert lines[at + 1] == "        readiness exec cat /tmp/ready:  failing, 2 of 3 failures in a row (every 1 s)"
    assert lines[at + 2].split(None, 2) == ["Last", "Output:", "cat: can't open '/tmp/ready'"]


def test_a_terminating_pod_shows_its_stage_and_the_sigkill_countdown():
    kill = countdown("SigKill", "the containers still running are killed", 2.0)
    termination = TerminationReport(stage="SigTerm", grace_period_seconds=3.0, started_at="2026-12-05T12:00:09.000Z",
                                    countdowns=[kill])
    lines = page(why(state="Terminating", kubelet=KubeletPodReport(node="node-1", termination=termination),
                     countdowns=[kill]))
    at = lines.index("  Termination:")
    assert lines[at + 1:at + 5] == [
        "    Stage:         SigTerm",
        "    Grace Period:  3 s",
        "    Started:       12:00:09.000 (1.0 s before the answer)",
        "    Sig Kill:      in 2.0 s: the containers still running are killed (kubelet/node-1)",
    ]


def test_a_kubelet_that_did_not_answer_is_said_so():
    lines = page(why(state="Running", kubelet_error="error dialing the kubelet: connection refused"))
    assert "Kubelet:  did not answer: error dialing the kubelet: connection refused" in lines


def test_a_lost_node_shows_its_heartbeat_grace_taints_and_each_pods_eviction_countdown():
    eviction = countdown("Eviction", "pod default/web-1 is evicted", 27.9, owner="node-lifecycle-controller")
    report = NodeHealthReport(
        ready="Unknown", message="Kubelet stopped posting node status.", last_heartbeat="2026-12-05T12:00:04.000Z",
        grace_period_seconds=4.0, not_ready_since="2026-12-05T12:00:08.000Z",
        taints=[TaintReport(key="node.kubernetes.io/unreachable", effect="NoExecute",
                            time_added="2026-12-05T12:00:08.100Z"),
                TaintReport(key="node.kubernetes.io/unreachable", effect="NoSchedule")],
        pods=[PodEviction(namespace="default", name="web-1", toleration_seconds=30.0,
                          replaced_by="ReplicaSet default/web-5d8f creates a replacement", countdowns=[eviction]),
              PodEviction(namespace="default", name="agent", toleration_seconds=None, replaced_by="nothing")])
    node = ObjectRef(api_version="v1", kind="Node", name="node-2")
    lines = page(why(subject=node, state="Unknown", node_health=report, countdowns=[eviction]))
    assert lines[0].startswith("node/node-2 is Unknown")
    assert not any(line.startswith("Namespace:") for line in lines)
    assert "Last Heartbeat: 12:00:04.000 (6.0 s before the answer)" in said(lines)
    assert "Grace Period: 4 s" in said(lines)
    at = lines.index("  Taints:")
    assert lines[at + 1:at + 3] == [
        "    node.kubernetes.io/unreachable:NoExecute   added 12:00:08.100 (1.9 s before the answer)",
        "    node.kubernetes.io/unreachable:NoSchedule",  # no time: nothing trails it
    ]
    at = lines.index("  Pods:")
    assert lines[at + 1].split() == ["POD", "TOLERATES", "EVICTION", "REPLACED", "BY"]
    assert lines[at + 2].split(None, 5) == ["default/web-1", "30", "s", "in", "27.9",
                                            "s  ReplicaSet default/web-5d8f creates a replacement"]
    assert lines[at + 3].split() == ["default/agent", "forever", "never", "nothing"]


def test_a_rollout_shows_its_surge_and_unavailable_arithmetic_and_what_it_waits_for():
    deadline = countdown("ProgressDeadline", "the rollout is marked failed", 55.0, owner="deployment-controller")
    report = RolloutReport(strategy="RollingUpdate", replicas=3, max_surge=1, max_unavailable=0, max_total=4,
                           min_available=3, new_replicas=1, new_available=0, old_replicas=3, old_available=3,
                           may_create=0, may_remove=0, waiting_for=["pod default/web-7c9-x to be Ready"],
                           message="maxUnavailable 0: no old pod may go until a new one is available",
                           countdowns=[deadline])
    deployment = ObjectRef(api_version="apps/v1", kind="Deployment", name="web", namespace="default")
    lines = page(why(subject=deployment, state="Progressing", rollout=report, countdowns=[deadline]))
    assert lines[0].startswith("deployment/web is Progressing")
    assert ("Arithmetic: at most 4 pods (3 replicas + maxSurge 1), at least 3 available "
            "(3 - maxUnavailable 0)") in said(lines)
    assert "New Pods: 1, 0 available" in said(lines)
    assert "May Now: create 0, remove 0" in said(lines)
    assert "Progress Deadline: in 55.0 s: the rollout is marked failed (deployment-controller)" in said(lines)
    assert lines[lines.index("  Waiting For:") + 1] == "    pod default/web-7c9-x to be Ready"


def test_a_short_replica_set_shows_its_failed_creates_and_pending_expectations():
    report = ReplicaSetReport(replicas=3, current=1, ready=1, pending_creations=2,
                              failed_creates=['pods "web-x" is forbidden: exceeded quota'], message="2 pods short")
    rs = ObjectRef(api_version="apps/v1", kind="ReplicaSet", name="web-5d8f", namespace="default")
    lines = page(why(subject=rs, state="Short", replica_set=report))
    assert "  Replicas:   3 desired, 1 current, 1 ready" in lines
    assert "  Expecting:  2 creations and 0 deletions not yet seen" in lines
    assert lines[lines.index("  Failed Creates:") + 1] == '    pods "web-x" is forbidden: exceeded quota'


def test_a_daemon_set_names_the_rule_that_excludes_each_node():
    report = DaemonSetReport(message="runs on 1 of 2 nodes", nodes=[
        DaemonNodeReport(node="node-1", runs=True, reason="runs pod default/agent-x"),
        DaemonNodeReport(node="node-3", runs=False, reason="taint dedicated=gpu:NoSchedule")])
    ds = ObjectRef(api_version="apps/v1", kind="DaemonSet", name="agent", namespace="default")
    lines = page(why(subject=ds, state="Short", daemon_set=report))
    at = lines.index("  Nodes:")
    assert [line.split(None, 2) for line in lines[at + 1:at + 4]] == [
        ["NODE", "RUNS", "WHY"], ["node-1", "yes", "runs pod default/agent-x"],
        ["node-3", "no", "taint dedicated=gpu:NoSchedule"]]


def test_sections_come_in_the_order_a_reader_asks_and_each_after_a_blank_line():
    answer = crash_loop()
    answer.scheduling = unschedulable()
    answer.placement = PlacementComparison(node="node-1", total=300)
    lines = page(answer)
    headings = [lines[i + 1] for i, line in enumerate(lines) if line == ""]
    assert headings == ["Scheduling:", "Placement:", "Kubelet:"]


def test_the_example_in_docs_why_md_reads_into_the_model_and_shows_as_the_docs_say():
    import json
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "why.md").read_text()
    start = text.index('```json\n{\n  "apiVersion"') + len("```json\n")
    answer = Why.model_validate(json.loads(text[start:text.index("```", start)]))
    shown_at = text.index("```\n", text.index("shows it as:")) + len("```\n")
    assert render_why(answer, Clock(answer)) == text[shown_at:text.index("```", shown_at)]
