"""What every object's metadata must satisfy, and label selectors (apimachinery's ObjectMeta rules)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from master.api.validation import causes as cause
from master.api.validation.causes import Cause, GoValue, go_quote, go_string_map, go_string_slice
from master.api.validation.names import is_label_value, is_qualified_name, name_is_dns_label
from objects.meta import LabelSelector, ObjectMeta
from objects.selectors import LabelSelectorExpr, selector_from_label_selector

NameRule = Callable[..., list[str]]
"""`rule(name, prefix=False)`: why a name is not valid for a kind; `prefix` for generateName."""

TOTAL_ANNOTATION_SIZE_BYTES = 256 * 1024
STANDARD_FINALIZERS = ("kubernetes", "orphan", "foregroundDeletion")
SELECTOR_OPERATORS_WITH_VALUES = ("In", "NotIn")
SELECTOR_OPERATORS_WITHOUT_VALUES = ("Exists", "DoesNotExist")


def validate_object_meta(meta: ObjectMeta | None, *, namespaced: bool, name_rule: NameRule,
                         path: str = "metadata") -> list[Cause]:
    """Name (or generateName), namespace, labels, annotations and finalizers of a stored object."""
    meta = meta or ObjectMeta()
    found: list[Cause] = []
    if meta.generate_name:
        found += [cause.invalid(f"{path}.generateName", meta.generate_name, msg)
                  for msg in name_rule(meta.generate_name, prefix=True)]
    if meta.name:
        found += [cause.invalid(f"{path}.name", meta.name, msg) for msg in name_rule(meta.name)]
    elif not meta.generate_name:
        # The registry fills the name from generateName before validating; a bare
        # generateName only reaches here when validate() is called directly.
        found.append(cause.required(f"{path}.name", "name or generateName is required"))
    found += _validate_namespace(meta.namespace, namespaced=namespaced, path=f"{path}.namespace")
    found += validate_labels(meta.labels, f"{path}.labels")
    found += validate_annotations(meta.annotations, f"{path}.annotations")
    found += _validate_finalizers(meta.finalizers, f"{path}.finalizers")
    return found


def validate_labels(labels: Mapping[str, str] | None, path: str) -> list[Cause]:
    """Keys are qualified names, values label values; errors name the map, not the key, as Kubernetes does."""
    found: list[Cause] = []
    for key, value in (labels or {}).items():
        found += [cause.invalid(path, key, msg) for msg in is_qualified_name(key)]
        found += [cause.invalid(path, value, msg) for msg in is_label_value(value)]
    return found


def validate_annotations(annotations: Mapping[str, str] | None, path: str) -> list[Cause]:
    found: list[Cause] = []
    total = 0
    for key, value in (annotations or {}).items():
        # Annotation keys are qualified names in which case does not matter.
        found += [cause.invalid(path, key, msg) for msg in is_qualified_name(key.lower())]
        total += len(key.encode()) + len(value.encode())
    if total > TOTAL_ANNOTATION_SIZE_BYTES:
        found.append(cause.too_long(path, TOTAL_ANNOTATION_SIZE_BYTES))
    return found


def validate_label_selector(selector: LabelSelector | None, path: str) -> list[Cause]:
    """matchLabels as labels; each matchExpressions term needs a known operator and the right values."""
    if selector is None:
        return []
    found = validate_labels(selector.match_labels, f"{path}.matchLabels")
    for index, term in enumerate(selector.match_expressions or []):
        term_path = f"{path}.matchExpressions[{index}]"
        values = term.values or []
        if term.operator in SELECTOR_OPERATORS_WITH_VALUES:
            if not values:
                found.append(cause.required(f"{term_path}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
        elif term.operator in SELECTOR_OPERATORS_WITHOUT_VALUES:
            if values:
                found.append(cause.forbidden(
                    f"{term_path}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
        else:
            found.append(cause.invalid(f"{term_path}.operator", term.operator or "", "not a valid selector operator"))
        found += [cause.invalid(f"{term_path}.key", term.key or "", msg) for msg in is_qualified_name(term.key or "")]
        for value_index, value in enumerate(values):
            found += [cause.invalid(f"{term_path}.values[{value_index}]", value, msg) for msg in is_label_value(value)]
    return found


def selector_expression(selector: LabelSelector | None) -> LabelSelectorExpr | None:
    """The selector as an expression (a missing one selects nothing); None when it cannot be parsed."""
    wire = selector.to_wire() if selector is not None else None
    try:
        return selector_from_label_selector(wire)
    except ValueError:
        return None


def go_label_selector(selector: LabelSelector | None) -> GoValue:
    """Go's %#v of a metav1.LabelSelector, as the apiserver quotes a selector back."""
    if selector is None:
        return GoValue("(*v1.LabelSelector)(nil)")
    labels_text = go_string_map(selector.match_labels).text
    if selector.match_expressions is None:
        terms_text = "[]v1.LabelSelectorRequirement(nil)"
    else:
        terms_text = "[]v1.LabelSelectorRequirement{" + ", ".join(
            f"v1.LabelSelectorRequirement{{Key:{go_quote(t.key or '')}, Operator:{go_quote(t.operator or '')}, "
            f"Values:{go_string_slice(t.values)}}}"
            for t in selector.match_expressions) + "}"
    return GoValue(f"v1.LabelSelector{{MatchLabels:{labels_text}, MatchExpressions:{terms_text}}}")


def _validate_namespace(namespace: str | None, *, namespaced: bool, path: str) -> list[Cause]:
    if not namespaced:
        return [cause.forbidden(path, "not allowed on this type")] if namespace else []
    if not namespace:
        return [cause.required(path)]
    return [cause.invalid(path, namespace, msg) for msg in name_is_dns_label(namespace)]


def finalizer_causes(name: str, path: str) -> list[Cause]:
    """A finalizer is a qualified name, and one without a domain must be one Kubernetes defines."""
    errors = is_qualified_name(name)
    if errors:
        return [cause.invalid(path, name, msg) for msg in errors]
    if "/" not in name and name not in STANDARD_FINALIZERS:
        return [cause.invalid(path, name, "name is neither a standard finalizer name nor is it fully qualified")]
    return []


def _validate_finalizers(finalizers: list[str] | None, path: str) -> list[Cause]:
    found: list[Cause] = []
    for index, name in enumerate(finalizers or []):
        found += finalizer_causes(name, f"{path}[{index}]")
    return found
