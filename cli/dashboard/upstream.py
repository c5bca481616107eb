"""What a failed request to the API server means, in one line that names the server.

The page shows these as they are (its status banner, a panel's message), so each
says which server, what went wrong, and what to do when there is something to do:

    401  The API server at https://127.0.0.1:6443 refused the dashboard's credentials (401 Unauthorized): ...
    403  The API server at https://... does not let the kubeconfig's user read this (403 Forbidden): ...
    ---  Cannot reach the API server at https://...: connection refused
"""

from __future__ import annotations

from apiclient import ApiClientError, ApiStatusError, Unreachable


def failure_message(error: ApiClientError, server: str) -> str:
    if isinstance(error, ApiStatusError):
        if error.code == 401:
            return (f"The API server at {server} refused the dashboard's credentials (401 Unauthorized): "
                    "check the kubeconfig")
        if error.code == 403:
            return (f"The API server at {server} does not let the kubeconfig's user read this "
                    f"(403 Forbidden): {_one_line(error.message)}")
        return f"The API server at {server} answered {error.code} {error.reason}: {_one_line(error.message)}"
    if isinstance(error, Unreachable):
        cause = "connection refused" if error.refused else _one_line(error.cause)
        return f"Cannot reach the API server at {server}: {cause}"
    return f"The API server at {server}: {_one_line(str(error))}"


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "no message"


class UpstreamFailure(Exception):
    """A panel's or the timeline's whole answer failed at the API server: the server answers `code`
    (502 unless the API's own answer means something to the page: 410 compacted, 422 in the future)
    with `{"message": ...}`."""

    def __init__(self, message: str, *, code: int = 502):
        super().__init__(message)
        self.message, self.code = message, code

    @classmethod
    def of(cls, error: ApiClientError, server: str) -> UpstreamFailure:
        return cls(failure_message(error, server))


def section_error(error: ApiClientError, server: str) -> str:
    """One section of a panel that could not be read, in one line: the API's own message when it
    answered (a Pending pod's log: "container ... is waiting to start"), else what went wrong."""
    if isinstance(error, ApiStatusError) and error.code not in (401, 403):
        return _one_line(error.message)
    return failure_message(error, server)
