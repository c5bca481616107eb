"""Pods and pod templates: the spec, its volumes and tolerations, and what an update may change.

A pod is immutable once created except for a handful of fields; everything
else must be changed by creating a new pod (which is what controllers do).
"""

from __future__ import annotations

import json

from pydantic.alias_generators import to_camel

from master.api.validation import causes as cause
from master.api.validation.causes import Cause
from master.api.validation.container import validate_containers, validate_init_containers
from master.api.validation.meta import validate_annotations, validate_labels, validate_object_meta
from master.api.validation.names import (
    inclusive_range_error, is_dns1123_label, is_label_value, is_qualified_name, name_is_dns_subdomain,
)
from objects.apps import PodTemplateSpec
from objects.meta import ObjectMeta
from objects.pod import Pod, PodSpec, Toleration
from objects.volumes import Volume

RESTART_POLICIES = ("Always", "OnFailure", "Never")
DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
TOLERATION_OPERATORS = ("Equal", "Exists")
HOST_PATH_TYPES = ("", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket")
MAX_INT32 = 2**31 - 1
MAX_FILE_MODE = 0o777
FILE_MODE_ERROR = "must be a number between 0 and 0777 (octal), both inclusive"
UPDATABLE_POD_FIELDS = (
    "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
    "`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)

# Volume sources in the order Kubernetes checks them: with two set, the later one is reported.
VOLUME_SOURCES = (
    "empty_dir", "host_path", "git_repo", "gce_persistent_disk", "aws_elastic_block_store", "secret", "nfs", "iscsi",
    "glusterfs", "flocker", "persistent_volume_claim", "rbd", "cinder", "cephfs", "quobyte", "downward_api", "fc",
    "flex_volume", "config_map", "azure_file", "vsphere_volume", "photon_persistent_disk", "portworx_volume",
    "azure_disk", "storageos", "projected", "scale_io", "csi", "ephemeral", "image",
)


def validate_pod(pod: Pod, old: Pod | None) -> list[Cause]:
    found = validate_object_meta(pod.metadata, namespaced=True, name_rule=name_is_dns_subdomain)
    spec = pod.spec or PodSpec()
    found += validate_pod_spec(spec, "spec", in_pod=True)
    for field, containers in (("containers", spec.containers), ("initContainers", spec.init_containers)):
        for index, ctr in enumerate(containers or []):
            if ctr.image and ctr.image != ctr.image.strip():
                found.append(cause.invalid(f"spec.{field}[{index}].image", ctr.image,
                                           "must not have leading or trailing whitespace"))
    if old is not None:
        found += _validate_pod_update(spec, old.spec or PodSpec())
    return found


def validate_pod_template(template: PodTemplateSpec | None, path: str) -> list[Cause]:
    """A controller's pod template: labels, annotations and a pod spec (checked a little more leniently)."""
    template = template or PodTemplateSpec()
    meta = template.metadata or ObjectMeta()
    # Kubernetes names these `<path>.labels`, without `metadata`; kept so messages match.
    found = validate_labels(meta.labels, f"{path}.labels")
    found += validate_annotations(meta.annotations, f"{path}.annotations")
    return found + validate_pod_spec(template.spec or PodSpec(), f"{path}.spec", in_pod=False)


def validate_pod_spec(spec: PodSpec, path: str, *, in_pod: bool) -> list[Cause]:
    found: list[Cause] = []
    grace = spec.termination_grace_period_seconds
    if grace is None:
        found.append(cause.required(f"{path}.terminationGracePeriodSeconds"))
    elif grace < 0:
        found.append(cause.invalid(f"{path}.terminationGracePeriodSeconds", grace, "must be greater than or equal to 0"))
    volumes, volume_causes = _validate_volumes(spec.volumes, f"{path}.volumes")
    found += volume_causes
    found += validate_containers(spec.containers, f"{path}.containers", volumes)
    found += validate_init_containers(spec.init_containers, spec.containers, f"{path}.initContainers", volumes)
    found += _validate_host_network_ports(spec, path, in_pod=in_pod)
    found += _one_of(spec.restart_policy, RESTART_POLICIES, f"{path}.restartPolicy")
    found += _one_of(spec.dns_policy, DNS_POLICIES, f"{path}.dnsPolicy")
    found += validate_labels(spec.node_selector, f"{path}.nodeSelector")
    for field, value in (("serviceAccountName", spec.service_account_name), ("nodeName", spec.node_name)):
        if value:
            found += [cause.invalid(f"{path}.{field}", value, msg) for msg in name_is_dns_subdomain(value)]
    deadline = spec.active_deadline_seconds
    if deadline is not None and not 1 <= deadline <= MAX_INT32:
        found.append(cause.invalid(f"{path}.activeDeadlineSeconds", deadline, inclusive_range_error(1, MAX_INT32)))
    for field, value in (("hostname", spec.hostname), ("subdomain", spec.subdomain)):
        if value:
            found += [cause.invalid(f"{path}.{field}", value, msg) for msg in is_dns1123_label(value)]
    return found + validate_tolerations(spec.tolerations, f"{path}.tolerations")


def validate_tolerations(tolerations: list[Toleration] | None, path: str) -> list[Cause]:
    found: list[Cause] = []
    for index, toleration in enumerate(tolerations or []):
        item = f"{path}[{index}]"
        key, operator, effect = toleration.key or "", toleration.operator or "", toleration.effect or ""
        if key:
            found += [cause.invalid(f"{item}.key", key, msg) for msg in is_qualified_name(key)]
        if not key and operator != "Exists":
            found.append(cause.invalid(f"{item}.operator", operator,
                                       'operator must be Exists when `key` is empty, which means "match all values '
                                       'and all keys"'))
        if toleration.toleration_seconds is not None and effect != "NoExecute":
            found.append(cause.invalid(f"{item}.effect", effect,
                                       "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        value = toleration.value or ""
        if operator in ("Equal", ""):
            if errors := is_label_value(value):
                found.append(cause.invalid(f"{item}.operator", value, ";".join(errors)))
        elif operator == "Exists":
            if value:
                found.append(cause.invalid(f"{item}.operator", value, "value must be empty when `operator` is 'Exists'"))
        else:
            found.append(cause.not_supported(f"{item}.operator", operator, TOLERATION_OPERATORS))
        if effect and effect not in TAINT_EFFECTS:
            found.append(cause.not_supported(f"{item}.effect", effect, TAINT_EFFECTS))
    return found


def _one_of(value: str | None, supported: tuple[str, ...], path: str) -> list[Cause]:
    if not value:
        return [cause.required(path)]
    return [] if value in supported else [cause.not_supported(path, value, supported)]


# --- volumes


def _validate_volumes(volumes: list[Volume] | None, path: str) -> tuple[set[str], list[Cause]]:
    """The causes, and the names a volumeMount may refer to (only volumes without errors count)."""
    names: set[str] = set()
    found: list[Cause] = []
    for index, volume in enumerate(volumes or []):
        item = f"{path}[{index}]"
        errors = _validate_volume_source(volume, item)
        if not volume.name:
            errors.append(cause.required(f"{item}.name"))
        else:
            errors += [cause.invalid(f"{item}.name", volume.name, msg) for msg in is_dns1123_label(volume.name)]
        if (volume.name or "") in names:
            errors.append(cause.duplicate(f"{item}.name", volume.name or ""))
        if errors:
            found += errors
        else:
            names.add(volume.name or "")
    return names, found


def _validate_volume_source(volume: Volume, path: str) -> list[Cause]:
    found: list[Cause] = []
    chosen = 0
    for attribute in VOLUME_SOURCES:
        source = getattr(volume, attribute)
        if source is None:
            continue
        wire_name = Volume.model_fields[attribute].alias or to_camel(attribute)
        if chosen:
            found.append(cause.forbidden(f"{path}.{wire_name}", "may not specify more than 1 volume type"))
            continue
        chosen += 1
        found += _validate_known_source(attribute, source, f"{path}.{wire_name}")
    if not chosen:
        found.append(cause.required(path, "must specify a volume type"))
    return found


def _validate_known_source(attribute: str, source, path: str) -> list[Cause]:
    """The required fields of the sources tinykube's kubelet can provide."""
    required_field = {"host_path": "path", "config_map": "name", "secret": "secretName",
                      "persistent_volume_claim": "claimName"}.get(attribute)
    found: list[Cause] = []
    if required_field and not source.to_wire().get(required_field):
        found.append(cause.required(f"{path}.{required_field}"))
    if attribute == "host_path" and source.path and (source.type or "") not in HOST_PATH_TYPES:
        found.append(cause.not_supported(f"{path}.type", source.type, HOST_PATH_TYPES))
    mode = getattr(source, "default_mode", None)
    if mode is not None and not 0 <= mode <= MAX_FILE_MODE:
        found.append(cause.invalid(f"{path}.defaultMode", mode, FILE_MODE_ERROR))
    return found


def _validate_host_network_ports(spec: PodSpec, path: str, *, in_pod: bool) -> list[Cause]:
    """On the host's network a container port is the host port; a template may leave hostPort unset."""
    if not spec.host_network:
        return []
    found: list[Cause] = []
    for ci, ctr in enumerate(spec.containers or []):
        for pi, port in enumerate(ctr.ports or []):
            host, container = port.host_port or 0, port.container_port or 0
            if (in_pod or host != 0) and host != container:
                found.append(cause.invalid(f"{path}.containers[{ci}].ports[{pi}].hostPort", host,
                                           "must match `containerPort` when `hostNetwork` is true"))
    return found


# --- updates


def _validate_pod_update(new: PodSpec, old: PodSpec) -> list[Cause]:
    """Only images, a shorter activeDeadlineSeconds and added tolerations may change in a pod's spec."""
    for field, wire_name in (("containers", "containers"), ("init_containers", "initContainers")):
        if len(getattr(new, field) or []) != len(getattr(old, field) or []):
            return [cause.forbidden(f"spec.{wire_name}", "pod updates may not add or remove containers")]
    found = _validate_deadline_update(new.active_deadline_seconds, old.active_deadline_seconds)
    if found:
        return found
    found += _validate_only_added_tolerations(new.tolerations or [], old.tolerations or [])

    allowed = new.model_copy(deep=True)
    for field in ("containers", "init_containers"):
        for new_ctr, old_ctr in zip(getattr(allowed, field) or [], getattr(old, field) or []):
            new_ctr.image = old_ctr.image
    allowed.active_deadline_seconds = old.active_deadline_seconds
    allowed.tolerations = old.tolerations
    old_grace = old.termination_grace_period_seconds
    if old_grace is not None and old_grace < 0 and allowed.termination_grace_period_seconds == 1:
        allowed.termination_grace_period_seconds = old_grace
    if allowed.to_wire() != old.to_wire():
        found.append(cause.forbidden(
            "spec", f"pod updates may not change fields other than {UPDATABLE_POD_FIELDS}\n{_spec_diff(old, allowed)}"))
    return found


def _validate_deadline_update(new: int | None, old: int | None) -> list[Cause]:
    path = "spec.activeDeadlineSeconds"
    if new is None:
        return [cause.invalid(path, None, "must not update from a positive integer to nil value")] if old else []
    if not 0 <= new <= MAX_INT32:
        return [cause.invalid(path, new, inclusive_range_error(0, MAX_INT32))]
    if old is not None and old < new:
        return [cause.invalid(path, new, "must be less than or equal to previous value")]
    return []


def _validate_only_added_tolerations(new: list[Toleration], old: list[Toleration]) -> list[Cause]:
    """Every old toleration must still be there; only its tolerationSeconds may differ."""
    def identity(toleration: Toleration) -> dict:
        wire = toleration.to_wire()
        wire.pop("tolerationSeconds", None)
        return wire

    kept = [identity(t) for t in new]
    if any(identity(t) not in kept for t in old):
        return [cause.forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds")]
    return []


def _spec_diff(old: PodSpec, new: PodSpec) -> str:
    """The changed top-level spec fields, in the spirit of the apiserver's diff (not its exact format)."""
    before, after = old.to_wire(), new.to_wire()
    lines = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) == after.get(key):
            continue
        if key in before:
            lines.append(f"-   {key}: {json.dumps(before[key], sort_keys=True)},")
        if key in after:
            lines.append(f"+   {key}: {json.dumps(after[key], sort_keys=True)},")
    return "\n".join(["  core.PodSpec{", *lines, "  }"])
