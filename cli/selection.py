"""The live objects a command acts on: named (`pod web`, `pod/web`), from `-f` files, or by `-l` / `--all`.

Commands that change objects in place (label, annotate, patch, cordon, taint,
edit) start, as kubectl's resource builder does, by fetching every object the
line names. A name that is missing does not stop the others: its error is
collected and reported after their output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apiclient import ApiStatusError
from cli.errors import CommandError, Reported
from cli.manifests import read_manifests, settle_namespace
from cli.resources import kind_label, object_path, parse_targets
from cli.session import Session
from objects.kinds import ResourceType

NO_RESOURCES = "one or more resources must be specified as <resource> <name> or <resource>/<name>"


@dataclass
class LiveObject:
    """One object as the server returned it, and the kind it was asked for as."""

    resource: ResourceType
    obj: dict[str, Any]

    @property
    def name(self) -> str:
        return self.obj["metadata"]["name"]

    @property
    def namespace(self) -> str | None:
        return self.obj["metadata"].get("namespace") if self.resource.namespaced else None

    @property
    def path(self) -> str:
        return object_path(self.resource, self.namespace, self.name)

    @property
    def reference(self) -> str:
        """`pod/web`, `deployment.apps/web`: how kubectl names it in `pod/web labeled`."""
        return f"{kind_label(self.resource)}/{self.name}"


def fetch_selected(session: Session, args: tuple[str, ...], errors: list[Reported], *,
                   filenames: tuple[str, ...] = (), selector: str | None = None, select_all: bool = False,
                   all_namespaces: bool = False) -> list[LiveObject]:
    """Every object the line names, in order; a missing one goes to `errors` and the rest carry on."""
    client = session.client()
    if filenames:
        found = []
        for manifest in read_manifests(filenames):
            namespace = settle_namespace(manifest, session.namespace, enforced=session.namespace_flag is not None)
            try:
                found.append(LiveObject(manifest.resource,
                                        client.get_path(object_path(manifest.resource, namespace, manifest.name))))
            except ApiStatusError as error:
                errors.append(error)
        return found
    if not args:
        raise CommandError(NO_RESOURCES)
    targets = parse_targets(args)
    named = any(target.names for target in targets)
    if named and selector:
        raise CommandError("name cannot be provided when a selector is specified")
    if not named and not (selector or select_all):
        raise CommandError("resource(s) were provided, but no name was specified")
    found = []
    for target in targets:
        if target.names:
            for name in target.names:
                try:
                    found.append(LiveObject(target.resource,
                                            client.get_path(object_path(target.resource, session.namespace, name))))
                except ApiStatusError as error:
                    errors.append(error)
            continue
        namespace = None if all_namespaces else session.namespace
        params = {"labelSelector": selector} if selector else None
        listed = client.get_path(target.resource.collection_path(namespace), params=params)
        found.extend(LiveObject(target.resource, item) for item in listed.get("items") or [])
    return found
