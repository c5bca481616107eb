"""Errors as Kubernetes `Status` objects: the one place domain errors become HTTP answers.

kubectl and the Python client decode only this shape; a bare FastAPI
`{"detail": ...}` would make kubectl print a generic "the server could not find
the requested resource". Messages follow the apiserver's wording, because users
(and scripts) read them. Every body is an `objects.status.Status`, the model
apiclient and tkctl read it back into.
"""

from __future__ import annotations

from typing import Any

from objects.kinds import ResourceType
from objects.status import Status, StatusDetails


class ApiError(Exception):
    """An answer that is not a success, carrying the Status to send.

    `details` stays the dict it was given (callers and tests index into it);
    the body itself is always rendered through `objects.status.Status`.
    """

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    @property
    def status(self) -> Status:
        details = StatusDetails.model_validate(self.details) if self.details else None
        return Status.failure(self.code, self.reason, self.message, details)

    def to_status(self) -> dict[str, Any]:
        return self.status.to_wire()


def success_status(details: dict[str, Any] | None = None) -> dict[str, Any]:
    return Status.success(StatusDetails.model_validate(details) if details else None).to_wire()


def _details(rt: ResourceType, name: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name, "kind": rt.plural}
    if rt.group:
        details["group"] = rt.group
    return details


def not_found(rt: ResourceType, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{rt.group_resource} "{name}" not found', _details(rt, name))


def already_exists(rt: ResourceType, name: str) -> ApiError:
    return ApiError(409, "AlreadyExists", f'{rt.group_resource} "{name}" already exists', _details(rt, name))


def conflict(rt: ResourceType, name: str, why: str | None = None) -> ApiError:
    why = why or "the object has been modified; please apply your changes to the latest version and try again"
    return ApiError(
        409, "Conflict", f'Operation cannot be fulfilled on {rt.group_resource} "{name}": {why}', _details(rt, name)
    )


def invalid(rt: ResourceType, name: str, causes: list[dict[str, str]]) -> ApiError:
    """422 with one cause per bad field: {"reason": "FieldValueInvalid", "message": ..., "field": "spec.x"}.

    As in the apiserver, a cause's message does not repeat its field (kubectl
    prints `field: message` from the causes), while the Status message does.
    """
    causes = [_without_field_prefix(cause) for cause in causes]
    lines = [f"{c['field']}: {c['message']}" if c.get("field") else c["message"] for c in causes]
    summary = "[" + ", ".join(lines) + "]" if len(lines) > 1 else lines[0]
    details = {**_details(rt, name), "kind": rt.kind, "causes": causes}
    return ApiError(422, "Invalid", f'{rt.kind} "{name}" is invalid: {summary}', details)


def _without_field_prefix(cause: dict[str, str]) -> dict[str, str]:
    field, message = cause.get("field", ""), cause.get("message", "")
    if field and message.startswith(f"{field}: "):
        return {**cause, "message": message[len(field) + 2:]}
    return cause


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def forbidden(message: str, rt: ResourceType | None = None, name: str = "") -> ApiError:
    return ApiError(403, "Forbidden", message, _details(rt, name) if rt else None)


def method_not_supported(rt_name: str, verb: str) -> ApiError:
    return ApiError(405, "MethodNotAllowed", f"{verb} is not supported on resources of kind \"{rt_name}\"")


def not_found_path() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource")


def too_large(limit: int) -> ApiError:
    return ApiError(413, "RequestEntityTooLarge", f"Request entity too large: limit is {limit}")


def unsupported_media_type(content_type: str) -> ApiError:
    return ApiError(415, "UnsupportedMediaType", f'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/strategic-merge-patch+json, application/merge-patch+json, application/json-patch+json (got "{content_type}")')


def internal(message: str) -> ApiError:
    return ApiError(500, "InternalError", f"Internal error occurred: {message}")


def unavailable(message: str) -> ApiError:
    return ApiError(503, "ServiceUnavailable", message)
