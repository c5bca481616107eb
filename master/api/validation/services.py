"""Services: kube-apiserver's ValidateService and ValidateServiceUpdate, field paths and words included.

    ports          required (unless headless or ExternalName), valid numbers, unique by (port, protocol),
                   named (and uniquely) once there are two; nodePort never on a ClusterIP Service
    clusterIP(s)   "", "None" or IPs; the two fields agree; once set they never change
    type           ClusterIP, NodePort, LoadBalancer or ExternalName, and what each allows
    selector       label keys and values; sessionAffinity and the traffic policies from their closed sets

Run after the allocator (master/api/service_allocation.py), as in the apiserver:
a Service arrives with its clusterIP, ipFamilies and node ports already filled
in, so a missing one is reported as Kubernetes reports it. The allocator calls
`validate_cluster_ips` itself first, before it reads the addresses it is asked for.
"""

from __future__ import annotations

import ipaddress
import re

from master.api.defaults import externally_accessible
from master.api.strategy import needs_health_check
from master.api.validation import causes as cause
from master.api.validation.causes import Cause, GoValue, go_quote, go_string_slice
from master.api.validation.container import validate_port_number_or_name
from master.api.validation.meta import validate_labels, validate_object_meta
from master.api.validation.names import is_dns1123_label, is_qualified_name, is_valid_port_num
from objects.selectors import is_dns1123_subdomain, max_len_error, regex_error
from objects.service import HEADLESS, Service, ServicePort, ServiceSpec, ServiceStatus, ServiceType

# Closed sets, listed as Kubernetes lists them in "supported values" (sorted).
SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
SESSION_AFFINITIES = ("ClientIP", "None")
PORT_PROTOCOLS = ("SCTP", "TCP", "UDP")
IP_FAMILIES = ("IPv4", "IPv6")
IP_FAMILY_POLICIES = ("PreferDualStack", "RequireDualStack", "SingleStack")
TRAFFIC_POLICIES = ("Cluster", "Local")
TRAFFIC_DISTRIBUTIONS = ("PreferClose",)
MAX_CLIENT_IP_AFFINITY_SECONDS = 86400

MUST_NOT_CHANGE = "may not change once set"
INVALID_IP = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
INVALID_CIDR = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
ONLY_FOR_LOAD_BALANCERS = "may only be used when `type` is 'LoadBalancer'"

_DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_DNS1035_LABEL = re.compile(_DNS1035_LABEL_FMT)
_DNS1035_LABEL_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
                      "start with an alphabetic character, and end with an alphanumeric character")
DNS1035_LABEL_MAX = 63


def validate_service(service: Service, old: Service | None) -> list[Cause]:
    found = validate_object_meta(service.metadata, namespaced=True, name_rule=name_is_dns1035_label)
    spec = service.spec or ServiceSpec()
    if old is not None:
        old_spec = old.spec or ServiceSpec()
        found += _cluster_ips_unchanged(spec, old_spec)
        found += _ip_families_unchanged(spec, old_spec)
        if needs_health_check(old_spec) and needs_health_check(spec) and \
                spec.health_check_node_port != old_spec.health_check_node_port:
            found.append(cause.forbidden("spec.healthCheckNodePort", "field is immutable"))
    found += _validate_spec(spec)
    found += _validate_status(service.status)
    return found


def name_is_dns1035_label(name: str, *, prefix: bool = False) -> list[str]:
    """Service names are DNS-1035 labels (they become DNS names and environment variables)."""
    if prefix and len(name) > 1 and name.endswith("-"):
        name = name[:-2] + "a"  # a generated suffix follows; masked as Kubernetes masks it
    errors = []
    if len(name) > DNS1035_LABEL_MAX:
        errors.append(max_len_error(DNS1035_LABEL_MAX))
    if not _DNS1035_LABEL.fullmatch(name):
        errors.append(regex_error(_DNS1035_LABEL_MSG, _DNS1035_LABEL_FMT, "my-name", "abc-123"))
    return errors


def is_headless(spec: ServiceSpec) -> bool:
    """Kubernetes' isHeadlessService, on the clusterIPs a request carries (validation and the allocator
    read it before clusterIP and clusterIPs are known to agree; stored objects use Service.is_headless)."""
    return spec.cluster_ips == [HEADLESS]


