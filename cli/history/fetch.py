"""The flight recorder's endpoints, each answer read into its objects/revisions.py model.

    GET /apis/tinykube.io/v1alpha1/revisions?...   -> RevisionList (the cluster's log)
    GET {object path}/history?since=T              -> RevisionList (one object's revisions, with changes)
    GET {object path}/trace?since=T                -> Trace
    GET {collection}?resourceVersion=N&resourceVersionMatch=Exact   -> the list as it was at N

The wire dict is kept next to the model where `-o json|yaml` prints the
answer as the server sent it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from apiclient import ApiClient, ApiStatusError
from cli.errors import CommandError
from cli.resources import object_path
from objects.kinds import ResourceType
from objects.revisions import API_VERSION, Revision, RevisionList, Trace

REVISIONS_PATH = f"/apis/{API_VERSION}/revisions"
PAGE = 500  # revisions per request when reading the whole log


@dataclass(frozen=True)
class Answer:
    wire: dict[str, Any]
    model: Any


def list_revisions(client: ApiClient, **params: Any) -> RevisionList:
    """One request to the revisions endpoint; None-valued parameters are left out."""
    query = {key: _param(value) for key, value in params.items() if value is not None}
    return _read(RevisionList, client.get_path(REVISIONS_PATH, params=query), "the revision log")


def each_revision(client: ApiClient, *, since_revision: int = 0, **params: Any) -> Iterator[Revision]:
    """Every retained revision after `since_revision` matching `params`, oldest first, a page at a time."""
    while True:
        page = list_revisions(client, sinceRevision=since_revision or None, limit=PAGE, **params)
        yield from page.items
        if len(page.items) < PAGE:
            return
        since_revision = page.items[-1].revision


def find_revision(client: ApiClient, revision: int) -> Revision | None:
    """One revision of the log by its number, without its object; None when compacted away."""
    found = list_revisions(client, sinceRevision=revision - 1, untilRevision=revision, limit=1, objects=False)
    return next((item for item in found.items if item.revision == revision), None)


def object_history(client: ApiClient, resource: ResourceType, namespace: str | None, name: str, *,
                   since: str | None = None) -> Answer:
    """The object's retained revisions, oldest first (`since`: only those written at or after it)."""
    wire = client.get_path(f"{_path(resource, namespace, name)}/history", params={"since": since} if since else None)
    return Answer(wire, _read(RevisionList, wire, f"the history of {resource.singular}/{name}"))


def object_trace(client: ApiClient, resource: ResourceType, namespace: str | None, name: str, *,
                 since: str) -> Answer:
    wire = client.get_path(f"{_path(resource, namespace, name)}/trace", params={"since": since})
    return Answer(wire, _read(Trace, wire, f"the trace of {resource.singular}/{name}"))


def exact_query(revision: int) -> dict[str, str]:
    """Kubernetes' own list parameters for "the collection as it was at this revision"."""
    return {"resourceVersion": str(revision), "resourceVersionMatch": "Exact"}


def list_at(client: ApiClient, resource: ResourceType, revision: int) -> list[dict[str, Any]]:
    """Every object of a kind, in every namespace, as it was at `revision`."""
    listed = client.get_path(resource.collection_path(None), params=exact_query(revision))
    return listed.get("items") or []


def object_at(client: ApiClient, resource: ResourceType, namespace: str | None, name: str, revision: int, *,
              table: bool = False) -> dict[str, Any]:
    """One object as it was at `revision`: its kind's list then, narrowed to its name (as a Table, the
    list's own Table with its one row). No such object then is kubectl's NotFound."""
    query = {**exact_query(revision), "fieldSelector": f"metadata.name={name}"}
    listed = client.get_path(resource.collection_path(namespace if resource.namespaced else None), params=query,
                             table=table)
    found = listed.get("rows" if table else "items") or []
    if not found:
        raise ApiStatusError(404, "NotFound", f'{resource.group_resource} "{name}" not found at revision {revision}')
    return listed if table else {"apiVersion": resource.api_version, "kind": resource.kind, **found[0]}


def _path(resource: ResourceType, namespace: str | None, name: str) -> str:
    return object_path(resource, namespace if resource.namespaced else None, name)


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _read(model: type[BaseModel], wire: dict[str, Any], what: str) -> Any:
    try:
        return model.model_validate(wire)
    except ValidationError as error:
        raise CommandError(f"the server's answer for {what} is not a {model.__name__}: "
                           f"{error.errors()[0]['msg']}") from None
