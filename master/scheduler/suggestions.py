"""Suggestions: the smallest changes that would let an unschedulable pod schedule now, each one checked.

When a cycle finds no node, `suggest` asks every filter about every node (the
cycle stops at a node's first rejection; here every rejection counts) and looks
at the nodes that ONE kind of change would open:

    nodes held back only by             suggestion          the change
    ──────────────────────────────────  ──────────────────  ──────────────────────────────────────────────
    being cordoned                      UncordonNode        kubectl uncordon NODE
    one untolerated taint               TolerateTaint       add a toleration to the pod's template
    nodeSelector labels                 RelaxNodeSelector   drop the unmatched nodeSelector keys
    required node affinity              RelaxNodeAffinity   drop the unmatched requirements of one term
    cpu / memory                        LowerRequests       requests the roomiest such node can hold
    room (cpu, memory, pods, ports)     RemovePods          delete its fewest pods, lowest priority first
    anything                            AddNode             a new node sized and labelled for the pod

Nothing is guessed. Each change is applied to a copy (the pod's JSON through
the API server's own strategic merge patch, then the scheduler's own PodInfo;
or a copy of a NodeInfo), and the profile's filter plugins run on the copy; a
suggestion is shown only if some node then passes every filter, and `nodes`
names those nodes (the first NODES_NAMED; the message gives the count). A
change to the pod is re-checked on the nodes that only the filters it can
affect held back: a node some other filter rejects stays rejected whatever the
change (`_Search.fitting`).

They come smallest change first, in the order of the table: undoing one
operator's action on one node, then widening what the pod accepts, then giving
it less, then taking room from other pods, then new hardware; at most PER_KIND
of each kind.

A change to the pod's spec lands on its `Template`: the Deployment (or
DaemonSet) whose template makes it, else the bare Pod, which cannot change
its spec except by adding tolerations (the command then re-creates it). Pure:
no I/O; the caller resolves the Template (templates.py) and holds the cache lock.
"""

from __future__ import annotations

import heapq
import itertools
import json
import shlex
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from master.patch import apply_strategic_merge_patch
from master.scheduler.framework import FilterPlugin, NodeInfo, PodInfo, Resources, Taint
from master.scheduler.plugins import node_affinity, node_ports, node_resources_fit, node_unschedulable, taint_toleration
from master.scheduler.plugins.node_affinity import InvalidRequirement, Requirement, compiled_affinity
from master.scheduler.plugins.node_resources_fit import format_cpu, format_memory
from master.scheduler.plugins.node_unschedulable import UNSCHEDULABLE_TAINT
from master.scheduler.plugins.taint_toleration import first_untolerated_taint
from objects.container import Container
from objects.explanation import ObjectRef, Suggestion
from objects.node import Node
from objects.pod import NodeSelectorTerm, Pod, PodSpec
from objects.quantity import cpu_millicores, to_bytes

UNCORDON_NODE = "UncordonNode"
TOLERATE_TAINT = "TolerateTaint"
RELAX_NODE_SELECTOR = "RelaxNodeSelector"
RELAX_NODE_AFFINITY = "RelaxNodeAffinity"
LOWER_REQUESTS = "LowerRequests"
REMOVE_PODS = "RemovePods"
ADD_NODE = "AddNode"

PER_KIND = 2
NODES_NAMED = 10
# RemovePods works out the removals for this many nodes, those closest to fitting: sorting the pods
# of every node of a large cluster would cost more than the whole rest of the search.
REMOVAL_CANDIDATES = 50
NEW_NODE_NAME = "new-node"
DEFAULT_MAX_PODS = 110

MIB = 1 << 20
GIB = 1 << 30

