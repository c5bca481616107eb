"""Containers of a pod spec: names, images, ports, env, mounts, resources, probes and lifecycle hooks."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from master.api.validation import causes as cause
from master.api.validation.causes import Cause, GoValue
from master.api.validation.names import (
    is_dns1123_label, is_dns1123_subdomain, is_env_var_name, is_qualified_name, is_valid_port_name,
    is_valid_port_num,
)
from objects.container import Container, ContainerPort, EnvVar, Lifecycle, LifecycleHandler, Probe, ResourceRequirements
from objects.quantity import Quantity, canonical_quantity, parse_quantity

PORT_PROTOCOLS = ("SCTP", "TCP", "UDP")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
TERMINATION_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")
HTTP_SCHEMES = ("HTTP", "HTTPS")
STANDARD_CONTAINER_RESOURCES = ("cpu", "memory", "ephemeral-storage")
ENV_FIELD_PATHS = (
    "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
    "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs",
)
_SUBSCRIPTED_FIELD_PATH = re.compile(r"metadata\.(labels|annotations)\['(.*)'\]")
_PROBE_COUNTERS = ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold")
NOT_FOR_PLAIN_INIT_CONTAINERS = "may not be set for init containers without restartPolicy=Always"
MUST_BE_NON_NEGATIVE = "must be greater than or equal to 0"


def validate_containers(containers: list[Container] | None, path: str, volumes: set[str]) -> list[Cause]:
    """The regular containers: at least one, names unique, probes and hooks allowed."""
    if not containers:
        return [cause.required(path)]
    found: list[Cause] = []
    seen: set[str] = set()
    for index, ctr in enumerate(containers):
        item = f"{path}[{index}]"
        found += _validate_container_common(ctr, item, volumes)
        if (ctr.name or "") in seen:
            found.append(cause.duplicate(f"{item}.name", ctr.name or ""))
        seen.add(ctr.name or "")
        found += _validate_probes_and_hooks(ctr, item)
        if ctr.restart_policy is not None:
            found.append(cause.forbidden(f"{item}.restartPolicy", "may not be set for non-init containers"))
    return found + _host_port_conflicts(containers, path)


def validate_init_containers(init_containers: list[Container] | None, regular: list[Container] | None,
                             path: str, volumes: set[str]) -> list[Cause]:
    """Init containers run one by one before the others; only sidecars (restartPolicy Always) may have probes."""
    found: list[Cause] = []
    names = {ctr.name or "" for ctr in regular or []}
    for index, ctr in enumerate(init_containers or []):
        item = f"{path}[{index}]"
        found += _validate_container_common(ctr, item, volumes)
        if ctr.restart_policy is not None and ctr.restart_policy != "Always":
            found.append(cause.not_supported(f"{item}.restartPolicy", ctr.restart_policy, ["Always"]))
        if (ctr.name or "") in names:
            found.append(cause.duplicate(f"{item}.name", ctr.name or ""))
        elif ctr.name:
            names.add(ctr.name)
        found += _host_port_conflicts([ctr], path)
        if ctr.restart_policy == "Always":
            found += _validate_probes_and_hooks(ctr, item)
            continue
        for field, value in (("lifecycle", ctr.lifecycle), ("livenessProbe", ctr.liveness_probe),
                             ("readinessProbe", ctr.readiness_probe), ("startupProbe", ctr.startup_probe)):
            if value is not None:
                found.append(cause.forbidden(f"{item}.{field}", NOT_FOR_PLAIN_INIT_CONTAINERS))
    return found


def validate_resources(resources: ResourceRequirements | None, path: str) -> list[Cause]:
    """Names are known resources, quantities parse and are not negative, and requests stay within limits."""
    if resources is None:
        return []
    found: list[Cause] = []
    limits: dict[str, Decimal] = {}
    for name, quantity in (resources.limits or {}).items():
        key_path = f"{path}.limits[{name}]"
        found += _validate_resource_name(name, key_path)
        amount, errors = _resource_amount(name, quantity, key_path)
        found += errors
        if amount is not None:
            limits[name] = amount
    for name, quantity in (resources.requests or {}).items():
        key_path = f"{path}.requests[{name}]"
        found += _validate_resource_name(name, key_path)
        amount, errors = _resource_amount(name, quantity, key_path)
        found += errors
        if amount is None:
            continue
        limit = limits.get(name)
        if limit is not None:
            limit_text = canonical_quantity(resources.limits[name])
            if amount != limit and not _overcommit_allowed(name):
                found.append(cause.invalid(f"{path}.requests", canonical_quantity(quantity),
                                           f"must be equal to {name} limit of {limit_text}"))
            elif amount > limit:
                found.append(cause.invalid(f"{path}.requests", canonical_quantity(quantity),
                                           f"must be less than or equal to {name} limit of {limit_text}"))
        elif name not in (resources.limits or {}) and not _overcommit_allowed(name):
            found.append(cause.required(f"{path}.limits", "Limit must be set for non overcommitable resources"))
    return found


def validate_port_number_or_name(port: int | str | None, path: str) -> list[Cause]:
    if isinstance(port, str):
        return [cause.invalid(path, port, msg) for msg in is_valid_port_name(port)]
    number = port or 0
    return [cause.invalid(path, number, msg) for msg in is_valid_port_num(number)]


# --- one container


def _validate_container_common(ctr: Container, path: str, volumes: set[str]) -> list[Cause]:
    found: list[Cause] = []
    if not ctr.name:
        found.append(cause.required(f"{path}.name"))
    else:
        found += [cause.invalid(f"{path}.name", ctr.name, msg) for msg in is_dns1123_label(ctr.name)]
    if not ctr.image:
        found.append(cause.required(f"{path}.image"))
    found += _one_of(ctr.termination_message_policy, TERMINATION_MESSAGE_POLICIES, f"{path}.terminationMessagePolicy")
    found += _validate_ports(ctr.ports, f"{path}.ports")
    found += _validate_env(ctr.env, f"{path}.env")
    found += _validate_volume_mounts(ctr, f"{path}.volumeMounts", volumes)
    found += _one_of(ctr.image_pull_policy, PULL_POLICIES, f"{path}.imagePullPolicy")
    found += validate_resources(ctr.resources, f"{path}.resources")
    return found


def _one_of(value: str | None, supported: tuple[str, ...], path: str) -> list[Cause]:
    if not value:
        return [cause.required(path)]
    return [] if value in supported else [cause.not_supported(path, value, supported)]


def _validate_ports(ports: list[ContainerPort] | None, path: str) -> list[Cause]:
    found: list[Cause] = []
    names: set[str] = set()
    for index, port in enumerate(ports or []):
        item = f"{path}[{index}]"
        if port.name:
            if errors := is_valid_port_name(port.name):
                found += [cause.invalid(f"{item}.name", port.name, msg) for msg in errors]
            elif port.name in names:
                found.append(cause.duplicate(f"{item}.name", port.name))
            else:
                names.add(port.name)
        if not port.container_port:
            found.append(cause.required(f"{item}.containerPort"))
        else:
            found += [cause.invalid(f"{item}.containerPort", port.container_port, msg)
                      for msg in is_valid_port_num(port.container_port)]
        if port.host_port:  # 0 means "no host port"
            found += [cause.invalid(f"{item}.hostPort", port.host_port, msg) for msg in is_valid_port_num(port.host_port)]
        if not port.protocol:
            found.append(cause.required(f"{item}.protocol"))
        elif port.protocol not in PORT_PROTOCOLS:
            found.append(cause.not_supported(f"{item}.protocol", port.protocol, PORT_PROTOCOLS))
    return found


def _host_port_conflicts(containers: list[Container], path: str) -> list[Cause]:
    """Two ports of a pod cannot claim the same host port, protocol and address."""
    found: list[Cause] = []
    claimed: set[str] = set()
    for ci, ctr in enumerate(containers):
        for pi, port in enumerate(ctr.ports or []):
            if not port.host_port:
                continue
            claim = f"{port.protocol or ''}/{port.host_ip or ''}/{port.host_port}"
            if claim in claimed:
                found.append(cause.duplicate(f"{path}[{ci}].ports[{pi}].hostPort", claim))
            claimed.add(claim)
    return found


def _validate_env(env: list[EnvVar] | None, path: str) -> list[Cause]:
    found: list[Cause] = []
    for index, var in enumerate(env or []):
        item = f"{path}[{index}]"
        if not var.name:
            found.append(cause.required(f"{item}.name"))
        else:
            found += [cause.invalid(f"{item}.name", var.name, msg) for msg in is_env_var_name(var.name)]
        found += _validate_env_source(var, f"{item}.valueFrom")
    return found


def _validate_env_source(var: EnvVar, path: str) -> list[Cause]:
    source = var.value_from
    if source is None:
        return []
    found: list[Cause] = []
    if source.field_ref is not None:
        found += _validate_env_field_ref(source.field_ref.api_version, source.field_ref.field_path, f"{path}.fieldRef")
    if source.resource_field_ref is not None and not source.resource_field_ref.resource:
        found.append(cause.required(f"{path}.resourceFieldRef.resource"))
    for field, ref in (("configMapKeyRef", source.config_map_key_ref), ("secretKeyRef", source.secret_key_ref)):
        if ref is None:
            continue
        found += [cause.invalid(f"{path}.{field}.name", ref.name or "", msg) for msg in is_dns1123_subdomain(ref.name or "")]
        if not ref.key:
            found.append(cause.required(f"{path}.{field}.key"))
    count = sum(ref is not None for ref in (source.field_ref, source.resource_field_ref,
                                            source.config_map_key_ref, source.secret_key_ref))
    if count == 0:
        found.append(cause.invalid(path, "", "must specify one of: `fieldRef`, `resourceFieldRef`, "
                                             "`configMapKeyRef` or `secretKeyRef`"))
    elif var.value:
        found.append(cause.invalid(path, "", "may not be specified when `value` is not empty"))
    elif count > 1:
        found.append(cause.invalid(path, "", "may not have more than one field specified at a time"))
    return found


def _validate_env_field_ref(api_version: str | None, field_path: str | None, path: str) -> list[Cause]:
    if not api_version:
        return [cause.required(f"{path}.apiVersion")]
    if not field_path:
        return [cause.required(f"{path}.fieldPath")]
    if subscripted := _SUBSCRIPTED_FIELD_PATH.fullmatch(field_path):
        key = subscripted.group(2).lower() if subscripted.group(1) == "annotations" else subscripted.group(2)
        return [cause.invalid(path, key, msg) for msg in is_qualified_name(key)]
    if field_path not in ENV_FIELD_PATHS:
        return [cause.not_supported(f"{path}.fieldPath", field_path, ENV_FIELD_PATHS)]
    return []


def _validate_volume_mounts(ctr: Container, path: str, volumes: set[str]) -> list[Cause]:
    found: list[Cause] = []
    mount_paths: set[str] = set()
    for index, mount in enumerate(ctr.volume_mounts or []):
        item = f"{path}[{index}]"
        if not mount.name:
            found.append(cause.required(f"{item}.name"))
        if (mount.name or "") not in volumes:
            found.append(cause.not_found(f"{item}.name", mount.name or ""))
        if not mount.mount_path:
            found.append(cause.required(f"{item}.mountPath"))
        if (mount.mount_path or "") in mount_paths:
            found.append(cause.invalid(f"{item}.mountPath", mount.mount_path or "", "must be unique"))
        mount_paths.add(mount.mount_path or "")
    return found


# --- resources


def _resource_amount(name: str, quantity: Quantity, path: str) -> tuple[Decimal | None, list[Cause]]:
    """The parsed quantity, or None with the reasons it is not a usable amount."""
    try:
        amount = parse_quantity(quantity)
    except ValueError as error:
        # The quantity module phrases its errors as "invalid quantity ...: <Kubernetes' reason>".
        return None, [cause.invalid(path, str(quantity), str(error).rsplit(": ", 1)[-1])]
    if amount < 0:
        return None, [cause.invalid(path, canonical_quantity(quantity), MUST_BE_NON_NEGATIVE)]
    if _is_extended_resource(name) and amount != amount.to_integral_value():
        return amount, [cause.invalid(path, GoValue(canonical_quantity(quantity)), "must be an integer")]
    return amount, []


def _validate_resource_name(name: str, path: str) -> list[Cause]:
    found = [cause.invalid(path, name, msg) for msg in is_qualified_name(name)]
    if "/" not in name:
        if name not in STANDARD_CONTAINER_RESOURCES and not name.startswith("hugepages-"):
            found.append(cause.invalid(path, name, "must be a standard resource for containers"))
    elif not _is_native_resource(name) and not _is_extended_resource(name):
        found.append(cause.invalid(path, name, "doesn't follow extended resource name standard"))
    return found


def _is_native_resource(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def _is_extended_resource(name: str) -> bool:
    """A vendor resource (`example.com/gpu`): counted in whole units and never overcommitted."""
    if _is_native_resource(name) or name.startswith("requests."):
        return False
    return not is_qualified_name("requests." + name)


def _overcommit_allowed(name: str) -> bool:
    return _is_native_resource(name) and not name.startswith("hugepages-")


# --- probes and lifecycle hooks


def _validate_probes_and_hooks(ctr: Container, path: str) -> list[Cause]:
    found: list[Cause] = []
    if ctr.lifecycle is not None:
        found += _validate_lifecycle(ctr.lifecycle, f"{path}.lifecycle")
    for field, probe in (("livenessProbe", ctr.liveness_probe), ("startupProbe", ctr.startup_probe)):
        if probe is not None:
            found += _validate_probe(probe, f"{path}.{field}")
            if (probe.success_threshold or 0) != 1:
                found.append(cause.invalid(f"{path}.{field}.successThreshold", probe.success_threshold or 0, "must be 1"))
    if ctr.readiness_probe is not None:
        found += _validate_probe(ctr.readiness_probe, f"{path}.readinessProbe")
        if ctr.readiness_probe.termination_grace_period_seconds is not None:
            found.append(cause.invalid(f"{path}.readinessProbe.terminationGracePeriodSeconds",
                                       ctr.readiness_probe.termination_grace_period_seconds,
                                       "must not be set for readinessProbes"))
    return found


def _validate_probe(probe: Probe, path: str) -> list[Cause]:
    handlers = (("exec", probe.exec), ("httpGet", probe.http_get), ("tcpSocket", probe.tcp_socket), ("grpc", probe.grpc))
    found = _validate_handler(handlers, path)
    for wire_name, value in zip(_PROBE_COUNTERS, (probe.initial_delay_seconds, probe.timeout_seconds,
                                                  probe.period_seconds, probe.success_threshold,
                                                  probe.failure_threshold)):
        if (value or 0) < 0:
            found.append(cause.invalid(f"{path}.{wire_name}", value, MUST_BE_NON_NEGATIVE))
    grace = probe.termination_grace_period_seconds
    if grace is not None and grace <= 0:
        found.append(cause.invalid(f"{path}.terminationGracePeriodSeconds", grace, "must be greater than 0"))
    return found


def _validate_lifecycle(lifecycle: Lifecycle, path: str) -> list[Cause]:
    found: list[Cause] = []
    for field, hook in (("postStart", lifecycle.post_start), ("preStop", lifecycle.pre_stop)):
        if hook is not None:
            found += _validate_handler(_hook_handlers(hook), f"{path}.{field}")
    return found


def _hook_handlers(hook: LifecycleHandler) -> tuple[tuple[str, Any], ...]:
    return ("exec", hook.exec), ("httpGet", hook.http_get), ("tcpSocket", hook.tcp_socket), ("sleep", hook.sleep)


def _validate_handler(handlers: tuple[tuple[str, Any], ...], path: str) -> list[Cause]:
    """Exactly one way to probe or hook: exec, httpGet, tcpSocket, grpc (probes) or sleep (hooks)."""
    found: list[Cause] = []
    chosen = 0
    for field, action in handlers:
        if action is None:
            continue
        if chosen:
            found.append(cause.forbidden(f"{path}.{field}", "may not specify more than 1 handler type"))
            continue
        chosen += 1
        found += _validate_action(field, action, f"{path}.{field}")
    if not chosen:
        found.append(cause.required(path, "must specify a handler type"))
    return found


def _validate_action(kind: str, action: Any, path: str) -> list[Cause]:
    if kind == "exec":
        return [] if action.command else [cause.required(f"{path}.command")]
    if kind == "httpGet":
        found = [] if action.path else [cause.required(f"{path}.path")]
        found += validate_port_number_or_name(action.port, f"{path}.port")
        if (action.scheme or "") not in HTTP_SCHEMES:
            found.append(cause.not_supported(f"{path}.scheme", action.scheme or "", HTTP_SCHEMES))
        return found
    if kind in ("tcpSocket", "grpc"):
        return validate_port_number_or_name(action.port if kind == "tcpSocket" else action.port or 0, f"{path}.port")
    return []
