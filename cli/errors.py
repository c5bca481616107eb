"""The errors tkctl reports, and the one place they become kubectl's wording on stderr.

    TkctlError
    ├── CommandError    the user asked for something impossible: `error: <message>`
    ├── Unreachable     no answer from the server (refused, TLS, timeout)
    ├── ServerError     the server answered with a non-2xx Status (reason, message, code)
    │                   -> `Error from server (NotFound): pods "x" not found`
    │                   -> 401: `error: You must be logged in to the server (...)`
    │                   -> 422: `The Pod "x" is invalid: spec...: ...`
    ├── Failures        several of the above, collected while a command carried on
    │                   with the other objects (one line each, after the output)
    └── Refusals        several client-side refusals kubectl aggregates (label's
                        "'a' already has a value"): one bare line each, no `error: `

Commands raise these (or collect several and keep going, as kubectl does for
multi-object files); `cli.main` prints them with `message_for` and exits 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_REASON_BY_CODE = {
    400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
    409: "Conflict", 410: "Expired", 415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests",
    500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout",
}
_UNAUTHORIZED = ("error: You must be logged in to the server "
                 "(the server has asked for the client to provide credentials)")


class TkctlError(Exception):
    """Anything tkctl reports to the user without a traceback."""


class CommandError(TkctlError):
    """A usage or input error found on this side: a bad flag, an unreadable file, an unknown kind."""


class Unreachable(TkctlError):
    """The server could not be reached; `message` is already in kubectl's words."""


@dataclass
class ServerError(TkctlError):
    """A Status the API server answered with instead of an object."""

    code: int
    reason: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @classmethod
    def from_status(cls, http_code: int, body: Any, text: str = "") -> ServerError:
        if isinstance(body, dict) and body.get("kind") == "Status":
            return cls(int(body.get("code") or http_code), body.get("reason") or _REASON_BY_CODE.get(http_code, ""),
                       body.get("message") or text, body.get("details") or {})
        return cls(http_code, _REASON_BY_CODE.get(http_code, ""), text.strip() or f"HTTP {http_code}")

    def when(self, action: str, source: str) -> ServerError:
        """kubectl's AddSourceToErr: `error when creating "pod.yaml": <message>`."""
        return ServerError(self.code, self.reason, f'error when {action} "{source}": {self.message}', self.details)

    @property
    def not_found(self) -> bool:
        return self.code == 404


class Failures(TkctlError):
    """The errors a command met on some objects while it finished the others, as kubectl does."""

    def __init__(self, errors: list[TkctlError]):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


class Refusals(TkctlError):
    """kubectl prints an aggregate of several errors one per line, without the `error: ` prefix; one alone keeps it."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


def refuse(messages: list[str]) -> None:
    """Raise the refusals, if any, as kubectl prints them."""
    if len(messages) == 1:
        raise CommandError(messages[0])
    if messages:
        raise Refusals(messages)


def raise_collected(errors: list[TkctlError]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise Failures(errors)


def message_for(error: TkctlError) -> str:
    """The line(s) kubectl would print for this error, without a trailing newline."""
    if isinstance(error, Failures):
        return "\n".join(message_for(each) for each in error.errors)
    if isinstance(error, ServerError):
        if error.code == 401:
            return _UNAUTHORIZED
        if error.reason == "Invalid":  # kubectl words Invalid itself, with or without details
            return _invalid_message(error)
        if error.reason:
            return f"Error from server ({error.reason}): {error.message}"
        return f"Error from server: {error.message}"
    if isinstance(error, (Unreachable, Refusals)):
        return str(error)
    return f"error: {error}"


def _invalid_message(error: ServerError) -> str:
    details = error.details
    if details.get("kind") or details.get("name"):
        prefix = f'The {details.get("kind", "")} "{details.get("name", "")}" is invalid'
    else:
        prefix = "The request is invalid"
    causes = [_cause_text(cause) for cause in details.get("causes") or []]
    if not causes:
        return prefix if details.get("kind") or details.get("name") else f"{prefix}: {error.message}"
    if len(causes) == 1:
        return f"{prefix}: {causes[0]}"
    return f"{prefix}: \n" + "\n".join(f"* {cause}" for cause in causes)


def _cause_text(cause: dict[str, Any]) -> str:
    field_path, message = cause.get("field") or "", cause.get("message") or ""
    if not field_path or message.startswith(f"{field_path}: "):
        return message
    return f"{field_path}: {message}"
