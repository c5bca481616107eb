"""NodeAffinity: the pod's nodeSelector and node affinity, against the node's labels.

Filter: every nodeSelector label must be on the node with that value, AND, when the pod has
required node affinity, at least one of its nodeSelectorTerms must match:

    nodeSelectorTerms      ORed: any one term is enough
      matchExpressions     ANDed, on labels:  In, NotIn, Exists, DoesNotExist, Gt, Lt
      matchFields          ANDed, on fields:  metadata.name with In or NotIn and one value

A term with nothing in it, or with a requirement Kubernetes would not parse (Gt with a value
that is not one integer, In with no values...), matches no node.

Score: the sum of the weights of the pod's preferred terms that the node matches; `normalize`
scales the highest to 100. An invalid preferred term just scores nothing (kube-scheduler
fails the cycle instead; API validation keeps such terms out in both).

The terms are compiled once per pod and kept on the PodInfo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from master.scheduler.framework import NodeInfo, PodInfo, Rejection
from master.scheduler.plugins.normalize import default_normalize_score
from objects.node import NodeSelectorOperator
from objects.pod import NodeSelectorRequirement, NodeSelectorTerm

NAME = "NodeAffinity"

ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector"

NODE_NAME_FIELD = "metadata.name"

_SET_OPERATORS = (NodeSelectorOperator.IN, NodeSelectorOperator.NOT_IN)
_EXISTENCE_OPERATORS = (NodeSelectorOperator.EXISTS, NodeSelectorOperator.DOES_NOT_EXIST)
_NUMERIC_OPERATORS = (NodeSelectorOperator.GT, NodeSelectorOperator.LT)

_INTEGER = re.compile(r"[+-]?[0-9]+")  # what Go's strconv.ParseInt accepts
_INT64 = range(-(2**63), 2**63)


class InvalidRequirement(ValueError):
    """A requirement Kubernetes would refuse to parse; the term holding it matches nothing."""


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    operator: NodeSelectorOperator
    values: frozenset[str]
    number: int  # the bound of Gt and Lt
    on_field: bool  # matchFields (the node's name) rather than matchExpressions (its labels)

    @classmethod
    def parse(cls, expression: NodeSelectorRequirement, *, on_field: bool) -> Requirement:
        key, operator = expression.key or "", expression.operator or ""
        values = list(expression.values or [])
        if on_field:
            if key != NODE_NAME_FIELD:
                raise InvalidRequirement(f"matchFields key {key!r} is not supported, only {NODE_NAME_FIELD}")
            if operator not in _SET_OPERATORS or len(values) != 1:
                raise InvalidRequirement(f"matchFields wants In or NotIn with exactly one value, got {operator}")
            return cls(key, NodeSelectorOperator(operator), frozenset(values), 0, True)
        if operator in _SET_OPERATORS:
            if not values:
                raise InvalidRequirement(f"{key} {operator} needs at least one value")
            return cls(key, NodeSelectorOperator(operator), frozenset(values), 0, False)
        if operator in _EXISTENCE_OPERATORS:
            if values:
                raise InvalidRequirement(f"{key} {operator} takes no values")
            return cls(key, NodeSelectorOperator(operator), frozenset(), 0, False)
        if operator in _NUMERIC_OPERATORS:
            number = _parse_int64(values[0]) if len(values) == 1 else None
            if number is None:
                raise InvalidRequirement(f"{key} {operator} needs exactly one integer value")
            return cls(key, NodeSelectorOperator(operator), frozenset(), number, False)
        raise InvalidRequirement(f"{key}: unknown operator {operator!r}")

    def matches(self, labels: dict[str, str], node_name: str) -> bool:
        if self.on_field:
            return (node_name in self.values) == (self.operator == NodeSelectorOperator.IN)
        value = labels.get(self.key)
        operator = self.operator
        if operator == NodeSelectorOperator.IN:
            return value is not None and value in self.values
        if operator == NodeSelectorOperator.NOT_IN:
            return value is None or value not in self.values
        if operator == NodeSelectorOperator.EXISTS:
            return value is not None
        if operator == NodeSelectorOperator.DOES_NOT_EXIST:
            return value is None
        number = _parse_int64(value) if value is not None else None
        if number is None:
            return False
        return number > self.number if operator == NodeSelectorOperator.GT else number < self.number

    def __str__(self) -> str:
        if self.operator in _SET_OPERATORS:
            return f"{self.key} {self.operator} [{', '.join(sorted(self.values))}]"
        if self.operator in _NUMERIC_OPERATORS:
            return f"{self.key} {self.operator} {self.number}"
        return f"{self.key} {self.operator}"


@dataclass(frozen=True, slots=True)
class Term:
    """One nodeSelectorTerm: every requirement must hold. `invalid` says why it matches nothing."""

    requirements: tuple[Requirement, ...]
    invalid: str = ""

    @classmethod
    def parse(cls, term: NodeSelectorTerm) -> Term:
        try:
            requirements = (
                *(Requirement.parse(e, on_field=False) for e in term.match_expressions or []),
                *(Requirement.parse(f, on_field=True) for f in term.match_fields or []),
            )
        except InvalidRequirement as e:
            return cls((), f"invalid ({e}), matches no node")
        if not requirements:
            return cls((), "empty, matches no node")
        return cls(requirements)

    def matches(self, node: NodeInfo) -> bool:
        if self.invalid:
            return False
        labels, name = node.labels, node.name
        for requirement in self.requirements:
            if not requirement.matches(labels, name):
                return False
        return True

    def first_unmatched(self, node: NodeInfo) -> str | None:
        if self.invalid:
            return self.invalid
        for requirement in self.requirements:
            if not requirement.matches(node.labels, node.name):
                return f"{requirement} (node has {_what_node_has(requirement, node)})"
        return None


@dataclass(frozen=True, slots=True)
class CompiledAffinity:
    selector: tuple[tuple[str, str], ...]
    required: tuple[Term, ...] | None  # None: the pod has no required node affinity
    preferred: tuple[tuple[int, Term], ...]


def compiled_affinity(pod: PodInfo) -> CompiledAffinity:
    compiled = pod.cache.get(NAME)
    if compiled is None:
        compiled = pod.cache[NAME] = CompiledAffinity(
            selector=tuple((str(k), str(v)) for k, v in pod.node_selector.items()),
            required=tuple(Term.parse(t) for t in pod.required_node_affinity) or None,
            preferred=tuple((p.weight, Term.parse(p.preference or NodeSelectorTerm()))
                            for p in pod.preferred_node_affinity if p.weight),
        )
    return compiled


def unmatched(pod: PodInfo, node: NodeInfo) -> str | None:
    """What keeps the node out, in words (the first unmatched nodeSelector label, or why each
    required term fails), or None when the node matches."""
    affinity = compiled_affinity(pod)
    labels = node.labels
    for key, value in affinity.selector:
        if labels.get(key) != value:
            has = f"{key}={labels[key]}" if key in labels else f"no label {key}"
            return f"nodeSelector {key}={value} (node has {has})"
    if affinity.required is None:
        return None
    failures = []
    for index, term in enumerate(affinity.required, start=1):
        failure = term.first_unmatched(node)
        if failure is None:
            return None
        failures.append(f"term {index}: {failure}")
    return "no required nodeSelectorTerm matched: " + "; ".join(failures)


def matches(pod: PodInfo, node: NodeInfo) -> bool:
    affinity = compiled_affinity(pod)
    labels = node.labels
    for key, value in affinity.selector:
        if labels.get(key) != value:
            return False
    if affinity.required is None:
        return True
    return any(term.matches(node) for term in affinity.required)


def preferred_score(pod: PodInfo, node: NodeInfo) -> int:
    """Sum of the weights of the preferred terms the node matches (raw, before normalize)."""
    return sum(weight for weight, term in compiled_affinity(pod).preferred if term.matches(node))


class NodeAffinity:
    name = NAME

    def skip_filter(self, pod: PodInfo) -> bool:
        return not pod.node_selector and not pod.required_node_affinity

    def filter(self, pod: PodInfo, node: NodeInfo) -> Rejection | None:
        if not pod.node_selector and not pod.required_node_affinity:
            return None
        if matches(pod, node):
            return None
        return Rejection(NAME, ERR_REASON_POD, unmatched(pod, node) or "")

    def skip_score(self, pod: PodInfo) -> bool:
        return not pod.preferred_node_affinity  # every node scores 0, and normalize keeps 0s

    def score(self, pod: PodInfo, node: NodeInfo) -> int:
        if not pod.preferred_node_affinity:
            return 0
        return preferred_score(pod, node)

    def normalize(self, scores: list[int]) -> None:
        default_normalize_score(scores, reverse=False)


def _parse_int64(text: str) -> int | None:
    if not _INTEGER.fullmatch(text):
        return None
    number = int(text)
    return number if number in _INT64 else None


def _what_node_has(requirement: Requirement, node: NodeInfo) -> str:
    if requirement.on_field:
        return f"name {node.name}"
    value = node.labels.get(requirement.key)
    return f"no label {requirement.key}" if value is None else f"{requirement.key}={value}"
