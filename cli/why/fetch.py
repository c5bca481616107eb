"""Where an object's why lives, and its answer read into the model.

    GET /api/v1/namespaces/{ns}/pods/{name}/why
    GET /api/v1/nodes/{name}/why
    GET /apis/apps/v1/namespaces/{ns}/{deployments|replicasets|daemonsets}/{name}/why
    GET /api/v1/namespaces/{ns}/services/{name}/why

The answer is kept twice: as the server sent it (what `-o json|yaml` prints,
unchanged) and as an objects.why.Why (what the page reads).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from apiclient import ApiClient
from cli.errors import CommandError
from cli.resources import object_path, resolve_kind
from objects.kinds import ResourceType
from objects.why import WHY_KINDS, Why

SUBRESOURCE = "why"


def explained_kind(name: str) -> ResourceType:
    """The kind `name` stands for (`po`, `pods`, `deploy`, ...), if the server explains it."""
    resource = resolve_kind(name)  # an unknown kind gets kubectl's wording there
    if resource.plural not in WHY_KINDS:
        served = f"{', '.join(WHY_KINDS[:-1])} and {WHY_KINDS[-1]}"
        raise CommandError(f"tkctl why explains {served}, not {resource.plural}")
    return resource


def why_path(resource: ResourceType, namespace: str | None, name: str) -> str:
    return f"{object_path(resource, namespace if resource.namespaced else None, name)}/{SUBRESOURCE}"


@dataclass(frozen=True)
class Answer:
    """One answer of the why subresource, and when it came (the countdowns tick from then)."""

    wire: dict[str, Any]
    why: Why
    received: float = field(default_factory=time.monotonic)

    @property
    def reasoning(self) -> dict[str, Any]:
        """The answer without what changes on every request (its time and the seconds left), to tell
        a new verdict from the same one asked again."""
        return _without_clock(self.wire)


def fetch_why(client: ApiClient, resource: ResourceType, namespace: str | None, name: str) -> Answer:
    wire = client.get_path(why_path(resource, namespace, name))
    return Answer(wire, read_why(wire, f"{resource.singular}/{name}"))


def read_why(wire: dict[str, Any], subject: str) -> Why:
    try:
        return Why.model_validate(wire)
    except ValidationError as error:
        first = error.errors()[0]
        place = ".".join(str(part) for part in first["loc"])
        raise CommandError(f"the server's why of {subject} is not a Why: {place}: {first['msg']}") from None


_CLOCK_FIELDS = ("generatedAt", "secondsLeft")


def _without_clock(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_clock(item) for key, item in value.items() if key not in _CLOCK_FIELDS}
    if isinstance(value, list):
        return [_without_clock(item) for item in value]
    return value
