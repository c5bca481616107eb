"""The REST verbs over the store, kind-agnostic: what the apiserver calls its generic registry.

Each write runs the same admission chain before anything is stored, so a
rejected request changes nothing. The object stays typed from the decode to
the store, which keeps the wire dict (strategy's stored_after_*: the JSON edge):

    decode (types, unknown fields) ─► defaults ─► strategy (server-owned fields) ─► validate
        ─► wire dict ─► store

Pods have one special rule, Kubernetes' graceful deletion: a pod bound to a
node is only marked (deletionTimestamp) and disappears when its kubelet
confirms with a zero-grace delete.

    Pending/Running ──delete──► Terminating (deletionTimestamp) ──kubelet delete grace=0──► gone
    unbound or finished ──delete──► gone

A kind whose objects take values from a finite pool (a Service's clusterIP and
node ports) has an Allocator: it fills them in between the strategy and
validation, and what it reserved is released once the write is stored or
refused (the stored object then holds the values).

Any object with finalizers is only marked, and goes when the last is removed.
propagationPolicy Orphan or Foreground adds the garbage collector's finalizer
(`orphan`, `foregroundDeletion`), so the owner waits for its dependents.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from master import patch as patches
from master.api import status
from master.api.decode import decode_object
from master.api.defaults import apply_defaults
from master.api.dry_run import DryRunStore
from master.api.strategy import (
    prepare_for_create, prepare_for_status_update, prepare_for_update, sent_metadata, stored_after_create,
    stored_after_status_update, stored_after_update,
)
from master.api.validation import validate
from master.store import AlreadyExists, Conflict, NotFound, ObjectKey, SqlStore
from objects.base import K8sModel
from objects.kinds import ALL_KINDS, NAMESPACE, POD, ResourceType
from objects.phases import is_finished_phase
from objects.registry import model_for
from objects.status import NAMESPACE_TERMINATING_CAUSE

DEFAULT_GRACE_SECONDS = 30
DELETE_ATTEMPTS = 16
PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
# generateName suffixes use the apiserver's alphabet: no vowels, no look-alikes.
NAME_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
# The garbage collector's finalizers (metav1.FinalizerOrphanDependents, FinalizerDeleteDependents).
ORPHAN_FINALIZER = "orphan"
FOREGROUND_FINALIZER = "foregroundDeletion"

PATCH_TYPES = {
    "application/strategic-merge-patch+json": "strategic",
    "application/merge-patch+json": "merge",
    "application/json-patch+json": "json",
}


@dataclass
class Admitted:
    """An object that passed admission, and the warnings to return with it."""

    obj: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DeleteOptions:
    grace_period_seconds: int | None = None
    propagation_policy: str | None = None
    precondition_uid: str | None = None
    precondition_resource_version: str | None = None


class Reservation(Protocol):
    def release(self) -> None:
        """Give back what was reserved and not stored; idempotent."""


class Allocator(Protocol):
    """Hands out the pool values an object of one kind holds (master/api/service_allocation.py).

    `reserve(obj, old)` is called on the typed, defaulted and prepared object (old is
    None on a create), before validation; it fills in what it allocated, raises a
    status.ApiError naming the field when a value cannot be had, and returns the
    reservation that keeps its picks from other requests until released.
    """

    def reserve(self, obj: Any, old: Any | None) -> Reservation: ...


class _NothingReserved:
    def release(self) -> None:
        pass


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Registry:
    def __init__(self, store: SqlStore, *, clock: Callable[[], datetime] | None = None, seed: int | None = None,
                 allocators: Mapping[str, Allocator] | None = None):
        """`allocators`: by kind, for the kinds whose objects hold values from a pool."""
        self.store: SqlStore | DryRunStore = store
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self._random = random.Random(seed)
        self.allocators = dict(allocators or {})

    def dry_run(self) -> Registry:
        """This registry as a dryRun=All request sees it: every check runs, against the real
        objects, and nothing is stored (master/api/dry_run.py)."""
        twin = copy.copy(self)
        twin.store = DryRunStore(self.store)
        return twin

    # ----- reads

    def get(self, rt: ResourceType, namespace: str | None, name: str) -> dict[str, Any]:
        try:
            return self.store.get(_key(rt, namespace, name))
        except NotFound:
            raise status.not_found(rt, name) from None

    def list(self, rt: ResourceType, namespace: str | None) -> tuple[list[dict[str, Any]], int]:
        return self.store.list(rt.group_resource, namespace if rt.namespaced else None)

    # ----- create

    def create(self, rt: ResourceType, namespace: str | None, body: Any, *, field_validation: str) -> Admitted:
        obj, warnings = decode_object(rt, model_for(rt), body, field_validation=field_validation)
        apply_defaults(rt, obj)
        meta = obj.metadata
        sent = sent_metadata(meta)  # the stored metadata lists these first, before what the server fills in
        if rt.namespaced:
            if meta.namespace not in (None, "", namespace):
                raise status.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta.namespace = namespace
            self._require_active_namespace(rt, meta.name or "", namespace)
        else:
            meta.namespace = None
        if not meta.name and meta.generate_name:
            meta.name = meta.generate_name + "".join(self._random.choices(NAME_SUFFIX_ALPHABET, k=5))
        prepare_for_create(rt, obj, now=rfc3339(self.clock()))
        reservation = self._reserve(rt, obj, None)
        try:
            self._validate(rt, obj, None)
            stored = self.store.create(_key(rt, namespace, meta.name), stored_after_create(obj, sent=sent))
        except AlreadyExists:
            raise status.already_exists(rt, meta.name) from None
        finally:
            reservation.release()
        return Admitted(stored, warnings)

    # ----- update and patch

    def update(
        self, rt: ResourceType, namespace: str | None, name: str, body: Any, *, field_validation: str,
        subresource: str = "",
    ) -> Admitted:
        if not isinstance(body, dict):
            raise status.bad_request("the body of the request is not a JSON object")
        body_name = (body.get("metadata") or {}).get("name")
        if body_name not in (None, name):
            raise status.bad_request(
                f"the name of the object ({body_name}) does not match the name on the URL ({name})"
            )
        expected = _resource_version(body)
        warnings: list[str] = []
        reservations: list[Reservation] = []

        def mutate(current: dict[str, Any]) -> dict[str, Any] | None:
            return self._admit_write(rt, name, body, current, expected, warnings, reservations,
                                     field_validation=field_validation, subresource=subresource)

        try:
            return Admitted(self._guaranteed_update(rt, namespace, name, mutate), warnings)
        finally:
            _release(reservations)

    def patch(
        self, rt: ResourceType, namespace: str | None, name: str, patch_body: Any, *, content_type: str,
        field_validation: str, subresource: str = "",
    ) -> Admitted:
        patch_type = PATCH_TYPES.get(content_type.split(";")[0].strip())
        if patch_type is None:
            raise status.unsupported_media_type(content_type)
        warnings: list[str] = []
        reservations: list[Reservation] = []

        def mutate(current: dict[str, Any]) -> dict[str, Any] | None:
            base = copy.deepcopy(current)
            patched = _apply_patch(patch_type, base, patch_body, kind=rt.kind)
            return self._admit_write(rt, name, patched, current, _resource_version(patched), warnings, reservations,
                                     field_validation=field_validation, subresource=subresource)

        try:
            return Admitted(self._guaranteed_update(rt, namespace, name, mutate), warnings)
        finally:
            _release(reservations)

    # ----- delete

    def delete(self, rt: ResourceType, namespace: str | None, name: str, options: DeleteOptions) -> dict[str, Any]:
        """The object (marked, or a deleted pod), or a Success Status for an immediate delete of another kind."""
        if options.propagation_policy not in (None, "Orphan", "Background", "Foreground"):
            raise status.invalid(rt, name, [{
                "reason": "FieldValueNotSupported", "field": "propagationPolicy",
                "message": f'propagationPolicy: Unsupported value: "{options.propagation_policy}": '
                           'supported values: "Foreground", "Background", "Orphan"',
            }])
        if options.grace_period_seconds is not None and options.grace_period_seconds < 0:
            options = DeleteOptions(1, options.propagation_policy, options.precondition_uid,
                                    options.precondition_resource_version)
        if rt == NAMESPACE and name in PROTECTED_NAMESPACES[:3]:
            raise status.forbidden(f'namespaces "{name}" is forbidden: this namespace may not be deleted', rt, name)
        key = _key(rt, namespace, name)
        if rt == NAMESPACE:
            return self._delete_namespace(key, options)
        marked: dict[str, Any] = {}

        def mark_or_remove(current: dict[str, Any]) -> dict[str, Any] | None:
            _check_preconditions(rt, name, current, options)
            _set_garbage_collection_finalizers(current, options.propagation_policy)
            graceful = self._deletion_mark(rt, current, options)
            if graceful is None:
                return None
            marked["obj"] = graceful
            return graceful

        # A write between our look and the delete is not the caller's conflict (only a failed
        # precondition is): look again, as the apiserver's delete does.
        for _ in range(DELETE_ATTEMPTS):
            marked.clear()
            try:
                updated = self.store.guaranteed_update(key, mark_or_remove)
                if "obj" in marked:
                    return updated
                deleted = self.store.delete(key, expected_revision=int(updated["metadata"]["resourceVersion"]))
            except NotFound:
                raise status.not_found(rt, name) from None
            except Conflict:
                continue
            self._forget_dependents(rt, key)
            return deleted if rt == POD else _deleted_status(rt, deleted)
        raise status.conflict(rt, name)

    # ----- subresources

    def bind(self, namespace: str, name: str, binding: Any) -> dict[str, Any]:
        """pods/binding: assign an unbound pod to a node, as the scheduler does."""
        target = (binding or {}).get("target") or {} if isinstance(binding, dict) else {}
        node_name = target.get("name")
        if not node_name:
            raise status.invalid(POD, name, [{"reason": "FieldValueRequired", "field": "target.name",
                                               "message": "target.name: Required value"}])
        now = rfc3339(self.clock())

        def assign(pod: dict[str, Any]) -> dict[str, Any]:
            if pod["metadata"].get("deletionTimestamp"):
                raise status.conflict(POD, name, f"pod {name} is being deleted, cannot be assigned to a host")
            current_node = (pod.get("spec") or {}).get("nodeName")
            if current_node:
                raise status.conflict(POD, name, f"pod {name} is already assigned to node \"{current_node}\"")
            pod.setdefault("spec", {})["nodeName"] = node_name
            conditions = [c for c in pod.setdefault("status", {}).get("conditions", []) if c.get("type") != "PodScheduled"]
            conditions.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                               "lastTransitionTime": now})
            pod["status"]["conditions"] = conditions
            return pod

        self._guaranteed_update(POD, namespace, name, assign)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}

    def get_scale(self, rt: ResourceType, namespace: str, name: str) -> dict[str, Any]:
        return _scale_of(self.get(rt, namespace, name))

    def update_scale(self, rt: ResourceType, namespace: str, name: str, scale: Any, *, content_type: str | None) -> dict[str, Any]:
        def rescale(current: dict[str, Any]) -> dict[str, Any] | None:
            wanted = _scale_of(current)
            if content_type is None:
                new_scale = scale
            else:
                patch_type = PATCH_TYPES.get(content_type.split(";")[0].strip())
                if patch_type is None:
                    raise status.unsupported_media_type(content_type)
                new_scale = _apply_patch(patch_type, wanted, scale)
            replicas = ((new_scale or {}).get("spec") or {}).get("replicas")
            if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
                raise status.invalid(rt, name, [{
                    "reason": "FieldValueInvalid", "field": "spec.replicas",
                    "message": f"spec.replicas: Invalid value: {replicas!r}: must be greater than or equal to 0",
                }])
            expected = (new_scale.get("metadata") or {}).get("resourceVersion")
            if expected and expected != current["metadata"]["resourceVersion"]:
                raise Conflict()
            if current["spec"].get("replicas") == replicas:
                return None
            current["spec"]["replicas"] = replicas
            current["metadata"]["generation"] = current["metadata"].get("generation", 1) + 1
            return current

        return _scale_of(self._guaranteed_update(rt, namespace, name, rescale))

    def get_explanation(self, namespace: str, name: str) -> dict[str, Any]:
        """The scheduler's last explanation for a pod (see objects.explanation)."""
        self.get(POD, namespace, name)
        try:
            return self.store.get(_explanation_key(namespace, name))
        except NotFound:
            raise status.ApiError(404, "NotFound", f'the scheduler has not explained pod "{name}" yet',
                                  {"name": name, "kind": "pods"}) from None

    def put_explanation(self, namespace: str, name: str, explanation: Any) -> dict[str, Any]:
        pod = self.get(POD, namespace, name)
        if not isinstance(explanation, dict) or explanation.get("kind") != "SchedulingExplanation":
            raise status.bad_request("the body must be a SchedulingExplanation")
        meta = explanation.setdefault("metadata", {})
        if meta.get("uid") not in (None, pod["metadata"]["uid"]):
            raise status.conflict(POD, name, "the explanation is for another pod with this name")
        meta.update(name=name, namespace=namespace, uid=pod["metadata"]["uid"])
        meta.pop("resourceVersion", None)
        key = _explanation_key(namespace, name)
        try:
            return self.store.create(key, explanation)
        except AlreadyExists:
            return self.store.guaranteed_update(key, lambda _old: explanation)

    # ----- internals

    def _admit_write(
        self, rt: ResourceType, name: str, sent: dict[str, Any], current: dict[str, Any], expected: int | None,
        warnings: list[str], reservations: list[Reservation], *, field_validation: str, subresource: str,
    ) -> dict[str, Any]:
        """The shared tail of update and patch: the sent resourceVersion and uid are preconditions,
        then admission; `warnings` receives the admission's warnings, `reservations` what an
        allocator reserved (the caller releases them once the write is over)."""
        if expected is not None and str(expected) != current["metadata"]["resourceVersion"]:
            raise Conflict()
        _check_uid(rt, name, sent, current)
        admitted = self._admit_update(rt, sent, current, reservations, field_validation=field_validation,
                                      subresource=subresource)
        warnings[:] = admitted.warnings
        return admitted.obj

    def _admit_update(
        self, rt: ResourceType, body: dict[str, Any], current: dict[str, Any], reservations: list[Reservation], *,
        field_validation: str, subresource: str,
    ) -> Admitted:
        if subresource != "status" and body == current:
            # The stored object sent back as it is (a patch that changes nothing): admitting it would
            # store it unchanged. Answered before decoding, because the typed chain also decodes the
            # stored object, which made this no-op a fifth slower than the dict chain was.
            return Admitted(current, [])
        model = model_for(rt)
        new, warnings = decode_object(rt, model, body, field_validation=field_validation)
        apply_defaults(rt, new)
        old = model.model_validate(current)
        if subresource == "status":
            admitted = prepare_for_status_update(rt, new, old)
            stored = stored_after_status_update(admitted, current)
        else:
            sent = sent_metadata(new.metadata)
            new.metadata.name = old.metadata.name
            if rt.namespaced:
                new.metadata.namespace = old.metadata.namespace
            prepare_for_update(rt, new, old)
            reservations.append(self._reserve(rt, new, old))
            new.metadata.resource_version = old.metadata.resource_version
            admitted, stored = new, stored_after_update(rt, new, current, sent=sent)
        if stored == current:
            return Admitted(current, warnings)
        self._validate(rt, admitted, old)
        return Admitted(stored, warnings)

    def _guaranteed_update(
        self, rt: ResourceType, namespace: str | None, name: str,
        mutate: Callable[[dict[str, Any]], dict[str, Any] | None],
    ) -> dict[str, Any]:
        key = _key(rt, namespace, name)

        def unchanged_is_none(current: dict[str, Any]) -> dict[str, Any] | None:
            before = copy.deepcopy(current)
            result = mutate(current)
            return None if result is None or result == before else result

        try:
            updated = self.store.guaranteed_update(key, unchanged_is_none)
        except NotFound:
            raise status.not_found(rt, name) from None
        except Conflict:
            raise status.conflict(rt, name) from None
        return self._finish_deletion_if_released(rt, key, updated)

    def _finish_deletion_if_released(self, rt: ResourceType, key: ObjectKey, obj: dict[str, Any]) -> dict[str, Any]:
        """An object marked for deletion goes once its last finalizer is removed (and its grace is over)."""
        meta = obj["metadata"]
        if meta.get("deletionTimestamp") and not meta.get("finalizers") and not meta.get("deletionGracePeriodSeconds"):
            try:
                deleted = self.store.delete(key, expected_revision=int(meta["resourceVersion"]))
            except (NotFound, Conflict):
                return obj
            self._forget_dependents(rt, key)
            return deleted
        return obj

    def _forget_dependents(self, rt: ResourceType, key: ObjectKey) -> None:
        """What the store keeps beside an object goes with it: a pod's scheduling explanation, and the
        report a controller published on the object's why (master/api/why/reports.py)."""
        beside = [_explanation_key(key.namespace, key.name)] if rt == POD else []
        beside.append(why_report_key(rt, key.namespace, key.name))
        for dependent in beside:
            try:
                self.store.get(dependent)  # from memory: most objects have neither, and a delete is a write
                self.store.delete(dependent)
            except NotFound:
                pass

    def _deletion_mark(self, rt: ResourceType, current: dict[str, Any], options: DeleteOptions) -> dict[str, Any] | None:
        """The object marked for graceful deletion, or None when it should go at once."""
        meta = current["metadata"]
        grace = self._grace_seconds(rt, current, options)
        if meta.get("finalizers"):
            if meta.get("deletionTimestamp") and (grace is None or grace >= (meta.get("deletionGracePeriodSeconds") or 0)):
                return current
            meta["deletionTimestamp"] = meta.get("deletionTimestamp") or rfc3339(self.clock())
            meta["deletionGracePeriodSeconds"] = grace or 0
            return current
        if grace is None or grace == 0:
            return None
        previous = meta.get("deletionGracePeriodSeconds")
        if previous is not None and previous <= grace:
            return current  # already terminating with a shorter or equal grace: nothing to change
        meta["deletionTimestamp"] = rfc3339(self.clock() + timedelta(seconds=grace))
        meta["deletionGracePeriodSeconds"] = grace
        return current

    @staticmethod
    def _grace_seconds(rt: ResourceType, obj: dict[str, Any], options: DeleteOptions) -> int | None:
        """Graceful deletion applies to pods on a node that have not finished; None means immediate."""
        if rt != POD:
            return None
        spec, phase = obj.get("spec") or {}, (obj.get("status") or {}).get("phase")
        if not spec.get("nodeName") or is_finished_phase(phase):
            return None
        if options.grace_period_seconds is not None:
            return options.grace_period_seconds
        return spec.get("terminationGracePeriodSeconds", DEFAULT_GRACE_SECONDS)

    def _require_active_namespace(self, rt: ResourceType, name: str, namespace: str | None) -> None:
        """What the apiserver's NamespaceLifecycle admission checks: nothing new goes into a namespace
        that is missing or being deleted."""
        try:
            ns = self.store.get(ObjectKey(NAMESPACE.group_resource, "", namespace or ""))
        except NotFound:
            raise status.not_found(NAMESPACE, namespace or "") from None
        if ns["metadata"].get("deletionTimestamp"):
            raise _namespace_terminating(rt, name, namespace or "")

    def _delete_namespace(self, key: ObjectKey, options: DeleteOptions) -> dict[str, Any]:
        """Mark the namespace Terminating (that is the answer), remove its contents, then the namespace.

        The apiserver hands the emptying to its namespace controller; tinykube does
        it inline, so the namespace is gone by the time the answer arrives.
        """
        now = rfc3339(self.clock())

        def mark(namespace: dict[str, Any]) -> dict[str, Any]:
            _check_preconditions(NAMESPACE, key.name, namespace, options)
            namespace["metadata"].setdefault("deletionTimestamp", now)
            namespace.setdefault("status", {})["phase"] = "Terminating"
            return namespace

        try:
            marked = self.store.guaranteed_update(key, mark)
            self._delete_namespace_contents(key.name)
            self.store.delete(key)
        except NotFound:
            raise status.not_found(NAMESPACE, key.name) from None
        return marked

    def _delete_namespace_contents(self, namespace: str) -> None:
        """Everything in the namespace goes with it (the apiserver's namespace controller, done inline)."""
        for rt in ALL_KINDS:
            if not rt.namespaced:
                continue
            items, _ = self.store.list(rt.group_resource, namespace)
            for item in items:
                key = _key(rt, namespace, item["metadata"]["name"])
                try:
                    self.store.delete(key)
                except NotFound:
                    continue
                self._forget_dependents(rt, key)

    def _reserve(self, rt: ResourceType, obj: K8sModel, old: K8sModel | None) -> Reservation:
        allocator = self.allocators.get(rt.kind)
        return allocator.reserve(obj, old) if allocator is not None else _NothingReserved()

    def _validate(self, rt: ResourceType, obj: K8sModel, old: K8sModel | None) -> None:
        causes = validate(rt, obj, old)
        if causes:
            raise status.invalid(rt, obj.metadata.name or "", causes)


