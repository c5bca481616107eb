"""What `tkctl rollout history|undo` reads off a workload's revisions, in kubectl's words.

A Deployment's revisions are its ReplicaSets (`deployment.kubernetes.io/revision`),
a DaemonSet's are its ControllerRevisions (`revision`, and in `data` the patch
that restores the template, objects/history.py). Both come down to one map,
revision number -> what `--revision=N` describes and the change cause, which is
what kubectl's printHistory prints. Pure functions of the objects, so tests can
call them directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cli.errors import CommandError
from cli.rollout_state import CHANGE_CAUSE, revision
from objects.history import patch_bytes, template_of, template_patch


@dataclass(frozen=True)
class Revision:
    number: int
    change_cause: str  # "" when none was recorded
    template: dict[str, Any] | None  # None: the history holds no template kubectl could read


def deployment_revisions(replica_sets: list[dict[str, Any]]) -> dict[int, Revision]:
    """A Deployment's revisions: each ReplicaSet's template, its change cause written into the template."""
    found = {}
    for rs in replica_sets:
        number = revision(rs)
        if number is None:
            continue
        cause = (rs["metadata"].get("annotations") or {}).get(CHANGE_CAUSE) or ""
        template = dict((rs.get("spec") or {}).get("template") or {})
        metadata = dict(template.get("metadata") or {})
        if cause:  # kubectl shows the cause among the template's annotations
            metadata["annotations"] = {**(metadata.get("annotations") or {}), CHANGE_CAUSE: cause}
        found[number] = Revision(number, cause, {**template, "metadata": metadata})
    return found


def daemon_set_revisions(ds: dict[str, Any], controller_revisions: list[dict[str, Any]]) -> dict[int, Revision]:
    """A DaemonSet's revisions: the ControllerRevisions it controls, templates as their data restores them."""
    found = {}
    for history in controlled_by(ds, controller_revisions):
        number = history.get("revision", 0)
        cause = (history["metadata"].get("annotations") or {}).get(CHANGE_CAUSE) or ""
        found[number] = Revision(number, cause, template_of(history.get("data")))
    return found


def controlled_by(owner: dict[str, Any], objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    uid = owner["metadata"].get("uid")
    return [obj for obj in objects
            if any(ref.get("controller") and ref.get("uid") == uid for ref in obj["metadata"].get("ownerReferences")
                   or [])]


def chosen_template(revisions: dict[int, Revision], number: int) -> dict[str, Any]:
    """The template of `--revision=N`."""
    if number not in revisions:
        raise CommandError("unable to find the specified revision")
    if revisions[number].template is None:
        raise CommandError(f"unable to parse history of revision {number}")
    return revisions[number].template


# ----- undo of a DaemonSet


def daemon_set_rollback_target(controller_revisions: list[dict[str, Any]], to_revision: int) -> dict[str, Any]:
    """The ControllerRevision to go back to: the one of `to_revision`, or (0) the one before the latest."""
    if to_revision < 0:
        raise CommandError(f"unable to find specified revision {to_revision} in history")
    if to_revision == 0:
        if len(controller_revisions) <= 1:
            raise CommandError("no last revision to roll back to")
        return sorted(controller_revisions, key=lambda h: h.get("revision", 0))[-2]
    for history in controller_revisions:
        if history.get("revision", 0) == to_revision:
            return history
    raise CommandError(f"unable to find specified revision {to_revision} in history")


def already_at(ds: dict[str, Any], history: dict[str, Any]) -> bool:
    """Whether the DaemonSet's template is the revision's, compared byte for byte as kubectl compares them."""
    return patch_bytes(template_patch(ds["spec"]["template"])) == patch_bytes(history.get("data"))
