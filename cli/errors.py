"""The errors tkctl reports, and the one place they become kubectl's wording on stderr.

A command reports errors of two families, both worded by `message_for` and
printed without a traceback:

    TkctlError          found on this side (cli/)
    ├── CommandError    the user asked for something impossible: `error: <message>`
    ├── Failures        several errors, collected while a command carried on
    │                   with the other objects (one line each, after the output)
    └── Refusals        several client-side refusals kubectl aggregates (label's
                        "'a' already has a value"): one bare line each, no `error: `

    ApiClientError      from apiclient, which every request goes through
    ├── KubeconfigError -> `error: context was not found for specified context: x`
    ├── ApiStatusError  the server answered a Status (reason, message, code)
    │   │               -> `Error from server (NotFound): pods "x" not found`
    │   │               -> 401: `error: You must be logged in to the server (...)`
    │   │               -> 422: `The Pod "x" is invalid: spec...: ...`
    │   └── Expired
    └── Unreachable     -> `The connection to the server HOST was refused - did you
                            specify the right host or port?`, or
                           `Unable to connect to the server: <cause>`

Commands raise these (or collect several and keep going, as kubectl does for
multi-object files); `cli.main` prints them with `message_for` and exits 1.
"""

from __future__ import annotations

from apiclient import ApiClientError, ApiStatusError, Unreachable
from objects.status import StatusCause

_UNAUTHORIZED = ("error: You must be logged in to the server "
                 "(the server has asked for the client to provide credentials)")


class TkctlError(Exception):
    """Anything tkctl finds wrong on its own side and reports without a traceback."""


class CommandError(TkctlError):
    """A usage or input error found on this side: a bad flag, an unreadable file, an unknown kind."""


Reported = TkctlError | ApiClientError
"""What a command reports to the user instead of a traceback."""
REPORTED = (TkctlError, ApiClientError)  # the same, for `except`, which takes a tuple and not a union


class Failures(TkctlError):
    """The errors a command met on some objects while it finished the others, as kubectl does."""

    def __init__(self, errors: list[Reported]):
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


def raise_collected(errors: list[Reported]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise Failures(errors)


def message_for(error: Reported) -> str:
    """The line(s) kubectl would print for this error, without a trailing newline."""
    if isinstance(error, Failures):
        return "\n".join(message_for(each) for each in error.errors)
    if isinstance(error, ApiStatusError):
        if error.code == 401:
            return _UNAUTHORIZED
        if error.reason == "Invalid":  # kubectl words Invalid itself, with or without details
            return _invalid_message(error)
        if error.reason:
            return f"Error from server ({error.reason}): {error.message}"
        return f"Error from server: {error.message}"
    if isinstance(error, Unreachable):
        if error.refused:
            return f"The connection to the server {error.server} was refused - did you specify the right host or port?"
        return f"Unable to connect to the server: {error.cause}"
    if isinstance(error, Refusals):
        return str(error)
    return f"error: {error}"


def _invalid_message(error: ApiStatusError) -> str:
    details = error.details
    if details.kind or details.name:
        prefix = f'The {details.kind or ""} "{details.name or ""}" is invalid'
    else:
        prefix = "The request is invalid"
    causes = [_cause_text(cause) for cause in details.causes or []]
    if not causes:
        return prefix if details.kind or details.name else f"{prefix}: {error.message}"
    if len(causes) == 1:
        return f"{prefix}: {causes[0]}"
    return f"{prefix}: \n" + "\n".join(f"* {cause}" for cause in causes)


def _cause_text(cause: StatusCause) -> str:
    field_path, message = cause.field or "", cause.message or ""
    if not field_path or message.startswith(f"{field_path}: "):
        return message
    return f"{field_path}: {message}"
