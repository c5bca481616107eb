"""A pod's why: the scheduler's reasoning while it waits for a node, the kubelet's once it has one.

    unbound ──► the scheduler's last SchedulingExplanation: verdict per node, scores, attempts, suggestions
    bound   ──► placement (the chosen node against the runner-up, from the same explanation)
            └─► the kubelet's KubeletPodReport, asked live: containers, probes, backoffs, termination

The state is kubectl's STATUS column (pod_status_reason), so `tkctl why pods`
and `kubectl get pods` name a pod's trouble with the same word; the summary
adds the reason, taken from whichever component's report explains it.
"""

from __future__ import annotations

import httpx
from starlette.concurrency import run_in_threadpool

from master.api import node_proxy, status
from master.api.registry import Registry
from objects.pod_status_column import pod_status_reason
from master.api.why.countdowns import seconds_left
from objects.explanation import SchedulingExplanation
from objects.kinds import POD
from objects.phases import PodPhase
from objects.pod import Pod
from objects.why import ContainerReport, KubeletPodReport, PlacementComparison, PluginComparison, Why

KUBELET_TIMEOUT_SECONDS = 3.0
DEFAULT_SCHEDULER_NAME = "default-scheduler"


async def pod_why(registry: Registry, namespace: str, name: str, why: Why, *, kubelet_token: str | None) -> None:
    wire = registry.get(POD, namespace, name)
    pod = Pod.model_validate(wire)
    why.scheduling = _explanation(registry, namespace, name, pod.metadata.uid or "")
    if pod.node_name:
        why.placement = placement(why.scheduling, pod.node_name)
        why.kubelet, why.kubelet_error = await ask_kubelet(registry, wire, kubelet_token)
    why.state = pod_status_reason(wire).reason or "Pending"


def summarize(why: Why, pod: Pod) -> str:
    """One line: what the pod waits for, in the words of the component that makes it wait.
    Called after the countdowns were filled in, so it can say how long is left."""
    if pod.is_terminating:
        termination = why.kubelet.termination if why.kubelet else None
        if termination is not None:
            left = seconds_left(termination.countdowns, "SigKill")
            kill = f"; SIGKILL {_in(left)}" if left is not None else ""
            return f"stopping ({termination.stage}), grace period {termination.grace_period_seconds:g} s{kill}"
        return "being deleted: waiting for its kubelet to stop its containers"
    if not pod.node_name:
        return _unscheduled(why.scheduling, pod)
    if pod.phase in (PodPhase.SUCCEEDED, PodPhase.FAILED):
        return f"finished: {pod.phase} on {pod.node_name}"
    if why.kubelet is None:
        return f"bound to {pod.node_name}; its kubelet did not answer: {why.kubelet_error}"
    for container in why.kubelet.containers:
        trouble = container_trouble(container)
        if trouble:
            return trouble
    if pod.is_ready:
        return f"Running and Ready on {pod.node_name}"
    return f"on {pod.node_name}, not Ready yet"


def _unscheduled(explanation: SchedulingExplanation | None, pod: Pod) -> str:
    scheduler = (pod.spec.scheduler_name if pod.spec else None) or DEFAULT_SCHEDULER_NAME
    if scheduler != DEFAULT_SCHEDULER_NAME:
        return f"waiting for scheduler {scheduler!r}, which tinykube does not run"
    if explanation is None:
        return "waiting for the scheduler's first attempt"
    if explanation.result == "Scheduled":
        return f"assigned to {explanation.node}; the binding is being written"
    count = len(explanation.suggestions)
    hint = f" ({count} suggestion{'s' if count > 1 else ''})" if count else ""
    return f"Unschedulable: {explanation.message}{hint}"


