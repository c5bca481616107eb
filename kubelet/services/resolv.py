"""A pod's /etc/resolv.conf from its dnsPolicy and dnsConfig, as the kubelet's GetPodDNS builds it.

    dnsPolicy ClusterFirst (the default), ClusterFirstWithHostNet:
        nameserver <cluster DNS IP>                  (the kubelet's --cluster-dns: kube-dns's ClusterIP)
        search <ns>.svc.<domain> svc.<domain> <domain> <the node's search domains>
        options ndots:5
    dnsPolicy Default:   the node's resolv.conf (here: the one the runtime gave the pod's sandbox)
    dnsPolicy None:      nothing but spec.dnsConfig
    then spec.dnsConfig: nameservers and searches appended (no repeats), options merged by name.

ClusterFirst falls back to Default when the kubelet has no cluster DNS, as in
Kubernetes. Kubernetes' limits apply: 3 nameservers, 32 search domains.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from objects.pod import Pod

MARKER = "# written by the tinykube kubelet"  # a sandbox whose resolv.conf starts with it is already done
CLUSTER_FIRST, CLUSTER_FIRST_WITH_HOST_NET, DEFAULT, NONE = "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"
MAX_NAMESERVERS = 3
MAX_SEARCHES = 32
CLUSTER_OPTIONS = ("ndots:5",)


@dataclass(frozen=True)
class ResolvConf:
    nameservers: tuple[str, ...] = ()
    searches: tuple[str, ...] = ()
    options: tuple[str, ...] = ()  # "name" or "name:value"

    def render(self, *, policy: str = "") -> str:
        lines = [f"{MARKER} (dnsPolicy {policy})" if policy else MARKER]
        lines += [f"nameserver {server}" for server in self.nameservers]
        if self.searches:
            lines.append("search " + " ".join(self.searches))
        if self.options:
            lines.append("options " + " ".join(self.options))
        return "\n".join(lines) + "\n"


def parse(text: str) -> ResolvConf:
    nameservers: list[str] = []
    searches: list[str] = []
    options: list[str] = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if words[0] == "nameserver" and len(words) > 1:
            nameservers.append(words[1])
        elif words[0] in ("search", "domain"):
            searches = words[1:]  # the last search or domain line wins, as in glibc
        elif words[0] == "options":
            options += words[1:]
    return ResolvConf(tuple(nameservers), tuple(searches), tuple(options))


def dns_policy(pod: Pod) -> str:
    return (pod.spec and pod.spec.dns_policy) or CLUSTER_FIRST


def pod_resolv_conf(pod: Pod, *, cluster_dns: tuple[str, ...], cluster_domain: str, host: ResolvConf) -> ResolvConf:
    policy = dns_policy(pod)
    namespace = pod.metadata.namespace or ""
    if policy in (CLUSTER_FIRST, CLUSTER_FIRST_WITH_HOST_NET) and cluster_dns:
        cluster_searches = (f"{namespace}.svc.{cluster_domain}", f"svc.{cluster_domain}", cluster_domain)
        base = ResolvConf(cluster_dns, _unique(cluster_searches + host.searches), CLUSTER_OPTIONS)
    elif policy == NONE:
        base = ResolvConf()
    else:  # Default, or ClusterFirst on a node with no cluster DNS
        base = host
    extra = pod.spec.dns_config if pod.spec else None
    if extra is not None:
        extra_options = tuple(f"{o.name}:{o.value}" if o.value is not None else o.name or ""
                              for o in extra.options or [] if o.name)
        base = ResolvConf(_unique(base.nameservers + tuple(extra.nameservers or ())),
                          _unique(base.searches + tuple(extra.searches or ())),
                          _merge_options(base.options, extra_options))
    return ResolvConf(base.nameservers[:MAX_NAMESERVERS], base.searches[:MAX_SEARCHES], base.options)


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))


def _merge_options(base: tuple[str, ...], extra: tuple[str, ...]) -> tuple[str, ...]:
    """By option name; an option of dnsConfig replaces the same-named one of the base."""
    merged: dict[str, str] = {}
    for option in base + extra:
        merged[option.split(":", 1)[0]] = option
    return tuple(merged.values())
