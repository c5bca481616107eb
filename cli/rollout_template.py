"""A pod template described as `kubectl rollout history --revision=N` prints it (kubectl's DescribePodTemplate).

Unlike `kubectl describe`, this text is not aligned: kubectl writes it through a
bare prefix writer, so each `Label:` is followed by a literal tab. Every line
here is built the way that writer builds it, level by level, two spaces each.
"""

from __future__ import annotations

from typing import Any

from cli.describers.pod import toleration_text

NONE = "<none>"
MAX_ANNOTATION_LENGTH = 140


def describe_pod_template(template: dict[str, Any]) -> str:
    metadata, spec = template.get("metadata") or {}, template.get("spec") or {}
    lines = ["Pod Template:"]
    lines += _labels("  Labels", metadata.get("labels"))
    if metadata.get("annotations"):
        lines += _annotations("  Annotations", metadata["annotations"])
    if spec.get("serviceAccountName"):
        lines.append(f"  Service Account:\t{spec['serviceAccountName']}")
    if spec.get("initContainers"):
        lines += _containers("Init Containers", spec["initContainers"])
    lines += _containers("Containers", spec.get("containers") or [])
    lines += _volumes(spec.get("volumes") or [])
    if spec.get("priorityClassName"):
        lines.append(f"  Priority Class Name:\t{spec['priorityClassName']}")
    lines += _labels("  Node-Selectors", spec.get("nodeSelector"))
    lines += _tolerations("  Tolerations", spec.get("tolerations") or [])
    return "".join(f"{line}\n" for line in lines)


def _level(n: int) -> str:
    return "  " * n


# ----- metadata


def _labels(title: str, labels: dict[str, str] | None) -> list[str]:
    if not labels:
        return [f"{title}:\t{NONE}"]
    keys = sorted(labels)
    return [f"{title}:\t{keys[0]}={labels[keys[0]]}", *(f"\t{key}={labels[key]}" for key in keys[1:])]


def _annotations(title: str, annotations: dict[str, str]) -> list[str]:
    """Long or multi-line values go under their key, each line indented and cut at 140 characters."""
    lines, prefix = [], f"{title}:\t"
    for key in sorted(annotations):
        value = annotations[key].removesuffix("\n")
        if len(value) + len(key) + 2 > MAX_ANNOTATION_LENGTH or "\n" in value:
            lines.append(f"{prefix}{key}:")
            lines += [f"\t  {_shorten(part, MAX_ANNOTATION_LENGTH - 2)}" for part in value.split("\n")]
        else:
            lines.append(f"{prefix}{key}: {value}")
        prefix = "\t"
    return lines


def _shorten(text: str, length: int) -> str:
    return text[:length] + "..." if len(text) > length else text


def _tolerations(title: str, tolerations: list[dict[str, Any]]) -> list[str]:
    if not tolerations:
        return [f"{title}:\t{NONE}"]
    lines = []
    # sorted by key; Go's sort.Slice is an insertion sort, stable, at these lengths
    for index, toleration in enumerate(sorted(tolerations, key=lambda t: t.get("key") or "")):
        text = toleration_text(toleration)
        lines.append(f"{title}:\t{text}" if index == 0 else f"\t{text}")
    return lines


# ----- containers


def _containers(label: str, containers: list[dict[str, Any]]) -> list[str]:
    lines = [f"  {label}:{' ' + NONE if not containers else ''}"]
    for container in containers:
        lines += _basic_info(container)
        lines += _command(container)
        lines += _resources(container.get("resources") or {})
        lines += _probes(container)
        if container.get("envFrom"):
            lines += _env_from(container["envFrom"])
        lines += _env(container.get("env") or [])
        lines += _mounts(container.get("volumeMounts") or [])
    return lines


def _basic_info(container: dict[str, Any]) -> list[str]:
    ports = container.get("ports") or []
    container_ports = ", ".join(f"{p.get('containerPort', 0)}/{p.get('protocol') or ''}" for p in ports)
    host_ports = ", ".join(f"{p.get('hostPort') or 0}/{p.get('protocol') or ''}" for p in ports)
    lines = [f"{_level(1)} {container.get('name', '')}:", f"{_level(2)}Image:\t{container.get('image') or ''}"]
    lines.append(f"{_level(2)}Ports:\t{container_ports}" if "," in container_ports
                 else f"{_level(2)}Port:\t{container_ports or NONE}")
    lines.append(f"{_level(2)}Host Ports:\t{host_ports}" if "," in host_ports
                 else f"{_level(2)}Host Port:\t{host_ports or NONE}")
    if container.get("restartPolicy"):
        lines.append(f"{_level(2)}Restart Policy:\t{container['restartPolicy']}")
    return lines


def _command(container: dict[str, Any]) -> list[str]:
    lines = []
    for label, key in (("Command", "command"), ("Args", "args")):
        if container.get(key):
            lines.append(f"{_level(2)}{label}:")
            lines += [f"{_level(3)}{part}" for word in container[key] for part in str(word).split("\n")]
    return lines


def _resources(resources: dict[str, Any]) -> list[str]:
    lines = []
    for label, key in (("Limits", "limits"), ("Requests", "requests")):
        if resources.get(key):
            lines.append(f"{_level(2)}{label}:")
            lines += [f"{_level(3)}{name}:\t{amount}" for name, amount in sorted(resources[key].items())]
    return lines


def _probes(container: dict[str, Any]) -> list[str]:
    return [f"{_level(2)}{label}:\t{describe_probe(container[key])}"
            for label, key in (("Liveness", "livenessProbe"), ("Readiness", "readinessProbe"),
                               ("Startup", "startupProbe")) if container.get(key)]


