"""Discovery, /version and the minimal OpenAPI v3 document, all derived from `objects.kinds`.

kubectl 1.32 asks for aggregated discovery (`apidiscovery.k8s.io/v2`) and
decides the format from the response Content-Type, so the aggregated body goes
out only when the client named that version in Accept; everyone else gets the
legacy documents. OpenAPI v3 carries one PATCH operation per kind: enough for
kubectl's client-side validation to hand the decision to the server
(fieldValidation=Strict), which is where unknown fields are caught.

Discovery lists the stored kinds, the metrics.k8s.io kinds and the revision log
(`SERVED_KINDS`): `kubectl top` looks for that group before it asks for metrics. OpenAPI covers
the stored kinds only, the ones kubectl may send.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from objects.kinds import ALL_KINDS, GROUP_VERSIONS, HISTORY_KINDS, METRICS_KINDS, ResourceType

SERVED_KINDS: tuple[ResourceType, ...] = ALL_KINDS + METRICS_KINDS + HISTORY_KINDS
SERVED_GROUP_VERSIONS: tuple[str, ...] = tuple(dict.fromkeys(k.api_version for k in SERVED_KINDS))

KUBERNETES_COMPATIBILITY = {"major": "1", "minor": "32", "gitVersion": "v1.32.0-tinykube.0.1.0"}

SUBRESOURCE_VERBS = {
    "status": ["get", "patch", "update"], "scale": ["get", "patch", "update"], "binding": ["create"],
    "log": ["get"], "exec": ["create", "get"], "attach": ["create", "get"],
    "portforward": ["create", "get"], "proxy": ["create", "delete", "get", "patch", "update"],
    "explanation": ["get"], "eviction": ["create"], "why": ["get", "update"], "history": ["get"], "trace": ["get"],
}
# Subresources whose kind lives in another API group: discovery names the group, as for Scale.
FOREIGN_SUBRESOURCE_KINDS = {
    "scale": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
    "eviction": {"group": "policy", "version": "v1", "kind": "Eviction"},
    "why": {"group": "tinykube.io", "version": "v1alpha1", "kind": "Why"},  # objects/why.py
    "history": {"group": "tinykube.io", "version": "v1alpha1", "kind": "RevisionList"},  # objects/revisions.py
    "trace": {"group": "tinykube.io", "version": "v1alpha1", "kind": "Trace"},
}


def version_info() -> dict[str, str]:
    return {
        **KUBERNETES_COMPATIBILITY, "gitCommit": "", "gitTreeState": "clean", "buildDate": "2026-11-27T00:00:00Z",
        "goVersion": "n/a (tinykube is Python)", "compiler": "cpython", "platform": "linux/amd64",
    }


def aggregated_media_type(accept: str) -> str | None:
    """The aggregated discovery version the client accepts, as the exact media type to answer with."""
    offered = set()
    for media_range in accept.replace(" ", "").split(","):
        params = dict(p.split("=", 1) for p in media_range.split(";")[1:] if "=" in p)
        if params.get("as") == "APIGroupDiscoveryList" and params.get("g") == "apidiscovery.k8s.io":
            offered.add(params.get("v"))
    for version in ("v2", "v2beta1"):
        if version in offered:
            return f"application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList"
    return None


def aggregated(media_type: str, *, core: bool) -> dict[str, Any]:
    """The APIGroupDiscoveryList for /api (core) or /apis (named groups)."""
    version = media_type.split("v=")[1].split(";")[0]
    groups: dict[str, list[ResourceType]] = {}
    for rt in SERVED_KINDS:
        if (rt.group == "") == core:
            groups.setdefault(rt.group, []).append(rt)
    items = []
    for group, kinds in groups.items():
        items.append({
            "metadata": {"name": group} if group else {},
            "versions": [{"version": kinds[0].version, "freshness": "Current",
                          "resources": [_aggregated_resource(rt) for rt in kinds]}],
        })
    return {"kind": "APIGroupDiscoveryList", "apiVersion": f"apidiscovery.k8s.io/{version}", "metadata": {},
            "items": items}


def _aggregated_resource(rt: ResourceType) -> dict[str, Any]:
    kind_ref = {"group": rt.group, "version": rt.version, "kind": rt.kind}
    resource: dict[str, Any] = {
        "resource": rt.plural, "responseKind": kind_ref, "scope": "Namespaced" if rt.namespaced else "Cluster",
        "singularResource": rt.singular, "verbs": list(rt.verbs),
    }
    if rt.short_names:
        resource["shortNames"] = list(rt.short_names)
    if rt.categories:
        resource["categories"] = list(rt.categories)
    if rt.subresources:
        resource["subresources"] = [
            {"subresource": sub, "responseKind": _subresource_kind(rt, sub), "verbs": subresource_verbs(rt, sub)}
            for sub in rt.subresources
        ]
    return resource


def subresource_verbs(rt: ResourceType, subresource: str) -> list[str]:
    """A pod's why is only read: no controller reports on pods (master/api/why/reports.py)."""
    if subresource == "why" and rt.plural == "pods":
        return ["get"]
    return SUBRESOURCE_VERBS[subresource]