def validate_cluster_ips(spec: ServiceSpec) -> list[Cause]:
    """clusterIP against clusterIPs, each a valid IP (or "None" alone), and the IP families they name
    (Kubernetes' ValidateServiceClusterIPsRelatedFields). The allocator runs this before allocating."""
    if spec.type == ServiceType.EXTERNAL_NAME:
        return []  # ExternalName Services may set none of these, checked with the type
    ips, families = spec.cluster_ips or [], spec.ip_families or []
    found: list[Cause] = []
    if spec.cluster_ip:
        if not ips:
            found.append(cause.required("spec.clusterIPs"))
        elif ips[0] != spec.cluster_ip:
            found.append(cause.invalid("spec.clusterIPs", _go_strings(ips), "first value must match `clusterIP`"))
    elif ips:
        found.append(cause.invalid("spec.clusterIPs", _go_strings(ips),
                                   "must be empty when `clusterIP` is not specified"))
    seen: set[str] = set()
    for index, family in enumerate(families):
        if family not in IP_FAMILIES:
            found.append(cause.not_supported(f"spec.ipFamilies[{index}]", family, IP_FAMILIES))
        if family in seen:
            found.append(cause.duplicate(f"spec.ipFamilies[{index}]", family))
        seen.add(family)
    if spec.ip_family_policy is not None and spec.ip_family_policy not in IP_FAMILY_POLICIES:
        found.append(cause.not_supported("spec.ipFamilyPolicy", spec.ip_family_policy, IP_FAMILY_POLICIES))
    bad_ips = False
    for index, ip in enumerate(ips):
        if index == 0 and ip == HEADLESS:
            if len(ips) > 1:
                bad_ips = True
                found.append(cause.invalid("spec.clusterIPs", _go_strings(ips),
                                           "'None' must be the first and only value"))
            continue
        if parse_ip(ip) is None:
            bad_ips = True
            found.append(cause.invalid(f"spec.clusterIPs[{index}]", ip, INVALID_IP))
    if len(ips) > 2:
        found.append(cause.invalid("spec.clusterIPs", _go_strings(ips), "may only hold up to 2 values"))
    if bad_ips:
        return found  # the checks below would only repeat the same fault in other words
    if len(ips) > 1 and len({parse_ip(ip).version for ip in ips}) != len(ips):
        found.append(cause.invalid("spec.clusterIPs", _go_strings(ips),
                                   "may specify no more than one IP for each IP family"))
    if ips and ips != [HEADLESS]:
        for index, (ip, family) in enumerate(zip(ips, families)):
            version = parse_ip(ip).version
            if family == "IPv4" and version == 6:
                found.append(cause.invalid(f"spec.clusterIPs[{index}]", ip,
                                           f"expected an IPv4 value as indicated by `ipFamilies[{index}]`"))
            if family == "IPv6" and version == 4:
                found.append(cause.invalid(f"spec.clusterIPs[{index}]", ip,
                                           f"expected an IPv6 value as indicated by `ipFamilies[{index}]`"))
    return found


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def non_special_ip_causes(ip: str, path: str) -> list[Cause]:
    """Addresses no Service or endpoint may use: unspecified, loopback, link-local (ValidateNonSpecialIP)."""
    parsed = parse_ip(ip)
    if parsed is None:
        return [cause.invalid(path, ip, "must be a valid IP address")]
    found = []
    if parsed.is_unspecified:
        found.append(cause.invalid(path, ip, f"may not be unspecified ({ip})"))
    if parsed.is_loopback:
        found.append(cause.invalid(path, ip, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
    if parsed.is_link_local and not parsed.is_multicast:
        found.append(cause.invalid(path, ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
    if parsed in ipaddress.ip_network("224.0.0.0/24") or (
            parsed.version == 6 and parsed.is_multicast and (int(parsed) >> 112) & 0xF == 2):
        found.append(cause.invalid(path, ip, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))
    return found


# --- the spec


def _validate_spec(spec: ServiceSpec) -> list[Cause]:
    found: list[Cause] = []
    headless = is_headless(spec)
    ports = spec.ports or []
    if not ports and not headless and spec.type != ServiceType.EXTERNAL_NAME:
        found.append(cause.required("spec.ports"))
    found += _validate_type_specifics(spec, headless=headless)
    names: set[str] = set()
    for index, port in enumerate(ports):
        found += _validate_port(port, f"spec.ports[{index}]", require_name=len(ports) > 1, names=names)
    if spec.selector is not None:
        found += validate_labels(spec.selector, "spec.selector")
    found += _validate_session_affinity(spec)
    found += validate_cluster_ips(spec)
    for index, ip in enumerate(spec.external_ips or []):
        path = f"spec.externalIPs[{index}]"
        found += [cause.invalid(path, ip, INVALID_IP)] if parse_ip(ip) is None else non_special_ip_causes(ip, path)
    if not spec.type:
        found.append(cause.required("spec.type"))
    elif spec.type not in SERVICE_TYPES:
        found.append(cause.not_supported("spec.type", spec.type, SERVICE_TYPES))
    if spec.type == ServiceType.CLUSTER_IP:
        found += [cause.forbidden(f"spec.ports[{index}].nodePort", "may not be used when `type` is 'ClusterIP'")
                  for index, port in enumerate(ports) if port.node_port]
    found += _duplicate_ports(ports)
    found += _validate_load_balancer_fields(spec)
    found += _validate_traffic_policies(spec)
    return found


def _validate_type_specifics(spec: ServiceSpec, *, headless: bool) -> list[Cause]:
    if spec.type in (ServiceType.LOAD_BALANCER, ServiceType.NODE_PORT) and headless:
        return [cause.invalid("spec.clusterIPs[0]", HEADLESS, f"may not be set to 'None' for {spec.type} services")]
    if spec.type != ServiceType.EXTERNAL_NAME:
        return []
    found = []
    for path, value in (("spec.clusterIPs", spec.cluster_ips), ("spec.ipFamilies", spec.ip_families),
                        ("spec.ipFamilyPolicy", spec.ip_family_policy)):
        if value:
            found.append(cause.forbidden(path, "may not be set for ExternalName services"))
    cname = (spec.external_name or "").removesuffix(".")  # a trailing dot marks a fully qualified name
    if cname:
        found += [cause.invalid("spec.externalName", cname, msg) for msg in is_dns1123_subdomain(cname)]
    else:
        found.append(cause.required("spec.externalName"))
    return found


def _validate_port(port: ServicePort, path: str, *, require_name: bool, names: set[str]) -> list[Cause]:
    found: list[Cause] = []
    if require_name and not port.name:
        found.append(cause.required(f"{path}.name"))
    elif port.name:
        found += [cause.invalid(f"{path}.name", port.name, msg) for msg in is_dns1123_label(port.name)]
        if port.name in names:
            found.append(cause.duplicate(f"{path}.name", port.name))
        names.add(port.name)
    number = port.port or 0
    found += [cause.invalid(f"{path}.port", number, msg) for msg in is_valid_port_num(number)]
    if not port.protocol:
        found.append(cause.required(f"{path}.protocol"))
    elif port.protocol not in PORT_PROTOCOLS:
        found.append(cause.not_supported(f"{path}.protocol", port.protocol, PORT_PROTOCOLS))
    found += validate_port_number_or_name(port.target_port, f"{path}.targetPort")
    if port.app_protocol is not None:
        found += [cause.invalid(f"{path}.appProtocol", port.app_protocol, msg)
                  for msg in is_qualified_name(port.app_protocol)]
    return found


def _duplicate_ports(ports: list[ServicePort]) -> list[Cause]:
    """A node port, or a port, twice for the same protocol."""
    found: list[Cause] = []
    node_ports: set[tuple[str | None, int]] = set()
    for index, port in enumerate(ports):
        if port.node_port:
            if (port.protocol, port.node_port) in node_ports:
                found.append(cause.duplicate(f"spec.ports[{index}].nodePort", port.node_port))
            node_ports.add((port.protocol, port.node_port))
    seen: set[tuple[str | None, int]] = set()
    for index, port in enumerate(ports):
        key = (port.protocol, port.port or 0)
        if key in seen:
            found.append(cause.duplicate(f"spec.ports[{index}]", _go_service_port(port)))
        seen.add(key)
    return found


def _validate_session_affinity(spec: ServiceSpec) -> list[Cause]:
    affinity, config = spec.session_affinity, spec.session_affinity_config
    path = "spec.sessionAffinityConfig"
    if not affinity:
        return [cause.required("spec.sessionAffinity")]
    if affinity not in SESSION_AFFINITIES:
        return [cause.not_supported("spec.sessionAffinity", affinity, SESSION_AFFINITIES)]
    if affinity == "None":
        return [cause.forbidden(path, "must not be set when session affinity is None")] if config is not None else []
    needed = "when session affinity type is ClientIP"
    if config is None:
        return [cause.required(path, needed)]
    client_ip = config.get("clientIP")
    if client_ip is None:
        return [cause.required(f"{path}.clientIP", needed)]
    timeout = client_ip.get("timeoutSeconds")
    if timeout is None:
        return [cause.required(f"{path}.clientIP.timeoutSeconds", needed)]
    if not isinstance(timeout, int) or not 0 < timeout <= MAX_CLIENT_IP_AFFINITY_SECONDS:
        return [cause.invalid(f"{path}.clientIP.timeoutSeconds", timeout,
                              f"must be greater than 0 and less than {MAX_CLIENT_IP_AFFINITY_SECONDS}")]
    return []


def _validate_load_balancer_fields(spec: ServiceSpec) -> list[Cause]:
    found: list[Cause] = []
    load_balancer = spec.type == ServiceType.LOAD_BALANCER
    if spec.load_balancer_source_ranges:
        path = "spec.LoadBalancerSourceRanges"  # sic: Kubernetes capitalizes this one path
        if not load_balancer:
            found.append(cause.forbidden(path, ONLY_FOR_LOAD_BALANCERS))
        for index, value in enumerate(spec.load_balancer_source_ranges):
            try:
                ipaddress.ip_network(value.strip())
            except ValueError:
                found.append(cause.invalid(f"{path}[{index}]", value.strip(), INVALID_CIDR))
    if spec.allocate_load_balancer_node_ports is not None and not load_balancer:
        found.append(cause.forbidden("spec.allocateLoadBalancerNodePorts", ONLY_FOR_LOAD_BALANCERS))
    if load_balancer and spec.allocate_load_balancer_node_ports is None:
        found.append(cause.required("allocateLoadBalancerNodePorts"))  # sic: Kubernetes leaves out "spec."
    if spec.load_balancer_class is not None and not load_balancer:
        found.append(cause.forbidden("spec.loadBalancerClass", ONLY_FOR_LOAD_BALANCERS))
    return found


def _validate_traffic_policies(spec: ServiceSpec) -> list[Cause]:
    found: list[Cause] = []
    external = spec.external_traffic_policy
    if not externally_accessible(spec):
        if external:
            found.append(cause.invalid("spec.externalTrafficPolicy", external,
                                       "may only be set for externally-accessible services"))
    elif not external:
        found.append(cause.required("spec.externalTrafficPolicy"))
    elif external not in TRAFFIC_POLICIES:
        found.append(cause.not_supported("spec.externalTrafficPolicy", external, TRAFFIC_POLICIES))
    health_check_port = spec.health_check_node_port or 0
    if not needs_health_check(spec):
        if health_check_port:
            found.append(cause.invalid("spec.healthCheckNodePort", health_check_port,
                                       "may only be set when `type` is 'LoadBalancer' and "
                                       "`externalTrafficPolicy` is 'Local'"))
    elif not health_check_port:
        found.append(cause.required("spec.healthCheckNodePort"))
    else:
        found += [cause.invalid("spec.healthCheckNodePort", health_check_port, msg)
                  for msg in is_valid_port_num(health_check_port)]
    internal = spec.internal_traffic_policy
    if internal is None and spec.type in (ServiceType.CLUSTER_IP, ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER):
        found.append(cause.required("spec.internalTrafficPolicy"))
    if internal is not None and internal not in TRAFFIC_POLICIES:
        found.append(cause.not_supported("spec.internalTrafficPolicy", internal, TRAFFIC_POLICIES))
    distribution = spec.traffic_distribution
    if distribution is not None and distribution not in TRAFFIC_DISTRIBUTIONS:
        found.append(cause.not_supported("spec.trafficDistribution", distribution, TRAFFIC_DISTRIBUTIONS))
    return found


def _validate_status(status: ServiceStatus | None) -> list[Cause]:
    found: list[Cause] = []
    ingress = (status.load_balancer.ingress if status and status.load_balancer else None) or []
    for index, point in enumerate(ingress):
        path = f"status.loadBalancer.ingress[{index}]"
        ip, hostname = point.get("ip"), point.get("hostname")
        if ip and parse_ip(ip) is None:
            found.append(cause.invalid(f"{path}.ip", ip, "must be a valid IP address"))
        if hostname:
            found += [cause.invalid(f"{path}.hostname", hostname, msg) for msg in is_dns1123_subdomain(hostname)]
            if parse_ip(hostname) is not None:
                found.append(cause.invalid(f"{path}.hostname", hostname, "must be a DNS name, not an IP address"))
    return found


# --- an update


def _cluster_ips_unchanged(spec: ServiceSpec, old: ServiceSpec) -> list[Cause]:
    """The addresses a Service was given stay its own: only a second family may be added or removed
    (Kubernetes' validateUpgradeDowngradeClusterIPs). ExternalName, which has none, is exempt."""
    if ServiceType.EXTERNAL_NAME in (spec.type, old.type) or (is_headless(spec) and is_headless(old)):
        return []
    new_ips, old_ips = spec.cluster_ips or [], old.cluster_ips or []
    shown = _go_strings(new_ips)
    found: list[Cause] = []
    if len(new_ips) == len(old_ips):
        found += [cause.invalid(f"spec.clusterIPs[{index}]", shown, MUST_NOT_CHANGE)
                  for index, ip in enumerate(old_ips) if ip != new_ips[index]]
    elif len(new_ips) < len(old_ips):
        if not new_ips:
            found.append(cause.invalid("spec.clusterIPs[0]", shown, "primary clusterIP can not be unset"))
        elif new_ips[0] != old_ips[0]:
            found.append(cause.invalid("spec.clusterIPs[0]", shown, MUST_NOT_CHANGE))
        if len(new_ips) == 1 and spec.ip_family_policy != "SingleStack":
            found.append(cause.invalid("spec.ipFamilyPolicy", spec.ip_family_policy,
                                       "must be set to 'SingleStack' when releasing the secondary clusterIP"))
    elif old_ips and new_ips[0] != old_ips[0]:
        found.append(cause.invalid("spec.clusterIPs[0]", shown, MUST_NOT_CHANGE))
    return found


def _ip_families_unchanged(spec: ServiceSpec, old: ServiceSpec) -> list[Cause]:
    if ServiceType.EXTERNAL_NAME in (spec.type, old.type) or is_headless(spec) or is_headless(old):
        return []
    new_families, old_families = spec.ip_families or [], old.ip_families or []
    if len(new_families) == len(old_families) and new_families != old_families:
        return [cause.invalid("spec.ipFamilies[0]", _go_strings(new_families, kind="core.IPFamily"), MUST_NOT_CHANGE)]
    if new_families and old_families and new_families[0] != old_families[0]:
        return [cause.invalid("spec.ipFamilies[0]", _go_strings(spec.cluster_ips), MUST_NOT_CHANGE)]
    return []


# --- values as Go prints them


def _go_strings(values: list[str] | None, *, kind: str = "string") -> GoValue:
    text = go_string_slice(values)
    return GoValue(text if kind == "string" else text.replace("[]string", f"[]{kind}", 1))


def _go_service_port(port: ServicePort) -> GoValue:
    """The (protocol, port) key a duplicate is reported by: a core.ServicePort with only those set."""
    return GoValue(f"core.ServicePort{{Name:\"\", Protocol:{go_quote(port.protocol or '')}, "
                   f"AppProtocol:(*string)(nil), Port:{port.port or 0}, "
                   f"TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}")
