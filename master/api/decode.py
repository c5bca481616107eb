"""Request bodies: bytes -> JSON dict -> typed object, with the apiserver's error classes.

    malformed JSON/YAML/protobuf, not an object -> 400 BadRequest
    body larger than MAX_BODY_BYTES         -> 413 RequestEntityTooLarge
    a field of the wrong type               -> 400 BadRequest naming the field
    an unknown field, fieldValidation=Strict -> 400 BadRequest naming the field
    an unknown field, Warn (the default)    -> dropped, with a Warning header
    an unknown field, Ignore                -> dropped silently
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from pydantic import ValidationError

from master.api import protobuf, status
from objects.base import K8sModel, drop_unknown_fields, unknown_fields
from objects.kinds import ResourceType

# The apiserver's own limit (3 MiB): large enough for any real manifest, small
# enough that one request cannot make the master buffer arbitrary data.
MAX_BODY_BYTES = 3 * 1024 * 1024

FIELD_VALIDATION_MODES = ("Strict", "Warn", "Ignore")


def parse_body(raw: bytes, content_type: str) -> Any:
    """JSON, YAML or Kubernetes protobuf to Python data, by the media type the client names."""
    if len(raw) > MAX_BODY_BYTES:
        raise status.too_large(MAX_BODY_BYTES)
    media_type = content_type.split(";")[0].strip().lower()
    try:
        if media_type == protobuf.MEDIA_TYPE:
            return protobuf.decode_kubernetes_protobuf(raw)
        if media_type in ("application/yaml", "application/apply-patch+yaml", "text/yaml"):
            return yaml.safe_load(raw)
        return json.loads(raw or b"null")
    except (ValueError, yaml.YAMLError) as error:
        raise status.bad_request(f"the request body could not be decoded: {_first_line(error)}") from None


def decode_object(
    rt: ResourceType, model: type[K8sModel], body: Any, *, field_validation: str
) -> tuple[K8sModel, list[str]]:
    """Type-check a JSON body as `model`; returns the object and the warnings to send back."""
    if not isinstance(body, dict):
        raise status.bad_request(f"{rt.kind} in version \"{rt.version}\" cannot be handled as a {rt.kind}: "
                                 "the body is not a JSON object")
    _check_type_meta(rt, body)
    try:
        obj = model.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        raise status.bad_request(
            f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: '
            f'{_field_path(first["loc"])}: {first["msg"]}'
        ) from None
    unknown = unknown_fields(obj)
    if unknown and field_validation == "Strict":
        listed = ", ".join(f'unknown field "{path}"' for path in unknown)
        raise status.bad_request(
            f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: strict decoding error: {listed}'
        )
    if unknown:
        drop_unknown_fields(obj)
    warnings = [f'unknown field "{path}"' for path in unknown] if field_validation == "Warn" else []
    return obj, warnings


def field_validation_mode(value: str | None) -> str:
    if value in (None, ""):
        return "Warn"  # the apiserver's default since 1.27
    if value not in FIELD_VALIDATION_MODES:
        raise status.bad_request(f"fieldValidation parameter unsupported: {value}")
    return value


def _check_type_meta(rt: ResourceType, body: dict[str, Any]) -> None:
    api_version, kind = body.get("apiVersion"), body.get("kind")
    if api_version not in (None, rt.api_version):
        raise status.bad_request(
            f"the API version in the data ({api_version}) does not match the expected API version ({rt.api_version})"
        )
    if kind not in (None, rt.kind):
        raise status.bad_request(f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})")


def _field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("int", "str", "float", "bool", "list", "dict") or "[" in str(part):
            continue  # pydantic names the union member it tried; Kubernetes does not
        else:
            path += f".{part}" if path else str(part)
    return path or "<body>"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