def _subresource_kind(rt: ResourceType, subresource: str) -> dict[str, str]:
    if subresource in FOREIGN_SUBRESOURCE_KINDS:
        return FOREIGN_SUBRESOURCE_KINDS[subresource]
    if subresource == "binding":
        return {"group": "", "version": "v1", "kind": "Binding"}
    if subresource == "proxy":
        return {"group": "", "version": "v1", "kind": f"{rt.kind}ProxyOptions"}
    if subresource in ("log", "exec", "attach", "portforward"):
        return {"group": "", "version": "v1", "kind": rt.kind}
    return {"group": rt.group, "version": rt.version, "kind": rt.kind}


def legacy_core_versions(server_address: str) -> dict[str, Any]:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def legacy_groups() -> dict[str, Any]:
    groups = []
    for group_version in SERVED_GROUP_VERSIONS:
        if "/" not in group_version:
            continue
        group, version = group_version.split("/")
        entry = {"groupVersion": group_version, "version": version}
        groups.append({"name": group, "versions": [entry], "preferredVersion": entry})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def legacy_group(group: str) -> dict[str, Any] | None:
    for entry in legacy_groups()["groups"]:
        if entry["name"] == group:
            return {"kind": "APIGroup", "apiVersion": "v1", **entry}
    return None


def legacy_resources(group: str, version: str) -> dict[str, Any] | None:
    kinds = [rt for rt in SERVED_KINDS if rt.group == group and rt.version == version]
    if not kinds:
        return None
    resources: list[dict[str, Any]] = []
    for rt in kinds:
        entry: dict[str, Any] = {"name": rt.plural, "singularName": rt.singular, "namespaced": rt.namespaced,
                                 "kind": rt.kind, "verbs": list(rt.verbs)}
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.categories:
            entry["categories"] = list(rt.categories)
        resources.append(entry)
        for sub in rt.subresources:
            kind = _subresource_kind(rt, sub)
            foreign = {"group": kind["group"], "version": kind["version"]} if sub in FOREIGN_SUBRESOURCE_KINDS else {}
            resources.append({"name": f"{rt.plural}/{sub}", "singularName": "", "namespaced": rt.namespaced,
                              "kind": kind["kind"], "verbs": subresource_verbs(rt, sub), **foreign})
    group_version = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}


# ----- OpenAPI v3


def openapi_paths(group_version: str) -> str:
    return f"api/{group_version}" if "/" not in group_version else f"apis/{group_version}"


def openapi_document(group_version: str) -> dict[str, Any] | None:
    kinds = [rt for rt in ALL_KINDS if rt.api_version == group_version]
    if not kinds:
        return None
    paths: dict[str, Any] = {}
    for rt in kinds:
        item_path = rt.collection_path("{namespace}") + "/{name}"
        operation = {
            "x-kubernetes-group-version-kind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
            "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "OK"}},
        }
        paths[item_path] = {"patch": operation, "put": operation}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": KUBERNETES_COMPATIBILITY["gitVersion"]},
            "components": {"schemas": {}}, "paths": paths}


def openapi_index() -> dict[str, Any]:
    """Each group-version's document, with a hash in its URL: kubectl HTTP-caches by URL."""
    paths = {}
    for group_version in GROUP_VERSIONS:
        digest = hashlib.sha256(json.dumps(openapi_document(group_version), sort_keys=True).encode()).hexdigest()
        path = openapi_paths(group_version)
        paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest[:32].upper()}"}
    return {"paths": paths}