# The plugins whose verdict each change to the pod can move (what they read of the pod).
TOUCHED_BY_TOLERATIONS = frozenset({taint_toleration.NAME, node_unschedulable.NAME})
TOUCHED_BY_NODE_AFFINITY = frozenset({node_affinity.NAME})
TOUCHED_BY_REQUESTS = frozenset({node_resources_fit.NAME})
ROOM = frozenset({node_resources_fit.NAME, node_ports.NAME})  # what removing pods from a node frees
UNMATCHABLE = frozenset({("invalid", -1)})  # an invalid term: no drop of its requirements opens a node


@dataclass(frozen=True)
class Template:
    """The object whose pod template makes the pod: where a change to the pod's spec is applied."""

    ref: ObjectRef  # a Deployment, DaemonSet, ReplicaSet, or the Pod itself
    tolerations: list[dict[str, Any]]  # the template's own: a strategic merge patch replaces the list whole

    @classmethod
    def bare(cls, pod: Pod) -> Template:
        """The pod is its own template: no controller makes it."""
        spec = pod.spec or PodSpec()
        return cls(ObjectRef(api_version="v1", kind="Pod", name=pod.metadata.name or "",
                             namespace=pod.metadata.namespace or "default"),
                   [toleration.to_wire() for toleration in spec.tolerations or []])

    @property
    def is_pod(self) -> bool:
        return self.ref.kind == "Pod"

    def patch(self, spec_patch: dict[str, Any]) -> dict[str, Any]:
        return {"spec": spec_patch} if self.is_pod else {"spec": {"template": {"spec": spec_patch}}}

    def command(self, patch: dict[str, Any], *, recreate: bool = False) -> str:
        """`kubectl patch`; with `recreate`, the patched pod replaces the old one (its spec is immutable)."""
        target = f"kubectl patch {self.ref.kind.lower()} {self.ref.name} -n {self.ref.namespace}"
        body = shlex.quote(json.dumps(patch, separators=(",", ":")))
        if recreate:
            return f"{target} --dry-run=client -o json -p {body} | kubectl replace --force -f -"
        return f"{target} -p {body}"

    def __str__(self) -> str:
        return f"{self.ref.kind.lower()}/{self.ref.name}"


def suggest(pod: Pod, info: PodInfo, nodes: list[NodeInfo], filters: list[FilterPlugin],
            template: Template) -> list[Suggestion]:
    """The checked changes that would let `pod` (`info` as the scheduler sees it) fit now, smallest first."""
    search = _Search.survey(pod, info, nodes, filters, template)
    found: list[Suggestion] = []
    for kind in (uncordon_node, tolerate_taint, relax_node_selector, relax_node_affinity, lower_requests,
                 remove_pods, add_node):
        for suggestion in kind(search):
            found.append(suggestion)
            if sum(s.type == suggestion.type for s in found) >= PER_KIND:
                break
    return found


def _skips(plugin: FilterPlugin, pod: PodInfo) -> bool:
    skip = getattr(plugin, "skip_filter", None)
    return skip is not None and skip(pod)


def passes(pod: PodInfo, node: NodeInfo, filters: list[FilterPlugin]) -> bool:
    """Whether every filter lets the pod onto the node."""
    for plugin in filters:
        if plugin.filter(pod, node) is not None:
            return False
    return True