def container_trouble(container: ContainerReport) -> str:
    """The line for a container that is not running and ready, or "" when it is."""
    label = f"{'init container' if container.init else 'container'} {container.name}"
    if container.reason == "ContainerCreating" or container.step:
        return f"{label}: creating, step {container.step or 'unknown'}"
    if container.reason in ("ErrImagePull", "ImagePullBackOff"):
        left = seconds_left(container.countdowns, "NextPull")
        nxt = f"; next pull {_in(left)}" if left is not None else ""
        return f"{label}: {container.reason} of {container.image}: {container.pull_error or container.message}{nxt}"
    if container.reason == "CrashLoopBackOff":
        left = seconds_left(container.countdowns, "NextRestart")
        nxt = f"; next restart {_in(left)}" if left is not None else ""
        return (f"{label}: exited {container.last_exit_code} ({container.last_reason}), "
                f"restarted {container.restart_count} times{nxt}")
    if container.state == "Running" and container.ready is False:
        failing = next((p for p in container.probes if p.type == "readiness" and not p.passing), None)
        if failing is not None:
            return (f"{label}: readiness probe failing ({failing.consecutive_failures}/{failing.failure_threshold}): "
                    f"{failing.last_output or 'no output'}")
        return f"{label}: running, not Ready yet"
    if container.state == "Waiting" and container.reason:
        return f"{label}: {container.reason} {container.message}".rstrip()
    if container.state == "Terminated" and not container.init and container.reason != "Completed":
        return f"{label}: terminated ({container.reason})"
    return ""


def _in(seconds: float) -> str:
    """A countdown in words: its owner's timer has fired once nothing is left, and it acts any moment."""
    return f"in {seconds:.1f} s" if seconds >= 0.05 else "due now"


def placement(explanation: SchedulingExplanation | None, node: str) -> PlacementComparison | None:
    """The chosen node's scores against the runner-up's, from the attempt that chose it."""
    if explanation is None or explanation.result != "Scheduled" or explanation.node != node:
        return None
    chosen = next((s for s in explanation.feasible if s.node == node), None)
    if chosen is None:
        return None
    runner_up = next((s for s in explanation.feasible if s.node != node), None)
    weights = {w.name: w.weight for w in explanation.scorers}
    plugins = [PluginComparison(name=plugin, weight=weights.get(plugin, 1), node_score=score,
                                runner_up_score=runner_up.scores.get(plugin) if runner_up else None)
               for plugin, score in chosen.scores.items()]
    return PlacementComparison(node=node, total=chosen.total, runner_up=runner_up.node if runner_up else None,
                               runner_up_total=runner_up.total if runner_up else None, plugins=plugins)


def _explanation(registry: Registry, namespace: str, name: str, uid: str) -> SchedulingExplanation | None:
    try:
        wire = registry.get_explanation(namespace, name)
    except status.ApiError:
        return None
    explanation = SchedulingExplanation.model_validate(wire)
    return explanation if explanation.metadata.uid in (None, uid) else None


async def ask_kubelet(registry: Registry, pod: dict, token: str | None) -> tuple[KubeletPodReport | None, str | None]:
    """The kubelet's live report on the pod, or why there is none (the why still answers without it)."""
    try:
        kubelet = await run_in_threadpool(node_proxy.locate_kubelet, registry, pod, token)
    except status.ApiError as error:
        return None, error.message
    meta = pod["metadata"]
    url = kubelet.url(f"/why/{node_proxy.segment(meta['namespace'])}/{node_proxy.segment(meta['name'])}")
    try:
        # The kubelet's certificate is self-signed and not verified, as for logs (see node_proxy).
        async with httpx.AsyncClient(verify=False, timeout=KUBELET_TIMEOUT_SECONDS) as client:
            response = await client.get(url, headers=kubelet.headers, params={"uid": meta["uid"]})
    except httpx.HTTPError as error:
        return None, f"error dialing the kubelet: {error or type(error).__name__}"
    if response.status_code != 200:
        return None, f"the kubelet answered {response.status_code}: {response.text[:200]}"
    try:
        return KubeletPodReport.model_validate(response.json()), None
    except ValueError as error:
        return None, f"the kubelet's report could not be read: {error}"
