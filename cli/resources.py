"""Which objects a command line names: `pods`, `pods,nodes web`, `pod/web deploy/api`.

Kinds are looked up in the table of kinds (objects/kinds.py), by plural,
singular, short name or Kind, as kubectl does through discovery.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cli.errors import CommandError
from objects.kinds import ResourceType, resolve


@dataclass
class Target:
    """One kind, and the names asked for; no names means the whole collection."""

    resource: ResourceType
    names: list[str] = field(default_factory=list)


def resolve_kind(name: str) -> ResourceType:
    resource = resolve(name)
    if resource is None:
        raise CommandError(f'the server doesn\'t have a resource type "{name}"')
    return resource


def parse_targets(args: tuple[str, ...]) -> list[Target]:
    """`KIND[,KIND...] [NAME...]` or `KIND/NAME...`, in the order given."""
    if not args:
        raise CommandError("Required resource not specified.")
    if "/" in args[0]:
        targets: list[Target] = []
        for arg in args:
            kind, slash, name = arg.partition("/")
            if not slash or not name:
                raise CommandError("there is no need to specify a resource type as a separate argument when "
                                   "passing arguments in resource/name form (e.g. 'tkctl get resource/<resource_name>' "
                                   "instead of 'tkctl get resource resource/<resource_name>'")
            resource = resolve_kind(kind)
            existing = next((t for t in targets if t.resource == resource), None)
            if existing is None:
                targets.append(Target(resource, [name]))
            else:
                existing.names.append(name)
        return targets
    kinds = [resolve_kind(kind) for kind in args[0].split(",") if kind]
    if any("/" in arg for arg in args[1:]):
        raise CommandError("there is no need to specify a resource type as a separate argument when "
                           "passing arguments in resource/name form")
    unique = list(dict.fromkeys(kinds))
    return [Target(kind, list(args[1:])) for kind in unique]


def kind_label(resource: ResourceType) -> str:
    """`pod`, `deployment.apps`: how kubectl names a kind in `pod/web` and `pod "web" deleted`."""
    return f"{resource.singular}.{resource.group}" if resource.group else resource.singular


def object_path(resource: ResourceType, namespace: str | None, name: str) -> str:
    return f"{resource.collection_path(namespace)}/{name}"
