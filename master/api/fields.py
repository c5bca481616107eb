"""Field selectors (`?fieldSelector=spec.nodeName=node-1,status.phase!=Failed`), as kube-apiserver reads them.

Two steps, as in Kubernetes:

1. parse: split on unescaped commas into `field=value`, `field==value` or
   `field!=value` terms; values may be empty (`involvedObject.namespace=`) and
   may escape `\\,`, `\\=` and `\\\\`.
2. convert: each kind allows a fixed set of field labels; anything else is a
   `FieldSelectorError` carrying the apiserver's own message (the API layer
   turns it into a 400 BadRequest Status).

Matching reads a flat `{field label: string}` view of the object's JSON
(`selectable_fields`). A field the object lacks reads as "", so
`spec.nodeName=` selects pods no node has been bound to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from objects.kinds import ALL_KINDS


class FieldSelectorError(ValueError):
    """A selector the apiserver rejects: bad syntax, or a field label the kind does not support."""


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    value: str
    negated: bool = False  # "!=" rather than "=" / "=="

    def matches(self, fields: Mapping[str, str]) -> bool:
        return (fields.get(self.field, "") == self.value) != self.negated

    def __str__(self) -> str:
        return f"{self.field}{'!=' if self.negated else '='}{_escape(self.value)}"


@dataclass(frozen=True)
class FieldSelector:
    """An AND of field requirements over one kind."""

    kind: str
    requirements: tuple[FieldRequirement, ...] = ()

    def matches(self, obj: Mapping[str, Any]) -> bool:
        fields = selectable_fields(self.kind, obj)
        return all(r.matches(fields) for r in self.requirements)

    def requires_exact_match(self, field: str) -> str | None:
        """The value `field` must equal (`metadata.name=x` lets a store look one key up), else None."""
        for requirement in self.requirements:
            if requirement.field == field and not requirement.negated:
                return requirement.value
        return None

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


# --- step 1: syntax (apimachinery fields.ParseSelector) ------------------------------------

_OPERATORS = ("!=", "==", "=")  # order matters: "!=" and "==" before "="


def _split_terms(text: str) -> list[str]:
    terms, start, escaped = [], 0, False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            terms.append(text[start:index])
            start = index + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    for index in range(len(term)):
        for operator in _OPERATORS:
            if term.startswith(operator, index):
                return term[:index], operator, term[index + len(operator):]
    return None


def _unescape(value: str) -> str:
    out, escaped = [], False
    for char in value:
        if escaped:
            if char not in "\\,=":
                raise FieldSelectorError(f"invalid field selector: invalid escape sequence: \\{char}")
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ",=":
            # Go prints the rune with %v, i.e. its code point.
            raise FieldSelectorError(f"invalid field selector: unescaped character in value: {ord(char)}")
        else:
            out.append(char)
    if escaped:
        raise FieldSelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


# --- step 2: which field labels each kind accepts ------------------------------------------

_META = ("metadata.name", "metadata.namespace")
_NOT_SUPPORTED = "field label not supported: {label}"
_NOT_KNOWN = '"{label}" is not a known field selector: only "metadata.name", "metadata.namespace"'

# Kinds with their own conversion function in Kubernetes. Every other kind gets the
# default one, which knows only metadata.name and metadata.namespace and words its
# refusal differently. Cluster-scoped Node and Namespace do not accept
# metadata.namespace at all, exactly like the real apiserver.
_SUPPORTED_LABELS: dict[str, frozenset[str]] = {
    "Pod": frozenset({
        *_META, "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
        "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName",
    }),
    "Node": frozenset({"metadata.name", "spec.unschedulable"}),
    "Namespace": frozenset({"metadata.name", "status.phase"}),
    "Event": frozenset({
        *_META, "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
        "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
        "reason", "reportingComponent", "source", "type",
    }),
    "ReplicaSet": frozenset({*_META, "status.replicas"}),
    "Service": frozenset({*_META, "spec.clusterIP", "spec.type"}),  # since Kubernetes 1.31
    # A kubelet watches only the faults it is to carry out (tinykube.io; cluster-scoped).
    "Fault": frozenset({"metadata.name", "spec.nodeName", "spec.type", "status.phase"}),
}
# Old clients still send spec.host; the apiserver quietly reads it as spec.nodeName.
_RENAMED_LABELS = {("Pod", "spec.host"): "spec.nodeName"}


def _convert_label(kind: str, label: str) -> str:
    if renamed := _RENAMED_LABELS.get((kind, label)):
        return renamed
    supported = _SUPPORTED_LABELS.get(kind)
    if supported is None:
        if label in _META:
            return label
        raise FieldSelectorError(_NOT_KNOWN.format(label=label))
    if label not in supported:
        raise FieldSelectorError(_NOT_SUPPORTED.format(label=label))
    return label


def parse_field_selector(text: str, kind: str) -> FieldSelector:
    """Parse `?fieldSelector=` for `kind` (e.g. "Pod"); raise FieldSelectorError as the apiserver would."""
    parsed = []
    for term in sorted(_split_terms(text)):
        if not term:
            continue
        parts = _split_term(term)
        if parts is None:
            raise FieldSelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
        label, operator, raw_value = parts
        parsed.append((label, _unescape(raw_value), operator == "!="))
    # Syntax is checked for every term before any label is, as in the apiserver.
    requirements = [
        FieldRequirement(_convert_label(kind, label), value, negated=negated) for label, value, negated in parsed
    ]
    return FieldSelector(kind, tuple(requirements))


# --- the values a selector compares against ------------------------------------------------


def _get(obj: Mapping[str, Any], path: str) -> Any:
    for part in path.split("."):
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(part)
    return obj


def _text(obj: Mapping[str, Any], path: str) -> str:
    value = _get(obj, path)
    return "" if value is None else str(value)


def _flag(obj: Mapping[str, Any], path: str) -> str:
    return "true" if _get(obj, path) else "false"


def _pod_fields(pod: Mapping[str, Any]) -> dict[str, str]:
    pod_ips = _get(pod, "status.podIPs") or []
    # The apiserver keeps podIP == podIPs[0].ip; read podIP too for objects written without podIPs.
    pod_ip = (pod_ips[0] or {}).get("ip", "") if pod_ips else _text(pod, "status.podIP")
    return {
        "spec.nodeName": _text(pod, "spec.nodeName"),
        "spec.restartPolicy": _text(pod, "spec.restartPolicy"),
        "spec.schedulerName": _text(pod, "spec.schedulerName"),
        "spec.serviceAccountName": _text(pod, "spec.serviceAccountName"),
        "spec.hostNetwork": _flag(pod, "spec.hostNetwork"),
        "status.phase": _text(pod, "status.phase"),
        "status.podIP": pod_ip,
        "status.nominatedNodeName": _text(pod, "status.nominatedNodeName"),
    }


def _event_fields(event: Mapping[str, Any]) -> dict[str, str]:
    fields = {
        f"involvedObject.{name}": _text(event, f"involvedObject.{name}")
        for name in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")
    }
    reporting = _text(event, "reportingComponent")
    fields["reason"] = _text(event, "reason")
    fields["reportingComponent"] = reporting
    # Events written through events.k8s.io have no source.component; the apiserver falls back.
    fields["source"] = _text(event, "source.component") or reporting
    fields["type"] = _text(event, "type")
    return fields


_KIND_FIELDS: dict[str, Callable[[Mapping[str, Any]], dict[str, str]]] = {
    "Pod": _pod_fields,
    "Event": _event_fields,
    "Node": lambda node: {"spec.unschedulable": _flag(node, "spec.unschedulable")},
    "Namespace": lambda ns: {"status.phase": _text(ns, "status.phase")},
    "ReplicaSet": lambda rs: {"status.replicas": str(_get(rs, "status.replicas") or 0)},
    "Service": lambda svc: {"spec.clusterIP": _text(svc, "spec.clusterIP"), "spec.type": _text(svc, "spec.type")},
    "Fault": lambda fault: {"spec.nodeName": _text(fault, "spec.nodeName"), "spec.type": _text(fault, "spec.type"),
                            "status.phase": _text(fault, "status.phase")},
}
_CLUSTER_SCOPED = frozenset(k.kind for k in ALL_KINDS if not k.namespaced)


def selectable_fields(kind: str, obj: Mapping[str, Any]) -> dict[str, str]:
    """The `{field label: value}` view of an object that field selectors are matched against."""
    fields = {"metadata.name": _text(obj, "metadata.name")}
    if kind not in _CLUSTER_SCOPED:
        fields["metadata.namespace"] = _text(obj, "metadata.namespace")
    if kind_fields := _KIND_FIELDS.get(kind):
        fields.update(kind_fields(obj))
    return fields