def describe_probe(probe: dict[str, Any]) -> str:
    """kubectl's DescribeProbe: `http-get http://:80/ delay=0s timeout=1s period=10s #success=1 #failure=3`."""
    attrs = (f"delay={probe.get('initialDelaySeconds', 0)}s timeout={probe.get('timeoutSeconds', 0)}s "
             f"period={probe.get('periodSeconds', 0)}s #success={probe.get('successThreshold', 0)} "
             f"#failure={probe.get('failureThreshold', 0)}")
    if probe.get("exec") is not None:
        return f"exec [{' '.join(probe['exec'].get('command') or [])}] {attrs}"
    if probe.get("httpGet") is not None:
        get = probe["httpGet"]
        host, port = get.get("host") or "", str(get.get("port", ""))
        netloc = (f"[{host}]:{port}" if ":" in host else f"{host}:{port}") if port else host
        return f"http-get {(get.get('scheme') or '').lower()}://{netloc}{get.get('path') or ''} {attrs}"
    if probe.get("tcpSocket") is not None:
        socket = probe["tcpSocket"]
        return f"tcp-socket {socket.get('host') or ''}:{socket.get('port', '')} {attrs}"
    if probe.get("grpc") is not None:
        grpc = probe["grpc"]
        return f"grpc <pod>:{grpc.get('port', 0)} {grpc.get('service') or ''} {attrs}"
    return f"unknown {attrs}"


def _env_from(sources: list[dict[str, Any]]) -> list[str]:
    lines = [f"{_level(2)}Environment Variables from:"]
    for source in sources:
        kind, ref = ("ConfigMap", source["configMapRef"]) if source.get("configMapRef") else (
            ("Secret", source.get("secretRef") or {}) if source.get("secretRef") else ("", {}))
        optional = str(bool(ref.get("optional"))).lower()
        described = f"{kind} with prefix '{source['prefix']}'" if source.get("prefix") else kind
        lines.append(f"{_level(3)}{ref.get('name', '')}\t{described}\tOptional: {optional}")
    return lines


def _env(variables: list[dict[str, Any]]) -> list[str]:
    lines = [f"{_level(2)}Environment:{'' if variables else chr(9) + NONE}"]
    for variable in variables:
        name, source = variable.get("name", ""), variable.get("valueFrom")
        if source is None:
            first, *rest = str(variable.get("value") or "").split("\n")
            lines.append(f"{_level(3)}{name}:\t{first}")
            lines += [f"{_level(3)}\t{part}" for part in rest]
        elif source.get("fieldRef"):
            ref = source["fieldRef"]
            lines.append(f"{_level(3)}{name}:\t ({ref.get('apiVersion', '')}:{ref.get('fieldPath', '')})")
        elif source.get("resourceFieldRef"):
            lines.append(f"{_level(3)}{name}:\t ({source['resourceFieldRef'].get('resource', '')})")
        elif source.get("secretKeyRef") or source.get("configMapKeyRef"):
            ref = source.get("secretKeyRef") or source["configMapKeyRef"]
            where = f"in secret '{ref.get('name', '')}'" if source.get("secretKeyRef") else \
                f"of config map '{ref.get('name', '')}'"
            lines.append(f"{_level(3)}{name}:\t<set to the key '{ref.get('key', '')}' {where}>\t"
                         f"Optional: {str(bool(ref.get('optional'))).lower()}")
    return lines


def _mounts(mounts: list[dict[str, Any]]) -> list[str]:
    lines = [f"{_level(2)}Mounts:{'' if mounts else chr(9) + NONE}"]
    for mount in sorted(mounts, key=lambda m: m.get("mountPath") or ""):
        flags = ["ro" if mount.get("readOnly") else "rw"]
        if mount.get("subPath"):
            flags.append(f'path="{mount["subPath"]}"')
        lines.append(f"{_level(3)}{mount.get('mountPath', '')} from {mount.get('name', '')} ({','.join(flags)})")
    return lines


# ----- volumes


def _volumes(volumes: list[dict[str, Any]]) -> list[str]:
    if not volumes:
        return [f"  Volumes:\t{NONE}"]
    lines = ["  Volumes:"]
    for volume in volumes:
        lines.append(f"{_level(1)} {volume.get('name', '')}:")
        lines += _volume_source(volume)
    return lines


def _volume_source(volume: dict[str, Any]) -> list[str]:
    """The sources tinykube's kubelet mounts; any other reads `<unknown>`, as kubectl prints one it does not know."""
    if volume.get("hostPath") is not None:
        source = volume["hostPath"]
        kind = source["type"] if source.get("type") is not None else NONE
        return [f"{_level(2)}Type:\tHostPath (bare host directory volume)",
                f"{_level(2)}Path:\t{source.get('path', '')}", f"{_level(2)}HostPathType:\t{kind}"]
    if volume.get("emptyDir") is not None:
        source = volume["emptyDir"]
        return [f"{_level(2)}Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)",
                f"{_level(2)}Medium:\t{source.get('medium') or ''}",
                f"{_level(2)}SizeLimit:\t{source.get('sizeLimit') or '<unset>'}"]
    if volume.get("configMap") is not None:
        source = volume["configMap"]
        return [f"{_level(2)}Type:\tConfigMap (a volume populated by a ConfigMap)",
                f"{_level(2)}Name:\t{source.get('name', '')}",
                f"{_level(2)}Optional:\t{str(bool(source.get('optional'))).lower()}"]
    if volume.get("secret") is not None:
        source = volume["secret"]
        return [f"{_level(2)}Type:\tSecret (a volume populated by a Secret)",
                f"{_level(2)}SecretName:\t{source.get('secretName', '')}",
                f"{_level(2)}Optional:\t{str(bool(source.get('optional'))).lower()}"]
    return [f"{_level(1)}<unknown>"]
