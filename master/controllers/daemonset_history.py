"""A DaemonSet's history: one ControllerRevision per pod template it has had, as kube-controller-manager keeps it.

A revision is named `<daemonset>-<hash>`, controlled by the DaemonSet, labelled
with the template's labels plus `controller-revision-hash=<hash>` (the label
the DaemonSet's pods carry too), and holds in `data` the strategic merge patch
that puts the template back, `{"spec": {"template": {..., "$patch": "replace"}}}`
(objects/history.py).
`kubectl rollout undo` sends exactly that patch; `rollout history` lists the
revisions by their `revision` number.

    construct(ds)  ─► claim the revisions (adopt matching orphans, release strays)
                   ─► split them: current (its data is the template now) and old
                       no current     ─► snapshot: create `<ds>-<hash>` as revision max(old)+1
                       several        ─► keep the highest, move the pods' hash label onto it, delete the rest
                       one, too low   ─► renumber it max(old)+1 (the template came back, e.g. by rollout undo)
    cleanup(ds)    ─► delete the oldest old revisions beyond spec.revisionHistoryLimit,
                       except those a live pod still runs

Two templates with the same hash collide on the name: the DaemonSet's
status.collisionCount goes up, which changes the hash, and the sync is retried.
"""

from __future__ import annotations

from apiclient import ApiClient, ApiStatusError
from apiclient.informer import Informer
from master.controllers.cache_view import ObjectView, PodView
from master.controllers.pod_template import claim, controller_ref, label_selector, template_hash, without_empty_values
from objects.apps import ControllerRevision, DaemonSet, DaemonSetStatus
from objects.history import template_patch
from objects.kinds import CONTROLLER_REVISION, DAEMONSET, POD
from objects.meta import ObjectMeta

CONTROLLER_REVISION_HASH = "controller-revision-hash"
DEFAULT_REVISION_HISTORY_LIMIT = 10


class HashCollision(Exception):
    """`<ds>-<hash>` is taken by another template; collisionCount was raised, so the next sync hashes anew."""


