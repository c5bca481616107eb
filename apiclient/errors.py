"""The errors apiclient raises, and the one place HTTP answers and transport failures become them.

    ApiClientError
    ├── KubeconfigError  no usable kubeconfig: missing file, unknown context, no server
    ├── ApiStatusError   the server answered a Status: `.status` is the typed objects.status.Status
    │   └── Expired      410: a watch's resourceVersion was compacted; list again
    └── Unreachable      no answer at all (connection refused, TLS, timeout)

Messages are facts for logs; tkctl words them as kubectl does (cli/errors.py).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import httpx
from pydantic import ValidationError

from objects.status import Status, StatusDetails

# What client-go calls an answer that is not a Status, from its HTTP code alone.
REASON_BY_CODE = {
    400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
    409: "Conflict", 410: "Expired", 415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests",
    500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout",
}


class ApiClientError(Exception):
    pass


class KubeconfigError(ApiClientError):
    """The kubeconfig cannot say where the server is or who we are; the message is kubectl's."""


class ApiStatusError(ApiClientError):
    """A Status the server answered with instead of an object.

    `code`, `reason` and `message` are the Status's own (the HTTP code and
    client-go's reason for it when the body is not a Status); `status` is the
    whole typed body, `details` its details.
    """

    def __init__(self, code: int, reason: str, message: str, status: Status | None = None):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.status = status if status is not None else Status.failure(code, reason, message)

    @property
    def details(self) -> StatusDetails:
        return self.status.details or StatusDetails()

    @property
    def not_found(self) -> bool:
        return self.code == 404

    def when(self, action: str, source: str) -> ApiStatusError:
        """kubectl's AddSourceToErr: `error when creating "pod.yaml": <message>`."""
        message = f'error when {action} "{source}": {self.message}'
        return type(self)(self.code, self.reason, message, self.status.model_copy(update={"message": message}))


class Expired(ApiStatusError):
    pass


class Unreachable(ApiClientError):
    """No answer at all. `server` is the host:port tried; `refused` says nothing listened there;
    `cause` is the failure in the transport's words."""

    def __init__(self, what: str, *, server: str, cause: str, refused: bool = False):
        super().__init__(f"{what}: {cause}")
        self.server, self.cause, self.refused = server, cause, refused


def status_error(http_code: int, body: object, text: str = "") -> ApiStatusError:
    """The error an answer with `http_code` means, as client-go reads it. `body` is the decoded JSON
    (anything, if it was not a Status), `text` the raw body, the message when no Status gives one."""
    status = _as_status(body)
    if status is None:
        status = Status.failure(http_code, REASON_BY_CODE.get(http_code, ""), text.strip() or f"HTTP {http_code}")
    code = status.code or http_code
    reason = status.reason or REASON_BY_CODE.get(http_code, "")
    error_type = Expired if code == 410 else ApiStatusError
    return error_type(code, reason, status.message or text, status)


def status_error_from_content(code: int, content: bytes) -> ApiStatusError:
    text = content.decode(errors="replace")
    try:
        body = json.loads(content) if content else None
    except ValueError:
        body = None
    return status_error(code, body, text)


def unreachable(server_url: str, what: str, error: Exception) -> Unreachable:
    """The one place a failure to reach the server (httpx's or a WebSocket's) becomes Unreachable."""
    refused = isinstance(error, ConnectionRefusedError) or (
        isinstance(error, httpx.ConnectError) and "refused" in str(error).lower())
    cause = type(error).__name__ if isinstance(error, httpx.TimeoutException) else str(error)
    return Unreachable(what, server=urlsplit(server_url).netloc, cause=cause, refused=refused)


def _as_status(body: object) -> Status | None:
    if not isinstance(body, dict) or body.get("kind") != "Status":
        return None
    try:
        return Status.model_validate(body)
    except ValidationError:
        return None  # a Status in name only: read it as any other body
