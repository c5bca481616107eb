"""Read a REST path the way the apiserver's RequestInfoFactory does.

    /api/v1/namespaces/default/pods/web/status
     └┬┘ └┬┘           └──┬──┘ └┬─┘ └┬┘ └─┬──┘
    prefix version  namespace resource name subresource

`/api/v1/namespaces/default` is the namespace object itself, and
`/api/v1/namespaces/default/status` its status; everything after a subresource
(`pods/web/proxy/a/b`) is kept as `subpath`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RequestInfo:
    group: str
    version: str
    resource: str = ""  # empty for the group-version root (discovery)
    namespace: str | None = None
    name: str | None = None
    subresource: str = ""
    subpath: str = ""


def parse_request_info(path: str) -> RequestInfo | None:
    """None when the path is not under /api or /apis/{group}/{version}."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    if not rest:
        return RequestInfo(group, version)

    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3 and not (group == "" and len(rest) == 3 and rest[2] in ("status", "finalize")):
        namespace, rest = rest[1], rest[2:]

    resource = rest[0]
    name = rest[1] if len(rest) > 1 else None
    subresource = rest[2] if len(rest) > 2 else ""
    subpath = "/".join(rest[3:]) if len(rest) > 3 else ""
    if subresource and path.endswith("/") and len(rest) > 2:
        subpath += "/"
    return RequestInfo(group, version, resource, namespace, name, subresource, subpath)
