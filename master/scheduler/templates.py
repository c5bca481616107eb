"""Which object's pod template makes a pod: where a suggested change to the pod's spec belongs.

    Pod ──controller──► ReplicaSet ──controller──► Deployment   the Deployment's template
                                   └─ none ──────────────────► the ReplicaSet's template
        ──controller──► DaemonSet                               the DaemonSet's template
        no controller (or one tinykube does not run)            the Pod itself

Patching a pod of a ReplicaSet would change nothing lasting (the ReplicaSet
makes its next pods from its template), so a suggestion targets the object
whose template the user edits. The scheduler watches neither ReplicaSets nor
DaemonSets, so this asks the API, one GET, off the scheduling loop (the
reporter's thread calls it). What a ReplicaSet answers is kept by its uid: its
owner never changes, and a Deployment puts a new template into a new
ReplicaSet rather than editing one. A DaemonSet's template changes in place, so
it is read each time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from apiclient import ApiClient
from master.scheduler.suggestions import Template
from objects.apps import DaemonSet, PodTemplateSpec, ReplicaSet
from objects.explanation import ObjectRef
from objects.kinds import DAEMONSET, DEPLOYMENT, REPLICASET
from objects.meta import OwnerReference
from objects.pod import Pod

REPLICASETS_KEPT = 1024


class Templates:
    def __init__(self, client: ApiClient) -> None:
        self.client = client
        self._by_replicaset: OrderedDict[str, Template] = OrderedDict()  # by uid, least recently used first
        self._lock = threading.Lock()

    def of(self, pod: Pod) -> Template:
        """The template that makes `pod`. Raises ApiClientError when its controller cannot be read."""
        ref = pod.metadata.controller_ref()
        namespace = pod.metadata.namespace or "default"
        if ref is None or not ref.name:
            return Template.bare(pod)
        if ref.kind == REPLICASET.kind:
            return self._of_replicaset(ref, namespace)
        if ref.kind == DAEMONSET.kind:
            daemonset = DaemonSet.model_validate(self.client.get(DAEMONSET, ref.name, namespace))
            return _template(DAEMONSET.kind, ref.name, namespace, daemonset.spec.template if daemonset.spec else None)
        return Template.bare(pod)

    def _of_replicaset(self, ref: OwnerReference, namespace: str) -> Template:
        with self._lock:
            known = self._by_replicaset.get(ref.uid or "")
            if known is not None:
                self._by_replicaset.move_to_end(ref.uid or "")
                return known
        replicaset = ReplicaSet.model_validate(self.client.get(REPLICASET, ref.name or "", namespace))
        owner = replicaset.metadata.controller_ref()
        pod_template = replicaset.spec.template if replicaset.spec else None
        if owner is not None and owner.kind == DEPLOYMENT.kind and owner.name:
            found = _template(DEPLOYMENT.kind, owner.name, namespace, pod_template)
        else:
            found = _template(REPLICASET.kind, ref.name or "", namespace, pod_template)
        with self._lock:
            self._by_replicaset[replicaset.metadata.uid or ref.uid or ""] = found
            while len(self._by_replicaset) > REPLICASETS_KEPT:
                self._by_replicaset.popitem(last=False)
        return found


def _template(kind: str, name: str, namespace: str, pod_template: PodTemplateSpec | None) -> Template:
    spec = pod_template.spec if pod_template else None
    tolerations = [toleration.to_wire() for toleration in (spec.tolerations if spec else None) or []]
    return Template(ObjectRef(api_version="apps/v1", kind=kind, name=name, namespace=namespace), tolerations)