@dataclass
class _Search:
    pod: Pod
    wire: dict[str, Any]  # the pod's JSON, which the changes are applied to
    info: PodInfo
    nodes: list[NodeInfo]
    filters: list[FilterPlugin]
    template: Template
    held_back: dict[frozenset[str], list[NodeInfo]]  # by the set of plugins that reject them

    @classmethod
    def survey(cls, pod: Pod, info: PodInfo, nodes: list[NodeInfo], filters: list[FilterPlugin],
               template: Template) -> _Search:
        """Every filter on every node. A plugin that says it has nothing to check for this pod
        (`skip_filter`, as the cycle honours it) is left out: it would accept every node."""
        asked = [plugin for plugin in filters if not _skips(plugin, info)]
        held_back: dict[frozenset[str], list[NodeInfo]] = {}
        for node in nodes:
            rejecting = frozenset(plugin.name for plugin in asked if plugin.filter(info, node) is not None)
            held_back.setdefault(rejecting, []).append(node)
        return cls(pod, pod.to_wire(), info, nodes, filters, template, held_back)

    def only(self, plugins: frozenset[str]) -> Iterable[NodeInfo]:
        """The nodes held back by some of `plugins` and nothing else."""
        for rejecting, nodes in self.held_back.items():
            if rejecting and rejecting <= plugins:
                yield from nodes

    @property
    def spec(self) -> PodSpec:
        return self.pod.spec or PodSpec()

    def patched(self, spec_patch: dict[str, Any]) -> PodInfo:
        """The pod as the scheduler would see it once `spec_patch` is applied, as the API server applies it."""
        return PodInfo.from_model(Pod.model_validate(apply_strategic_merge_patch(self.wire, {"spec": spec_patch})))

    def fitting(self, info: PodInfo, nodes: Iterable[NodeInfo]) -> list[str]:
        """Those of `nodes` that every filter accepts the changed pod on."""
        asked = [plugin for plugin in self.filters if not _skips(plugin, info)]
        return [node.name for node in nodes if passes(info, node, asked)]

    def template_change(self, type_: str, change: str, spec_patch: dict[str, Any], fitting: list[str], *,
                        recreate: bool = True) -> Suggestion:
        """A change to the pod's template, with its kubectl command. `recreate`: a bare pod cannot take it live."""
        patch = self.template.patch(spec_patch)
        recreate = recreate and self.template.is_pod
        note = "; a Pod's spec cannot change, so the command re-creates the pod" if recreate else ""
        return Suggestion(type=type_, message=f"{self.template}: {change}; {_fits(fitting)}{note}",
                          target=self.template.ref, patch=patch,
                          command=self.template.command(patch, recreate=recreate), nodes=fitting[:NODES_NAMED])


# ----- changes to a node


def uncordon_node(search: _Search) -> Iterable[Suggestion]:
    """A cordoned node the pod fits once uncordoned (and rid of the taint the node controller put there)."""
    for node in search.only(frozenset({node_unschedulable.NAME, taint_toleration.NAME})):
        if not node.unschedulable:
            continue
        uncordoned = replace(node, unschedulable=False,
                             taints=[taint for taint in node.taints if taint.key != UNSCHEDULABLE_TAINT.key])
        if passes(search.info, uncordoned, search.filters):
            yield Suggestion(type=UNCORDON_NODE, message=f"uncordon node {node.name}: it takes no new pods "
                             "(spec.unschedulable), and the pod fits it otherwise",
                             target=ObjectRef(api_version="v1", kind="Node", name=node.name),
                             patch={"spec": {"unschedulable": None}}, command=f"kubectl uncordon {node.name}",
                             nodes=[node.name])


def remove_pods(search: _Search) -> Iterable[Suggestion]:
    """The node where deleting the fewest pods makes room, taking the lowest priority first, then the newest.
    Only pods of no higher priority than this one are named, as preemption would."""
    wanted = search.info.requests
    plans = []
    for node in heapq.nsmallest(REMOVAL_CANDIDATES, search.only(ROOM), key=lambda node: _shortfall(wanted, node)):
        victims = _removal_order(node, search.info.priority)
        room = replace(node, pods=dict(node.pods), used_ports=dict(node.used_ports))
        for count, victim in enumerate(victims, start=1):
            room.remove_pod(victim)
            if passes(search.info, room, search.filters):
                plans.append((count, node.name, victims[:count]))
                break
    for _, name, victims in sorted(plans, key=lambda plan: plan[:2]):
        by_namespace: dict[str, list[str]] = {}
        for victim in victims:
            by_namespace.setdefault(victim.namespace, []).append(victim.name)
        controlled = sorted({victim.controller for victim in victims if victim.controller})
        note = (f"; {', '.join(controlled)} will re-create {'its' if len(controlled) == 1 else 'their'} pods, "
                "which may take the room back") if controlled else ""
        yield Suggestion(type=REMOVE_PODS, message=f"delete {_count(len(victims), 'pod')} from node {name} "
                         f"(lowest priority first, then newest): the pod then fits there{note}",
                         target=ObjectRef(api_version="v1", kind="Node", name=name),
                         patch=None, nodes=[name], pods=[victim.key for victim in victims],
                         command=" && ".join(f"kubectl delete pod -n {namespace} {' '.join(names)}"
                                             for namespace, names in by_namespace.items()))