def _release(reservations: list[Reservation]) -> None:
    for reservation in reservations:
        reservation.release()


def _namespace_terminating(rt: ResourceType, name: str, namespace: str) -> status.ApiError:
    """403 with a NamespaceTerminating cause, so a client can tell this refusal apart without reading it.

    Worded as admission.NewForbidden words it; a create by generateName has no name yet.
    """
    subject = f'{rt.group_resource} "{name}"' if name else rt.group_resource
    details: dict[str, Any] = {"name": name} if name else {}
    if rt.group:
        details["group"] = rt.group
    details["kind"] = rt.plural
    details["causes"] = [{"reason": NAMESPACE_TERMINATING_CAUSE, "field": "metadata.namespace",
                          "message": f"namespace {namespace} is being terminated"}]
    return status.ApiError(403, "Forbidden", f"{subject} is forbidden: unable to create new content in namespace "
                                             f"{namespace} because it is being terminated", details)


def _explanation_key(namespace: str, name: str) -> ObjectKey:
    # Kept beside the pod under its own resource name, so pod lists and watches never carry it.
    return ObjectKey("pods/explanation", namespace, name)


def why_report_key(rt: ResourceType, namespace: str | None, name: str) -> ObjectKey:
    """Where a controller's why report on an object is kept (master/api/why/reports.py)."""
    return ObjectKey(f"{rt.group_resource}/why", (namespace or "") if rt.namespaced else "", name)


