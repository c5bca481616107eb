"""Which pods `tkctl drain` may remove from a node: kubectl's drain filters, in kubectl's order and words.

Each pod goes through the filters in turn; the first that does not let it be
deleted decides, otherwise the last one's verdict stands (so a warning from an
earlier filter can be dropped, as in kubectl):

    daemonSet     owned by a DaemonSet: an error, or with --ignore-daemonsets a warning and skip
                  (its controller would only recreate it on the same node)
    mirrorPod     a static pod's mirror: skipped silently (the kubelet owns it, not the API)
    localStorage  emptyDir volume: an error unless --delete-emptydir-data (the data is lost)
    unreplicated  no controller: an error unless --force (nothing would recreate it)

A finished pod (Succeeded or Failed) may always go.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from objects.phases import FINISHED_PHASES

DAEMONSET_FATAL = "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
DAEMONSET_WARNING = "ignoring DaemonSet-managed Pods"
LOCAL_STORAGE_FATAL = "Pods with local storage (use --delete-emptydir-data to override)"
LOCAL_STORAGE_WARNING = "deleting Pods with local storage"
UNMANAGED_FATAL = "cannot delete Pods that declare no controller (use --force to override)"
UNMANAGED_WARNING = "deleting Pods that declare no controller"
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"

# (namespace, name) -> (exists, the server's error otherwise, e.g. `daemonsets.apps "x" not found`)
DaemonSetLookup = Callable[[str, str], tuple[bool, str]]


@dataclass(frozen=True)
class Verdict:
    delete: bool
    warning: str = ""
    error: str = ""


OKAY = Verdict(True)
SKIP = Verdict(False)


@dataclass(frozen=True)
class DrainOptions:
    force: bool = False
    ignore_daemonsets: bool = False
    delete_emptydir_data: bool = False


def judge(pod: dict[str, Any], options: DrainOptions, daemonset_lookup: DaemonSetLookup) -> Verdict:
    """The verdict on one pod: the first refusal or skip, else the last filter's verdict."""
    verdict = OKAY
    for check in (_daemonset, _mirror, _local_storage, _unreplicated):
        verdict = check(pod, options, daemonset_lookup)
        if not verdict.delete:
            break
    return verdict


def _controller(pod: dict[str, Any]) -> dict[str, Any] | None:
    return next((ref for ref in pod["metadata"].get("ownerReferences") or [] if ref.get("controller")), None)


def _finished(pod: dict[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") in FINISHED_PHASES


def _daemonset(pod: dict[str, Any], options: DrainOptions, lookup: DaemonSetLookup) -> Verdict:
    controller = _controller(pod)
    if controller is None or controller.get("kind") != "DaemonSet" or _finished(pod):
        return OKAY
    exists, problem = lookup(pod["metadata"].get("namespace", ""), controller.get("name", ""))
    if not exists:
        # An orphan of a deleted DaemonSet: nothing would recreate it, so --force may remove it.
        if options.force and problem.endswith("not found"):
            return Verdict(True, warning=problem)
        return Verdict(False, error=problem)
    if not options.ignore_daemonsets:
        return Verdict(False, error=DAEMONSET_FATAL)
    return Verdict(False, warning=DAEMONSET_WARNING)


def _mirror(pod: dict[str, Any], _options: DrainOptions, _lookup: DaemonSetLookup) -> Verdict:
    return SKIP if MIRROR_ANNOTATION in (pod["metadata"].get("annotations") or {}) else OKAY


def _local_storage(pod: dict[str, Any], options: DrainOptions, _lookup: DaemonSetLookup) -> Verdict:
    volumes = (pod.get("spec") or {}).get("volumes") or []
    if not any("emptyDir" in volume for volume in volumes) or _finished(pod):
        return OKAY
    if not options.delete_emptydir_data:
        return Verdict(False, error=LOCAL_STORAGE_FATAL)
    return Verdict(True, warning=LOCAL_STORAGE_WARNING)


def _unreplicated(pod: dict[str, Any], options: DrainOptions, _lookup: DaemonSetLookup) -> Verdict:
    if _finished(pod) or _controller(pod) is not None:
        return OKAY
    if options.force:
        return Verdict(True, warning=UNMANAGED_WARNING)
    return Verdict(False, error=UNMANAGED_FATAL)


def grouped(pods_by_message: list[tuple[str, str]]) -> list[str]:
    """`message: ns/a, ns/b` once per message, in the order first met."""
    groups: dict[str, list[str]] = {}
    for message, pod in pods_by_message:
        groups.setdefault(message, []).append(pod)
    return [f"{message}: {', '.join(pods)}" for message, pods in groups.items()]