def add_node(search: _Search) -> Iterable[Suggestion]:
    """A node as big as the largest one (or as the pod's requests, if larger), with the labels the pod's
    nodeSelector and one of its required terms want, and no taints."""
    wanted = search.info.requests
    largest = max((node.allocatable for node in search.nodes), key=lambda r: (r.milli_cpu, r.memory),
                  default=Resources())
    cores = max(-(-largest.milli_cpu // 1000), -(-wanted.milli_cpu // 1000), 1)
    gibibytes = max(-(-largest.memory // GIB), -(-wanted.memory // GIB), 1)
    pods = largest.pods or DEFAULT_MAX_PODS
    taken = {node.name for node in search.nodes}
    for labels, node_name in _labellings(search.info, _unused_name(taken), taken):
        capacity = {"cpu": str(cores), "memory": f"{gibibytes}Gi", "pods": str(pods)}
        manifest = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": node_name, "labels": labels},
                    "status": {"capacity": capacity, "allocatable": capacity}}
        # As the scheduler will see it once its kubelet reports Ready.
        ready = {**manifest, "status": {**manifest["status"], "conditions": [{"type": "Ready", "status": "True"}]}}
        if not passes(search.info, NodeInfo.from_model(Node.model_validate(ready)), search.filters):
            continue
        shown = ", ".join(f"{k}={v}" for k, v in labels.items())
        flags = f" --labels {shlex.quote(','.join(f'{k}={v}' for k, v in labels.items()))}" if labels else ""
        yield Suggestion(type=ADD_NODE, message=f"add a node with {cores} cpu, {gibibytes}Gi memory"
                         f"{f' and labels {shown}' if labels else ''}, and no taints: the filters accept the pod there",
                         target=None, patch=None, node=manifest, nodes=[node_name],
                         command=f"tinykube-kubelet --kubeconfig NODE_KUBECONFIG --node-name {node_name} "
                                 f"--cpu {cores} --memory {gibibytes}Gi{flags}")
        return


# ----- changes to the pod's template


def tolerate_taint(search: _Search) -> Iterable[Suggestion]:
    """A toleration for the taint that alone keeps the pod off the most nodes."""
    repelling = (first_untolerated_taint(search.info, node) for node in search.only(frozenset({taint_toleration.NAME})))
    taints = Counter(taint for taint in repelling if taint is not None)
    own = [toleration.to_wire() for toleration in search.spec.tolerations or []]
    for taint in sorted(taints, key=lambda taint: (-taints[taint], taint.key, taint.value, taint.effect)):
        toleration = _toleration_for(taint)
        fitting = search.fitting(search.patched({"tolerations": [*own, toleration]}),
                                 search.only(TOUCHED_BY_TOLERATIONS))
        if fitting:
            yield search.template_change(TOLERATE_TAINT, f"tolerate taint {_spell(taint)}",
                                         {"tolerations": [*search.template.tolerations, toleration]}, fitting,
                                         recreate=False)  # a live pod may gain tolerations


def relax_node_selector(search: _Search) -> Iterable[Suggestion]:
    """Drop the fewest nodeSelector labels that keep out nodes matching everything else."""
    selector = search.info.node_selector
    if not selector:
        return
    missing = [(node, frozenset(key for key, value in selector.items() if node.labels.get(key) != value))
               for node in search.only(TOUCHED_BY_NODE_AFFINITY) if _required_terms_match(search.info, node)]
    counts = Counter(keys for _, keys in missing)
    for keys in sorted(counts, key=lambda keys: (len(keys), -counts[keys], sorted(keys))):
        spec_patch = {"nodeSelector": {key: None for key in sorted(keys)}}
        opened = [node for node, lacking in missing if lacking <= keys]
        fitting = search.fitting(search.patched(spec_patch), opened)
        if fitting:
            dropped = ", ".join(f"{key}={selector[key]}" for key in sorted(keys))
            yield search.template_change(RELAX_NODE_SELECTOR, f"drop nodeSelector {dropped}", spec_patch, fitting)


def relax_node_affinity(search: _Search) -> Iterable[Suggestion]:
    """Drop the requirements of one required nodeSelectorTerm that keep out nodes matching everything else.
    A node is opened by relaxing term i when it lacks nothing else of that term: the other terms, left
    as they are, still fail it. A requirement on the node's name is never dropped: it pins the pod to
    named nodes (the DaemonSet controller pins each of its pods so, outside its template)."""
    terms = search.info.required_node_affinity
    if not terms:
        return
    compiled = [_requirements(term) for term in terms]
    unmatched: list[tuple[NodeInfo, dict[int, frozenset[tuple[str, int]]]]] = []
    drops: Counter[tuple[int, frozenset[tuple[str, int]]]] = Counter()
    for node in search.only(TOUCHED_BY_NODE_AFFINITY):
        if not _selector_matches(search.info, node):
            continue
        lacking = {i: frozenset(where for where, requirement in requirements
                                if not requirement.matches(node.labels, node.name))
                   for i, requirements in enumerate(compiled) if requirements is not None}
        by_term = {i: wheres for i, wheres in lacking.items() if all(field != "matchFields" for field, _ in wheres)}
        if by_term:
            unmatched.append((node, by_term))
            closest = min(by_term, key=lambda i: len(by_term[i]))
            drops[closest, by_term[closest]] += 1
    for term_index, dropped in sorted(drops, key=lambda d: (len(d[1]), -drops[d], d[0], sorted(d[1]))):
        relaxed = _without(terms, term_index, dropped)
        required = {"nodeSelectorTerms": relaxed} if relaxed is not None else None
        spec_patch = {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": required}}}
        opened = [node for node, by_term in unmatched
                  if relaxed is None or by_term.get(term_index, UNMATCHABLE) <= dropped]
        fitting = search.fitting(search.patched(spec_patch), opened)
        if not fitting:
            continue
        said = ", ".join(str(requirement) for where, requirement in compiled[term_index] if where in dropped)
        change = (f"drop {said} from required node affinity term {term_index + 1}" if relaxed is not None
                  else f"drop the required node affinity (term {term_index + 1} would be left empty: {said})")
        yield search.template_change(RELAX_NODE_AFFINITY, change, spec_patch, fitting)


def lower_requests(search: _Search) -> Iterable[Suggestion]:
    """Requests the roomiest node can hold, among the nodes that only lack cpu or memory for the pod."""
    wanted = search.info.requests
    best: tuple[float, int, int, str] | None = None
    for node in search.only(TOUCHED_BY_REQUESTS):
        allocatable, requested = node.allocatable, node.requested
        if requested.pods >= allocatable.pods:
            continue  # a full pod count is not a request to lower
        cpu = min(wanted.milli_cpu, allocatable.milli_cpu - requested.milli_cpu)
        memory = min(wanted.memory, allocatable.memory - requested.memory)
        if (wanted.milli_cpu and cpu <= 0) or (wanted.memory and memory <= 0):
            continue
        kept = min(cpu / wanted.milli_cpu if wanted.milli_cpu else 1.0,
                   memory / wanted.memory if wanted.memory else 1.0)
        if best is None or (kept, cpu + memory / MIB) > (best[0], best[1] + best[2] / MIB):
            best = (kept, cpu, memory, node.name)
    if best is None:
        return
    _, cpu, memory, roomiest = best
    spec_patch, said = _lowered(search.spec, wanted, Resources(cpu, memory, 1))
    if not spec_patch:
        return
    fitting = search.fitting(search.patched(spec_patch), search.only(TOUCHED_BY_REQUESTS))
    if fitting:
        yield search.template_change(LOWER_REQUESTS, f"lower the requests ({said}) to what node {roomiest} has free",
                                     spec_patch, fitting)


# ----- the arithmetic behind them


def _fits(nodes: list[str]) -> str:
    named = ", ".join(nodes[:NODES_NAMED])
    more = f" and {len(nodes) - NODES_NAMED} more" if len(nodes) > NODES_NAMED else ""
    return f"the pod then fits {_count(len(nodes), 'node')}: {named}{more}"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _spell(taint: Taint) -> str:
    return f"{taint.key}={taint.value}:{taint.effect}" if taint.value else f"{taint.key}:{taint.effect}"


def _toleration_for(taint: Taint) -> dict[str, Any]:
    if taint.value:
        return {"key": taint.key, "operator": "Equal", "value": taint.value, "effect": taint.effect}
    return {"key": taint.key, "operator": "Exists", "effect": taint.effect}


def _unused_name(taken: set[str]) -> str:
    if NEW_NODE_NAME not in taken:
        return NEW_NODE_NAME
    return next(name for name in (f"{NEW_NODE_NAME}-{i}" for i in itertools.count(2)) if name not in taken)


def _shortfall(wanted: Resources, node: NodeInfo) -> float:
    """How far the node is from holding the pod: the missing share of each resource, summed."""
    allocatable, requested = node.allocatable, node.requested
    missing = 0.0
    for want, total, used in ((wanted.milli_cpu, allocatable.milli_cpu, requested.milli_cpu),
                              (wanted.memory, allocatable.memory, requested.memory),
                              (1, allocatable.pods, requested.pods)):
        if want > total - used:
            missing += (want - total + used) / (total or 1)
    return missing


def _removal_order(node: NodeInfo, priority: int) -> list[PodInfo]:
    """The node's pods the suggestion may name, lowest priority first, then newest: two stable sorts."""
    pods = [pod for pod in node.pods.values() if not pod.deleting and pod.priority <= priority]
    pods.sort(key=lambda pod: pod.created, reverse=True)
    pods.sort(key=lambda pod: pod.priority)
    return pods


def _selector_matches(pod: PodInfo, node: NodeInfo) -> bool:
    return all(node.labels.get(key) == value for key, value in pod.node_selector.items())


def _required_terms_match(pod: PodInfo, node: NodeInfo) -> bool:
    required = compiled_affinity(pod).required
    return required is None or any(term.matches(node) for term in required)


def _requirements(term: NodeSelectorTerm) -> list[tuple[tuple[str, int], Requirement]] | None:
    """Each requirement of the term with where it sits ("matchExpressions", index); None if one is invalid."""
    try:
        return [*((("matchExpressions", i), Requirement.parse(e, on_field=False))
                  for i, e in enumerate(term.match_expressions or [])),
                *((("matchFields", i), Requirement.parse(f, on_field=True))
                  for i, f in enumerate(term.match_fields or []))]
    except InvalidRequirement:
        return None


def _without(terms: list[NodeSelectorTerm], index: int,
             dropped: tuple[tuple[str, int], ...]) -> list[dict[str, Any]] | None:
    """The terms as JSON with term `index` relaxed; None when that term would be left with nothing
    (an empty term matches no node, so the relaxation is to drop the required affinity)."""
    relaxed = [term.to_wire() for term in terms]
    term = relaxed[index]
    for field in ("matchExpressions", "matchFields"):
        kept = [e for i, e in enumerate(term.get(field) or []) if (field, i) not in dropped]
        if kept:
            term[field] = kept
        else:
            term.pop(field, None)
    return relaxed if term else None


def _lowered(spec: PodSpec, wanted: Resources, target: Resources) -> tuple[dict[str, Any], str]:
    """A patch scaling every container's cpu and memory request down so the pod's total is at most
    `target`, and the change in words. Containers merge by name in a strategic merge patch."""
    overhead = spec.overhead or {}
    scales: dict[str, tuple[float, Callable[[int], str]]] = {}
    said = []
    for resource, want, limit, show in (("cpu", wanted.milli_cpu, target.milli_cpu, format_cpu),
                                        ("memory", wanted.memory, target.memory, _memory_quantity)):
        if want and limit < want:
            extra = _quantity(resource, overhead.get(resource, 0))
            scales[resource] = ((limit - extra) / (want - extra), show)
            shown = format_cpu if resource == "cpu" else format_memory
            said.append(f"{resource} {shown(want)} -> {shown(limit)}")
    patch: dict[str, Any] = {}
    for field, containers in (("containers", spec.containers), ("initContainers", spec.init_containers)):
        changed = [c for c in (_scaled(container, scales) for container in containers or []) if c]
        if changed:
            patch[field] = changed
    return patch, ", ".join(said)


def _scaled(container: Container, scales: dict[str, tuple[float, Callable[[int], str]]]) -> dict[str, Any] | None:
    resources = container.resources
    requests = (resources.requests if resources else None) or {}
    limits = (resources.limits if resources else None) or {}
    lowered = {}
    for resource, (factor, show) in scales.items():
        current = requests.get(resource, limits.get(resource))
        if current is not None:
            lowered[resource] = show(max(int(_quantity(resource, current) * factor), 1))
    return {"name": container.name, "resources": {"requests": lowered}} if lowered else None


def _quantity(resource: str, quantity: Any) -> int:
    return cpu_millicores(quantity) if resource == "cpu" else to_bytes(quantity)


def _memory_quantity(n_bytes: int) -> str:
    """Bytes as a quantity no larger than `n_bytes`: whole Gi or Mi when that loses nothing, else Mi
    rounded down, else plain bytes."""
    if n_bytes % GIB == 0:
        return f"{n_bytes // GIB}Gi"
    if n_bytes >= MIB:
        return f"{n_bytes // MIB}Mi"
    return str(n_bytes)


def _labellings(pod: PodInfo, name: str, taken: set[str]) -> Iterable[tuple[dict[str, str], str]]:
    """Labels (and a name) for a new node that the pod's nodeSelector and, in turn, each of its required
    terms accept: In takes its first value, Exists any, Gt and Lt a number past the bound. A term that
    pins the pod to nodes by name (matchFields, as the DaemonSet controller pins its pods) gives the new
    node that name, unless a node has it already."""
    selector = dict(pod.node_selector)
    if not pod.required_node_affinity:
        yield selector, name
        return
    for term in pod.required_node_affinity:
        requirements = _requirements(term)
        if requirements is None:
            continue
        labels, node_name = dict(selector), name
        for _, requirement in requirements:
            operator = requirement.operator
            if requirement.on_field:
                if operator == "In":
                    node_name = next(iter(requirement.values))
                continue
            if operator == "In":
                labels.setdefault(requirement.key, sorted(requirement.values)[0])
            elif operator == "Exists":
                labels.setdefault(requirement.key, "true")
            elif operator == "Gt":
                labels.setdefault(requirement.key, str(requirement.number + 1))
            elif operator == "Lt":
                labels.setdefault(requirement.key, str(requirement.number - 1))
        if node_name == name or node_name not in taken:
            yield labels, node_name
