"""Fault (tinykube.io/v1alpha1): what a kubelet needs to carry one out, checked before it is stored.

Each type names the fields it needs (objects/fault.py); a field another type
uses is ignored rather than refused, so a fault can be copied and retyped.
"""

from __future__ import annotations

from master.api.validation import causes as cause
from master.api.validation.causes import Cause
from master.api.validation.meta import validate_object_meta
from master.api.validation.names import name_is_dns_subdomain
from objects.fault import (
    FAULT_PHASES, FAULT_TYPES, MAX_DELAY_MILLISECONDS, MAX_DURATION_SECONDS, MAX_EXIT_CODE, MIN_EXIT_CODE, Fault,
    FaultSpec,
)


def validate_fault(fault: Fault, old: Fault | None) -> list[Cause]:
    found = validate_object_meta(fault.metadata, namespaced=False, name_rule=name_is_dns_subdomain)
    found += _validate_spec(fault.spec, "spec")
    if fault.status and fault.status.phase and fault.status.phase not in FAULT_PHASES:
        found.append(cause.not_supported("status.phase", fault.status.phase, FAULT_PHASES))
    return found


def _validate_spec(spec: FaultSpec, path: str) -> list[Cause]:
    found: list[Cause] = []
    if not spec.type:
        found.append(cause.required(f"{path}.type"))
    elif spec.type not in FAULT_TYPES:
        found.append(cause.not_supported(f"{path}.type", spec.type, FAULT_TYPES))
    if not spec.node_name:
        found.append(cause.required(f"{path}.nodeName"))
    else:
        found += [cause.invalid(f"{path}.nodeName", spec.node_name, msg) for msg in name_is_dns_subdomain(spec.node_name)]
    if spec.duration_seconds is not None and not 1 <= spec.duration_seconds <= MAX_DURATION_SECONDS:
        found.append(cause.invalid(f"{path}.durationSeconds", spec.duration_seconds,
                                   f"must be between 1 and {MAX_DURATION_SECONDS}, inclusive"))
    if spec.type == "CrashContainer":
        found += _validate_crash(spec, path)
    elif spec.type == "FailPulls" and not spec.image:
        found.append(cause.required(f"{path}.image", "the image whose pulls fail"))
    elif spec.type == "DelayRuntime":
        found += _validate_delay(spec, path)
    return found


def _validate_delay(spec: FaultSpec, path: str) -> list[Cause]:
    delay = spec.delay_milliseconds
    if delay is None:
        return [cause.required(f"{path}.delayMilliseconds")]
    if delay <= 0:
        return [cause.invalid(f"{path}.delayMilliseconds", delay, "must be greater than 0")]
    # Each runtime call waits the whole delay: a longer one would keep the node slow after the fault ended.
    most = min(MAX_DELAY_MILLISECONDS, spec.duration * 1000)
    if delay > most:
        return [cause.invalid(f"{path}.delayMilliseconds", delay,
                              f"must be at most {most}: {MAX_DELAY_MILLISECONDS} and the fault's duration "
                              f"({spec.duration} s) in milliseconds")]
    return []


def _validate_crash(spec: FaultSpec, path: str) -> list[Cause]:
    found: list[Cause] = []
    if not spec.pod:
        found.append(cause.required(f"{path}.pod", 'the pod as "namespace/name"'))
    else:
        namespace, slash, name = spec.pod.partition("/")
        if not slash or not namespace or not name or "/" in name:
            found.append(cause.invalid(f"{path}.pod", spec.pod, 'must be "namespace/name"'))
    if spec.exit_code is not None and not MIN_EXIT_CODE <= spec.exit_code <= MAX_EXIT_CODE:
        found.append(cause.invalid(
            f"{path}.exitCode", spec.exit_code,
            f"must be between {MIN_EXIT_CODE} and {MAX_EXIT_CODE}: 128 + a signal number, because the Docker "
            "engine can end a container only by a signal (137 is SIGKILL, 143 SIGTERM)"))
    return found