class DaemonSetHistory:
    """Reads revisions from the controller's informer and writes them (and pod hash labels) through the API."""

    def __init__(self, client: ApiClient, revisions: Informer):
        self.client = client
        self.revisions = revisions

    def construct(self, ds: DaemonSet) -> tuple[ControllerRevision, list[ControllerRevision]]:
        """The DaemonSet's current revision (created if need be) and its old ones."""
        current, old = [], []
        for revision in self._claim(ds):
            if not _hash_of(revision):
                revision = self._label_with_own_name(revision)
            (current if matches(ds, revision) else old).append(revision)
        next_number = max((r.revision for r in old), default=0) + 1
        if not current:
            return self._snapshot(ds, next_number), old
        kept = self._dedup(ds, current)
        if kept.revision < next_number:
            kept = self._update(kept.model_copy(update={"revision": next_number}))
        return kept, old

    def cleanup(self, ds: DaemonSet, old: list[ControllerRevision], live_hashes: set[str]) -> None:
        """Delete old revisions, oldest first, down to the history limit; never one a pod still runs."""
        limit = ds.spec.revision_history_limit
        excess = len(old) - (DEFAULT_REVISION_HISTORY_LIMIT if limit is None else limit)
        for revision in sorted(old, key=lambda r: r.revision):
            if excess <= 0:
                return
            if _hash_of(revision) in live_hashes:
                continue
            self._delete(revision)
            excess -= 1

    # ----- steps

    def _claim(self, ds: DaemonSet) -> list[ControllerRevision]:
        # Every revision in the namespace, not only those the selector matches: one whose labels
        # no longer match but whose controller is this DaemonSet must be released, not forgotten.
        namespace = ds.metadata.namespace
        candidates = [view for r in self.revisions.items() if (view := ObjectView(r)).namespace == namespace]
        claimed = claim(self.client, CONTROLLER_REVISION, ds.metadata, DAEMONSET, label_selector(ds.spec.selector),
                        candidates)
        return [ControllerRevision.model_validate(view.raw) for view in claimed]

    def _snapshot(self, ds: DaemonSet, number: int) -> ControllerRevision:
        collision_count = ds.status.collision_count if ds.status else None
        revision = new_revision(ds, number, template_hash(ds.spec.template.to_wire(), collision_count))
        namespace = ds.metadata.namespace
        try:
            return ControllerRevision.model_validate(
                self.client.create(CONTROLLER_REVISION, revision.to_wire(), namespace))
        except ApiStatusError as error:
            if error.code != 409:
                raise
        # The name is taken: by our own earlier snapshot the informer has not shown yet, or by another template.
        existing = ControllerRevision.model_validate(
            self.client.get(CONTROLLER_REVISION, revision.metadata.name, namespace))
        if matches(ds, existing):
            return existing
        self._bump_collision_count(ds)
        raise HashCollision(f"ControllerRevision {revision.metadata.name} holds another template")

    def _dedup(self, ds: DaemonSet, current: list[ControllerRevision]) -> ControllerRevision:
        """Of several revisions of the same template keep the highest; its hash label goes onto every pod."""
        kept = max(current, key=lambda r: r.revision)
        duplicates = [r for r in current if r.metadata.name != kept.metadata.name]
        if duplicates:
            self._relabel_pods(ds, _hash_of(kept))
        for duplicate in duplicates:
            self._delete(duplicate)
        return kept

    # ----- writes

    def _relabel_pods(self, ds: DaemonSet, wanted_hash: str) -> None:
        namespace, uid = ds.metadata.namespace, ds.metadata.uid
        for pod in map(PodView, self.client.list(POD, namespace)["items"]):
            if pod.controller_uid != uid or pod.labels.get(CONTROLLER_REVISION_HASH, "") == wanted_hash:
                continue
            self.client.patch(POD, pod.name, {"metadata": {"labels": {CONTROLLER_REVISION_HASH: wanted_hash}}},
                              namespace)

    def _label_with_own_name(self, revision: ControllerRevision) -> ControllerRevision:
        # An adopted revision may lack the hash label; its name is as unique as a hash, and cannot collide.
        labelled = revision.model_copy(deep=True)
        labels = labelled.metadata.labels or {}
        labelled.metadata.labels = {**labels, CONTROLLER_REVISION_HASH: revision.metadata.name}
        return self._update(labelled)

    def _update(self, revision: ControllerRevision) -> ControllerRevision:
        return ControllerRevision.model_validate(self.client.update(CONTROLLER_REVISION, revision.to_wire()))

    def _bump_collision_count(self, ds: DaemonSet) -> None:
        live = DaemonSet.model_validate(self.client.get(DAEMONSET, ds.metadata.name, ds.metadata.namespace))
        seen = ds.status.collision_count if ds.status else None
        if (live.status.collision_count if live.status else None) != seen:
            return  # someone raised it since our cache saw the DaemonSet: hashing again is enough
        status = live.status.model_copy() if live.status else DaemonSetStatus()
        status.collision_count = (seen or 0) + 1
        self.client.update(DAEMONSET, live.model_copy(update={"status": status}).to_wire(), subresource="status")

    def _delete(self, revision: ControllerRevision) -> None:
        meta = revision.metadata
        try:
            self.client.delete(CONTROLLER_REVISION, meta.name, meta.namespace)
        except ApiStatusError as error:
            if error.code != 404:  # gone already: what we wanted
                raise


# ----- pure functions


def new_revision(ds: DaemonSet, number: int, hash_: str) -> ControllerRevision:
    """The ControllerRevision of the DaemonSet's template as it is now (Kubernetes' snapshot)."""
    meta = ds.metadata
    template_meta = ds.spec.template.metadata
    metadata = ObjectMeta(
        name=f"{meta.name}-{hash_}", namespace=meta.namespace,
        labels={**((template_meta.labels if template_meta else None) or {}), CONTROLLER_REVISION_HASH: hash_},
        owner_references=[controller_ref(meta, DAEMONSET)],
        annotations=dict(meta.annotations) if meta.annotations else None,  # kubernetes.io/change-cause among them
    )
    return ControllerRevision(metadata=metadata, data=template_patch(ds.spec.template.to_wire()), revision=number)


def matches(ds: DaemonSet, revision: ControllerRevision) -> bool:
    """Whether the revision holds the DaemonSet's current template (empty values aside)."""
    # The revision's data is the wire form kubectl compares byte for byte, so the template is compared in that form.
    return without_empty_values(revision.data) == without_empty_values(template_patch(ds.spec.template.to_wire()))


def live_hashes(pods: list[PodView]) -> set[str]:
    return {h for pod in pods if (h := pod.labels.get(CONTROLLER_REVISION_HASH, ""))}


def _hash_of(revision: ControllerRevision) -> str:
    return (revision.metadata.labels or {}).get(CONTROLLER_REVISION_HASH, "")
