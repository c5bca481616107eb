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
from master.controllers.cache_view import ObjectView
from master.controllers.pod_template import Obj, claim, controller_ref, template_hash, without_empty_values
from objects.history import template_patch
from objects.kinds import CONTROLLER_REVISION, DAEMONSET, POD
from objects.meta import ObjectMeta
from objects.selectors import selector_from_label_selector

CONTROLLER_REVISION_HASH = "controller-revision-hash"
DEFAULT_REVISION_HISTORY_LIMIT = 10


class HashCollision(Exception):
    """`<ds>-<hash>` is taken by another template; collisionCount was raised, so the next sync hashes anew."""


class DaemonSetHistory:
    """Reads revisions from the controller's informer and writes them (and pod hash labels) through the API."""

    def __init__(self, client: ApiClient, revisions: Informer):
        self.client = client
        self.revisions = revisions

    def construct(self, ds: Obj) -> tuple[Obj, list[Obj]]:
        """The DaemonSet's current revision (created if need be) and its old ones."""
        current, old = [], []
        for revision in self._claim(ds):
            if not _hash_of(revision):
                revision = self._label_with_own_name(revision)
            (current if matches(ds, revision) else old).append(revision)
        next_number = max((r.get("revision", 0) for r in old), default=0) + 1
        if not current:
            return self._snapshot(ds, next_number), old
        kept = self._dedup(ds, current)
        if kept.get("revision", 0) < next_number:
            kept = self.client.update(CONTROLLER_REVISION, {**kept, "revision": next_number})
        return kept, old

    def cleanup(self, ds: Obj, old: list[Obj], live_hashes: set[str]) -> None:
        """Delete old revisions, oldest first, down to the history limit; never one a pod still runs."""
        limit = ds["spec"].get("revisionHistoryLimit")
        excess = len(old) - (DEFAULT_REVISION_HISTORY_LIMIT if limit is None else limit)
        for revision in sorted(old, key=lambda r: r.get("revision", 0)):
            if excess <= 0:
                return
            if _hash_of(revision) in live_hashes:
                continue
            self._delete(revision)
            excess -= 1

    # ----- steps

    def _claim(self, ds: Obj) -> list[Obj]:
        # Every revision in the namespace, not only those the selector matches: one whose labels
        # no longer match but whose controller is this DaemonSet must be released, not forgotten.
        namespace = ds["metadata"]["namespace"]
        candidates = [view for r in self.revisions.items() if (view := ObjectView(r)).namespace == namespace]
        try:
            selector = selector_from_label_selector(ds["spec"].get("selector"))
        except ValueError:
            selector = selector_from_label_selector(None)
        owner = ObjectMeta.model_validate(ds["metadata"])
        return [view.raw for view in claim(self.client, CONTROLLER_REVISION, owner, DAEMONSET, selector, candidates)]

    def _snapshot(self, ds: Obj, number: int) -> Obj:
        collision_count = (ds.get("status") or {}).get("collisionCount")
        revision = new_revision(ds, number, template_hash(ds["spec"]["template"], collision_count))
        meta = ds["metadata"]
        try:
            return self.client.create(CONTROLLER_REVISION, revision, meta["namespace"])
        except ApiStatusError as error:
            if error.code != 409:
                raise
        # The name is taken: by our own earlier snapshot the informer has not shown yet, or by another template.
        existing = self.client.get(CONTROLLER_REVISION, revision["metadata"]["name"], meta["namespace"])
        if matches(ds, existing):
            return existing
        self._bump_collision_count(ds)
        raise HashCollision(f"ControllerRevision {revision['metadata']['name']} holds another template")

    def _dedup(self, ds: Obj, current: list[Obj]) -> Obj:
        """Of several revisions of the same template keep the highest; its hash label goes onto every pod."""
        kept = max(current, key=lambda r: r.get("revision", 0))
        duplicates = [r for r in current if r["metadata"]["name"] != kept["metadata"]["name"]]
        if duplicates:
            self._relabel_pods(ds, _hash_of(kept))
        for duplicate in duplicates:
            self._delete(duplicate)
        return kept

    # ----- writes

    def _relabel_pods(self, ds: Obj, wanted_hash: str) -> None:
        namespace, uid = ds["metadata"]["namespace"], ds["metadata"]["uid"]
        for pod in self.client.list(POD, namespace)["items"]:
            if ObjectView(pod).controller_uid != uid or _hash_of(pod) == wanted_hash:
                continue
            self.client.patch(POD, pod["metadata"]["name"],
                              {"metadata": {"labels": {CONTROLLER_REVISION_HASH: wanted_hash}}}, namespace)

    def _label_with_own_name(self, revision: Obj) -> Obj:
        # An adopted revision may lack the hash label; its name is as unique as a hash, and cannot collide.
        labels = {**(revision["metadata"].get("labels") or {}), CONTROLLER_REVISION_HASH: revision["metadata"]["name"]}
        return self.client.update(CONTROLLER_REVISION, {**revision, "metadata": {**revision["metadata"],
                                                                                 "labels": labels}})

    def _bump_collision_count(self, ds: Obj) -> None:
        meta = ds["metadata"]
        live = self.client.get(DAEMONSET, meta["name"], meta["namespace"])
        seen = (ds.get("status") or {}).get("collisionCount")
        status = dict(live.get("status") or {})
        if status.get("collisionCount") != seen:
            return  # someone raised it since our cache saw the DaemonSet: hashing again is enough
        status["collisionCount"] = (seen or 0) + 1
        self.client.update(DAEMONSET, {**live, "status": status}, subresource="status")

    def _delete(self, revision: Obj) -> None:
        meta = revision["metadata"]
        try:
            self.client.delete(CONTROLLER_REVISION, meta["name"], meta["namespace"])
        except ApiStatusError as error:
            if error.code != 404:  # gone already: what we wanted
                raise


# ----- pure functions


def new_revision(ds: Obj, number: int, hash_: str) -> Obj:
    """The ControllerRevision of the DaemonSet's template as it is now (Kubernetes' snapshot)."""
    meta = ds["metadata"]
    template_labels = (ds["spec"]["template"].get("metadata") or {}).get("labels") or {}
    metadata: Obj = {
        "name": f"{meta['name']}-{hash_}", "namespace": meta["namespace"],
        "labels": {**template_labels, CONTROLLER_REVISION_HASH: hash_},
        "ownerReferences": [controller_ref(ObjectMeta.model_validate(meta), DAEMONSET).to_wire()],
    }
    if meta.get("annotations"):
        metadata["annotations"] = dict(meta["annotations"])  # kubernetes.io/change-cause among them
    return {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": metadata,
            "data": template_patch(ds["spec"]["template"]), "revision": number}


def matches(ds: Obj, revision: Obj) -> bool:
    """Whether the revision holds the DaemonSet's current template (empty values aside)."""
    return without_empty_values(revision.get("data")) == without_empty_values(template_patch(ds["spec"]["template"]))


def live_hashes(pods: list[Obj]) -> set[str]:
    return {h for pod in pods if (h := _hash_of(pod))}


def _hash_of(obj: Obj) -> str:
    return (obj["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH, "")