def _key(rt: ResourceType, namespace: str | None, name: str) -> ObjectKey:
    return ObjectKey(rt.group_resource, (namespace or "") if rt.namespaced else "", name)


def _resource_version(obj: dict[str, Any]) -> int | None:
    value = (obj.get("metadata") or {}).get("resourceVersion")
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise status.bad_request(f'invalid resourceVersion "{value}"') from None


def _apply_patch(patch_type: str, base: dict[str, Any], patch_body: Any, *,
                 kind: str | None = None) -> dict[str, Any]:
    try:
        if patch_type == "json":
            if not isinstance(patch_body, list):
                raise patches.PatchError("a JSON patch must be a list of operations")
            return patches.apply_json_patch(base, patch_body)
        if not isinstance(patch_body, dict):
            raise patches.PatchError("the patch must be a JSON object")
        if patch_type == "merge":
            return patches.apply_merge_patch(base, patch_body)
        return patches.apply_strategic_merge_patch(base, patch_body, kind=kind)
    except patches.PatchError as error:
        raise status.ApiError(422, "Invalid", str(error)) from None


def _set_garbage_collection_finalizers(obj: dict[str, Any], policy: str | None) -> None:
    """Turn propagationPolicy into the finalizer the garbage collector acts on, as the apiserver's store does.

    Orphan adds `orphan` (the collector strips the dependents' references first),
    Foreground adds `foregroundDeletion` (the collector deletes blocking dependents
    first), Background removes both (the object goes now, dependents after). With
    no policy the object keeps whichever one it already has; the default for every
    kind tinykube serves is Background. A finalizer holds the object, marked with
    a deletionTimestamp, until the collector removes it.
    """
    meta = obj["metadata"]
    existing = meta.get("finalizers") or []
    if policy is None:
        orphan = ORPHAN_FINALIZER in existing
        foreground = not orphan and FOREGROUND_FINALIZER in existing
    else:
        orphan, foreground = policy == "Orphan", policy == "Foreground"
    wanted = [f for f in existing if f not in (ORPHAN_FINALIZER, FOREGROUND_FINALIZER)]
    if orphan:
        wanted.append(ORPHAN_FINALIZER)
    if foreground:
        wanted.append(FOREGROUND_FINALIZER)
    if set(wanted) != set(existing):
        if wanted:
            meta["finalizers"] = wanted
        else:
            meta.pop("finalizers", None)


