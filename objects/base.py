"""The one base class every API model derives from, and the wire conventions it fixes.

- Python names are snake_case; JSON names are Kubernetes' camelCase. The alias
  generator covers the regular cases, and fields whose Kubernetes name breaks the
  rule (`podIP`, `imageID`, `containerID`) declare `Field(alias=...)` themselves.
- `extra="allow"`: a field we do not model is kept, not dropped, so nothing a
  client sent is lost silently. The API server decides what to do with those
  (reject them under fieldValidation=Strict, drop them under Ignore) by walking
  `unknown_fields()`.
- Dump with `to_wire()`: aliases, no None, JSON types. Zero values that were set
  (0, False, "") are kept, because Kubernetes clients rely on `restartCount: 0`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class K8sModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        serialize_by_alias=True,
    )

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready dict a client sees."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


def unknown_fields(model: BaseModel, path: str = "") -> list[str]:
    """Dotted paths (`spec.containers[0].imagePullPolicyy`) of every field the models do not know.

    Free-form maps (labels, annotations, resource lists) are typed as dicts, not
    models, so their keys never count as unknown.
    """
    found: list[str] = []
    for key in (model.model_extra or {}):
        found.append(f"{path}.{key}" if path else key)
    fields = type(model).model_fields
    # Only what the client sent can hold unknown fields; defaults never do. Walked in declaration order,
    # not the set's, which changes from process to process, so the warnings keep one order.
    for name in fields:
        if name not in model.model_fields_set:
            continue
        value = getattr(model, name)
        wire_name = fields[name].alias or name
        child_path = f"{path}.{wire_name}" if path else wire_name
        found.extend(_unknown_in_value(value, child_path))
    return found


def _unknown_in_value(value: Any, path: str) -> list[str]:
    if isinstance(value, BaseModel):
        return unknown_fields(value, path)
    if isinstance(value, list):
        found: list[str] = []
        for index, item in enumerate(value):
            found.extend(_unknown_in_value(item, f"{path}[{index}]"))
        return found
    return []


def drop_unknown_fields(model: BaseModel) -> None:
    """Forget every unknown field in place (fieldValidation=Ignore, the Kubernetes default)."""
    if model.model_extra:
        model.model_extra.clear()
    fields = type(model).model_fields
    for name in model.model_fields_set:
        if name in fields:
            _drop_in_value(getattr(model, name))


def _drop_in_value(value: Any) -> None:
    if isinstance(value, BaseModel):
        drop_unknown_fields(value)
    elif isinstance(value, list):
        for item in value:
            _drop_in_value(item)
