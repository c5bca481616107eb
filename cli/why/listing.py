"""`tkctl why pods`: one line for each pod that is not Running and Ready, with its why's summary.

    NAME                          STATE             REASON
    kubernetes-bootcamp-7d9-abcd  Pending           0/3 nodes are available: 3 Insufficient cpu.
    crasher-5f6-xyz               CrashLoopBackOff  container crasher exited with code 1; restarts in 8.2 s

Pods that are Running and Ready are left out: there is nothing to explain.
Each listed pod's why is asked on its own (the kubelet's part is asked live,
so a few at a time, in parallel).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from apiclient import ApiClient, ApiStatusError
from cli.errors import Reported
from cli.printers import TABLE_PADDING
from cli.tabwriter import align
from cli.why.fetch import Answer, fetch_why
from objects.kinds import POD
from objects.phases import PodPhase
from objects.pod import Pod

PARALLEL_REQUESTS = 8


def pods_to_explain(client: ApiClient, namespace: str | None) -> tuple[list[Pod], int]:
    """The pods that are not Running and Ready, and how many pods there are in all."""
    listed = client.get_path(POD.collection_path(namespace)).get("items") or []
    pods = [Pod.model_validate(item) for item in listed]
    return [pod for pod in pods if not (pod.phase == PodPhase.RUNNING and pod.is_ready)], len(pods)


def explain_each(client: ApiClient, pods: list[Pod], errors: list[Reported]) -> list[Answer]:
    """Each pod's why, in the pods' order; a pod deleted meanwhile is simply left out."""
    def ask(pod: Pod) -> Answer | ApiStatusError | None:
        try:
            return fetch_why(client, POD, pod.metadata.namespace, pod.metadata.name or "")
        except ApiStatusError as error:
            return None if error.not_found else error

    with ThreadPoolExecutor(max_workers=PARALLEL_REQUESTS) as pool:
        results = list(pool.map(ask, pods))
    errors.extend(result for result in results if isinstance(result, ApiStatusError))
    return [result for result in results if isinstance(result, Answer)]


def render_listing(answers: list[Answer], *, with_namespace: bool) -> str:
    header = (["NAMESPACE"] if with_namespace else []) + ["NAME", "STATE", "REASON"]
    rows = [header]
    for answer in answers:
        subject = answer.why.subject
        rows.append(([subject.namespace or ""] if with_namespace else [])
                    + [subject.name, answer.why.state, answer.why.summary])
    return align(rows, padding=TABLE_PADDING)


def nothing_to_explain(namespace: str | None, *, pods: int) -> str:
    """kubectl's `No resources found in default namespace.`, or that every pod is fine."""
    if pods == 0:  # kubectl's two spellings: a period only after the namespace
        return f"No resources found in {namespace} namespace." if namespace is not None else "No resources found"
    return f"Every pod in {namespace} namespace is Running and Ready." if namespace is not None \
        else "Every pod is Running and Ready."