def _check_uid(rt: ResourceType, name: str, sent: dict[str, Any], current: dict[str, Any]) -> None:
    """A uid in a write is a precondition: it must be the live object's (not a namesake's)."""
    uid = (sent.get("metadata") or {}).get("uid")
    if uid and uid != current["metadata"].get("uid"):
        raise status.conflict(rt, name, f"Precondition failed: UID in precondition: {uid}, "
                                        f"UID in object meta: {current['metadata'].get('uid')}")


def _check_preconditions(rt: ResourceType, name: str, current: dict[str, Any], options: DeleteOptions) -> None:
    meta = current["metadata"]
    if options.precondition_uid and options.precondition_uid != meta.get("uid"):
        raise status.conflict(
            rt, name, f"Precondition failed: UID in precondition: {options.precondition_uid}, "
                      f"UID in object meta: {meta.get('uid')}")
    if options.precondition_resource_version and options.precondition_resource_version != meta["resourceVersion"]:
        raise status.conflict(
            rt, name, f"Precondition failed: ResourceVersion in precondition: "
                      f"{options.precondition_resource_version}, ResourceVersion in object meta: {meta['resourceVersion']}")


def _deleted_status(rt: ResourceType, deleted: dict[str, Any]) -> dict[str, Any]:
    """What the apiserver answers for an immediate delete of anything but a pod (ReturnDeletedObject is pod-only)."""
    details: dict[str, Any] = {"name": deleted["metadata"]["name"], "kind": rt.plural,
                               "uid": deleted["metadata"].get("uid", "")}
    if rt.group:
        details["group"] = rt.group
    return status.success_status(details)


def _scale_of(obj: dict[str, Any]) -> dict[str, Any]:
    from objects.selectors import format_label_selector

    meta = obj["metadata"]
    return {
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta},
        "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 1)},
        "status": {
            "replicas": (obj.get("status") or {}).get("replicas", 0),
            "selector": format_label_selector((obj.get("spec") or {}).get("selector") or {}),
        },
    }
