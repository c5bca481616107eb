"""Validation (filled in by the validation work; accepts everything until then)."""

from objects.base import K8sModel
from objects.kinds import ResourceType


def validate(rt: ResourceType, obj: K8sModel, old: K8sModel | None) -> list[dict[str, str]]:
    return []
