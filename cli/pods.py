"""What logs and exec share: finding the pod a `NAME` or `TYPE/NAME` means, and picking its container.

kubectl picks the container on the client (the server would refuse a
multi-container pod without one): `-c` if given, else the pod's
`kubectl.kubernetes.io/default-container` annotation, else the first
container, telling the user on stderr when there was a choice.
"""

from __future__ import annotations

from typing import Any, Callable

from apiclient import ApiClient
from cli.errors import CommandError
from cli.resources import kind_label, object_path, resolve_kind
from objects.kinds import POD

DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"

Warn = Callable[[str], None]


def pod_name(pod: dict[str, Any]) -> str:
    return (pod.get("metadata") or {}).get("name", "")


def containers(pod: dict[str, Any]) -> list[str]:
    return [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]


def init_containers(pod: dict[str, Any]) -> list[str]:
    return [c.get("name", "") for c in (pod.get("spec") or {}).get("initContainers") or []]


def ephemeral_containers(pod: dict[str, Any]) -> list[str]:
    return [c.get("name", "") for c in (pod.get("spec") or {}).get("ephemeralContainers") or []]


def has_container(pod: dict[str, Any], name: str) -> bool:
    return name in containers(pod) + init_containers(pod) + ephemeral_containers(pod)


def every_container(pod: dict[str, Any]) -> list[str]:
    """`--all-containers` order: init containers, then containers, then ephemeral ones."""
    return init_containers(pod) + containers(pod) + ephemeral_containers(pod)


def all_container_names(pod: dict[str, Any]) -> str:
    """kubectl's list in `Defaulted container "a" out of: a, b, debug (ephem), setup (init)`."""
    names = containers(pod)
    names += [f"{name} (ephem)" for name in ephemeral_containers(pod)]
    names += [f"{name} (init)" for name in init_containers(pod)]
    return ", ".join(names)


def default_container(pod: dict[str, Any], warn: Warn, *, warn_about_init: bool) -> str | None:
    """The annotated default container, else the first one (saying so when there was a choice).

    `logs` also warns when the only alternatives are init or ephemeral
    containers (`warn_about_init`); `exec` warns only for several containers.
    """
    annotated = ((pod.get("metadata") or {}).get("annotations") or {}).get(DEFAULT_CONTAINER_ANNOTATION)
    if annotated:
        if has_container(pod, annotated):
            return annotated
        warn(f'Default container name "{annotated}" not found in pod {pod_name(pod)}')
    names = containers(pod)
    if not names:
        return None
    alternatives = len(names) > 1 or (warn_about_init and (init_containers(pod) or ephemeral_containers(pod)))
    if alternatives:
        warn(f'Defaulted container "{names[0]}" out of: {all_container_names(pod)}')
    return names[0]


def fetch_pod(client: ApiClient, namespace: str, target: str, warn: Warn) -> dict[str, Any]:
    """The pod `NAME` or `TYPE/NAME` means; for a workload (deploy/web), one of its pods, as kubectl picks.

    Raises ApiStatusError when the object is missing; CommandError when a workload has no pods.
    """
    kind, slash, name = target.partition("/")
    if not slash:
        return client.get_path(POD.collection_path(namespace) + f"/{target}")
    resource = resolve_kind(kind)
    if resource == POD:
        return client.get_path(POD.collection_path(namespace) + f"/{name}")
    owner = client.get_path(object_path(resource, namespace, name))
    match_labels = (((owner.get("spec") or {}).get("selector") or {}).get("matchLabels") or {})
    if not match_labels:
        raise CommandError(f"cannot get the pods of {kind_label(resource)}/{name}: it has no selector")
    selector = ",".join(f"{key}={value}" for key, value in sorted(match_labels.items()))
    pods = client.get_path(POD.collection_path(namespace), params={"labelSelector": selector}).get("items") or []
    if not pods:
        raise CommandError(f"no pods found for {kind_label(resource)}/{name}")
    pods = most_active_first(pods)
    if len(pods) > 1:
        warn(f"Found {len(pods)} pods, using pod/{pod_name(pods[0])}")
    return pods[0]


def most_active_first(pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """kubectl's ActivePods order, shortened: scheduled, then running, then ready, then newest."""
    newest_first = sorted(pods, key=lambda p: (p.get("metadata") or {}).get("creationTimestamp") or "",
                          reverse=True)
    return sorted(newest_first, key=_activeness)  # stable: the newest wins a tie


def _activeness(pod: dict[str, Any]) -> tuple[bool, bool, bool]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
    return not spec.get("nodeName"), status.get("phase") != "Running", not ready
