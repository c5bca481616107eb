"""Defaulting (filled in by the defaulting work; a no-op until then)."""

from objects.base import K8sModel
from objects.kinds import ResourceType


def apply_defaults(rt: ResourceType, obj: K8sModel) -> None:
    return None
