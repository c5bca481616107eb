"""What a DNS name asks for, read the way CoreDNS's kubernetes plugin reads it.

    web.default.svc.cluster.local            the Service web in default
    10-1-2-3.web.default.svc.cluster.local   one endpoint of web (its hostname, or its IP with dashes)
    _http._tcp.web.default.svc.cluster.local the port named http, over TCP, of web (SRV)
    10-1-2-3.default.pod.cluster.local       the pod IP 10.1.2.3 in default
    default.svc.cluster.local, svc.cluster.local, cluster.local   names that exist but hold no records
    3.2.1.10.in-addr.arpa                    a reverse lookup of 10.1.2.3

Anything else under the cluster domain (too many labels, a fourth label from the
right that is neither svc nor pod) names nothing: the resolver answers NXDOMAIN.
A search-list expansion such as web.default.svc.cluster.local.default.svc.cluster.local
lands there, which is why pods' lookups through ndots:5 stay cheap.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum

REVERSE_V4_ZONE = "in-addr.arpa"
REVERSE_V6_ZONE = "ip6.arpa"


class Branch(StrEnum):
    SVC = "svc"
    POD = "pod"


@dataclass(frozen=True)
class ClusterName:
    """A name under the cluster domain, split into its parts; an unset part is "".

    `branch` is None for the zone's apex and for "svc." or "pod." alone."""

    branch: Branch | None = None
    namespace: str = ""
    service: str = ""  # for the pod branch: the pod's dashed IP
    endpoint: str = ""
    port: str = ""  # a Service port's name, without its underscore
    protocol: str = ""  # tcp, udp or sctp, without its underscore


def labels_of(name: str) -> list[str]:
    """The labels of a name, lower-cased (DNS names compare case-insensitively), without the root."""
    return [label for label in name.lower().rstrip(".").split(".") if label]


def relative_labels(name: str, zone: str) -> list[str] | None:
    """The labels of `name` left of `zone`, or None when the name is not in the zone."""
    labels, zone_labels = labels_of(name), labels_of(zone)
    if len(labels) < len(zone_labels) or labels[len(labels) - len(zone_labels):] != zone_labels:
        return None
    return labels[:len(labels) - len(zone_labels)]


def parse_cluster_name(labels: list[str]) -> ClusterName | None:
    """Read the labels left of the cluster domain; None when they name nothing the cluster could hold."""
    if not labels:
        return ClusterName()
    *rest, branch = labels
    if branch not in (Branch.SVC, Branch.POD):
        return None
    parts = list(reversed(rest))  # namespace, service, then what comes before them
    name = ClusterName(branch=Branch(branch), namespace=parts[0] if parts else "",
                       service=parts[1] if len(parts) > 1 else "")
    extra = parts[2:]
    if not extra:
        return name
    if len(extra) == 1:
        return ClusterName(name.branch, name.namespace, name.service, endpoint=extra[0])
    if len(extra) == 2:
        protocol, port = extra
        return ClusterName(name.branch, name.namespace, name.service,
                           port=port.removeprefix("_"), protocol=protocol.removeprefix("_"))
    return None


def pod_ip(dashed: str) -> str | None:
    """The IP a pod name spells with dashes (10-1-2-3, or fd00--1 for IPv6), or None."""
    text = dashed.replace("-", ".") if dashed.count("-") == 3 and "--" not in dashed else dashed.replace("-", ":")
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def dashed(ip: str) -> str:
    """An IP as a DNS label: what names an endpoint that has no hostname."""
    return ip.replace(".", "-").replace(":", "-")


def reverse_ip(name: str) -> str | None:
    """The address a reverse-lookup name stands for (3.2.1.10.in-addr.arpa -> 10.1.2.3), or None."""
    labels = labels_of(name)
    if relative_labels(name, REVERSE_V4_ZONE) is not None and len(labels) == 6:
        text = ".".join(reversed(labels[:4]))
    elif relative_labels(name, REVERSE_V6_ZONE) is not None and len(labels) == 34:
        nibbles = "".join(reversed(labels[:32]))
        text = ":".join(nibbles[i:i + 4] for i in range(0, 32, 4))
    else:
        return None
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def is_reverse(name: str) -> bool:
    return relative_labels(name, REVERSE_V4_ZONE) is not None or relative_labels(name, REVERSE_V6_ZONE) is not None
