"""The pods/eviction subresource: the polite delete that `kubectl drain` sends.

    POST /api/v1/namespaces/NS/pods/NAME/eviction
         {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": NAME}, "deleteOptions": {...}}

    read the Eviction        its name and namespace must be the URL's              else 400
    look at the pod          missing                                                -> 404 pods "NAME" not found
                             deleteOptions.preconditions (uid, resourceVersion)     else 409
    mark it                  condition DisruptionTarget, reason EvictionByEvictionAPI
    delete it                with the Eviction's deleteOptions (grace period, preconditions)
                                                                                    -> 201 Status Success

Kubernetes first asks the PodDisruptionBudgets covering the pod, and answers
429 TooManyRequests while one forbids the disruption. tinykube has no budgets,
so every eviction is allowed: an eviction is the pod's graceful delete, with a
condition saying why it went. A write to the pod between the look and the mark
is retried, as the apiserver retries, unless the caller pinned a resourceVersion.
"""

from __future__ import annotations

from typing import Any

from master.api import status
from master.api.registry import DeleteOptions, Registry, rfc3339
from objects.kinds import POD

EVICTION_API_VERSIONS = ("policy/v1", "policy/v1beta1")
EVICTION_KIND = "Eviction"
DISRUPTION_TARGET = "DisruptionTarget"
REASON_EVICTION_BY_EVICTION_API = "EvictionByEvictionAPI"
MARK_ATTEMPTS = 5
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"


def evict(registry: Registry, namespace: str, name: str, body: Any) -> dict[str, Any]:
    """Evict pod NAMESPACE/NAME as `body` (an Eviction) asks; returns the Success Status to answer 201 with."""
    options, dry_run = read_eviction(namespace, name, body)
    for _ in range(MARK_ATTEMPTS):
        pod = registry.get(POD, namespace, name)
        check_preconditions(pod, options)
        if dry_run:
            return _success()
        try:
            marked = _mark(registry, pod)
        except status.ApiError as error:
            if error.code == 409 and not options.precondition_resource_version:
                continue  # someone else wrote the pod: look again
            raise
        registry.delete(POD, namespace, name, _after_mark(options, marked))
        return _success()
    raise status.conflict(POD, name)


def read_eviction(namespace: str, name: str, body: Any) -> tuple[DeleteOptions, bool]:
    """The Eviction's deleteOptions, and whether it is a dry run; 400 when it is no Eviction of this pod."""
    if not isinstance(body, dict):
        raise status.bad_request("the body of the request is not a JSON object")
    api_version, kind = body.get("apiVersion"), body.get("kind")
    if api_version not in (None, *EVICTION_API_VERSIONS):
        raise status.bad_request(f"the API version in the data ({api_version}) does not match the expected "
                                 f"API version ({EVICTION_API_VERSIONS[0]})")
    if kind not in (None, EVICTION_KIND):
        raise status.bad_request(f"the kind in the data ({kind}) does not match the expected kind ({EVICTION_KIND})")
    metadata = body.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise status.bad_request("metadata must be an object")
    if metadata.get("name") != name:
        raise status.bad_request("name in URL does not match name in Eviction object")
    if metadata.get("namespace") not in (None, "", namespace):
        raise status.bad_request("the namespace of the provided object does not match the namespace sent on the "
                                 "request")
    raw = body.get("deleteOptions") or {}
    if not isinstance(raw, dict):
        raise status.bad_request("deleteOptions must be an object")
    grace = raw.get("gracePeriodSeconds")
    if grace is not None and (isinstance(grace, bool) or not isinstance(grace, int)):
        raise status.bad_request(f'invalid gracePeriodSeconds "{grace}"')
    preconditions = raw.get("preconditions") or {}
    if not isinstance(preconditions, dict):
        raise status.bad_request("deleteOptions.preconditions must be an object")
    options = DeleteOptions(grace, raw.get("propagationPolicy"), preconditions.get("uid"),
                            preconditions.get("resourceVersion"))
    return options, bool(raw.get("dryRun"))


def check_preconditions(pod: dict[str, Any], options: DeleteOptions) -> None:
    """409, in the delete's own words, when the pod is not the one the caller meant."""
    meta = pod["metadata"]
    if options.precondition_uid and options.precondition_uid != meta.get("uid"):
        raise status.conflict(POD, meta["name"], f"Precondition failed: UID in precondition: "
                                                 f"{options.precondition_uid}, UID in object meta: {meta.get('uid')}")
    version = options.precondition_resource_version
    if version and version != meta["resourceVersion"]:
        raise status.conflict(POD, meta["name"], f"Precondition failed: ResourceVersion in precondition: {version}, "
                                                 f"ResourceVersion in object meta: {meta['resourceVersion']}")


def _mark(registry: Registry, pod: dict[str, Any]) -> dict[str, Any]:
    """Add the DisruptionTarget condition to the pod as it was seen (a newer pod is a 409)."""
    meta = pod["metadata"]
    condition = {"type": DISRUPTION_TARGET, "status": "True", "reason": REASON_EVICTION_BY_EVICTION_API,
                 "message": "Eviction API: evicting", "lastTransitionTime": rfc3339(registry.clock())}
    patch = {"metadata": {"resourceVersion": meta["resourceVersion"]}, "status": {"conditions": [condition]}}
    admitted = registry.patch(POD, meta["namespace"], meta["name"], patch, content_type=STRATEGIC_MERGE_PATCH,
                              field_validation="Strict", subresource="status")
    return admitted.obj


def _after_mark(options: DeleteOptions, marked: dict[str, Any]) -> DeleteOptions:
    """A pinned resourceVersion moves on past our own mark, as the apiserver's does."""
    if not options.precondition_resource_version:
        return options
    return DeleteOptions(options.grace_period_seconds, options.propagation_policy, options.precondition_uid,
                         marked["metadata"]["resourceVersion"])


def _success() -> dict[str, Any]:
    return {**status.success_status(), "code": 201}
