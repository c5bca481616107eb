"""TaintToleration: a node's taints repel every pod that does not tolerate them.

Filter: the first NoSchedule or NoExecute taint the pod does not tolerate rules the node out.
Score: each PreferNoSchedule taint the pod does not tolerate counts against the node; the raw
score is that count, and `normalize` turns "fewer is better" into 0..100.

How a toleration matches a taint (Kubernetes' Toleration.ToleratesTaint):

    effect    empty matches every effect, otherwise must equal the taint's
    key       empty matches every key (only valid with Exists), otherwise must equal the taint's
    operator  Exists: any value; Equal (or empty): the values must be equal
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from master.scheduler.framework import NodeInfo, PodInfo, Rejection, Taint
from master.scheduler.plugins.normalize import default_normalize_score
from objects.node import TaintEffect, TolerationOperator
from objects.pod import Toleration as PodToleration

NAME = "TaintToleration"

# Formatted with the taint as "{key: value}"; an empty value prints as "{key: }", as Go's %s does.
ERR_REASON_UNTOLERATED_TAINT = "node(s) had untolerated taint {}"

# Short names for the effects this plugin and the controllers that reuse it compare against.
NO_SCHEDULE = TaintEffect.NO_SCHEDULE
PREFER_NO_SCHEDULE = TaintEffect.PREFER_NO_SCHEDULE
NO_EXECUTE = TaintEffect.NO_EXECUTE


@dataclass(frozen=True, slots=True)
class Toleration:
    key: str
    operator: str  # a TolerationOperator ("" means Equal); any other tolerates nothing
    value: str
    effect: str  # "" tolerates every effect

    @classmethod
    def from_dict(cls, toleration: dict[str, Any]) -> Toleration:
        return cls(
            key=toleration.get("key") or "", operator=toleration.get("operator") or TolerationOperator.EQUAL,
            value=toleration.get("value") or "", effect=toleration.get("effect") or "",
        )

    @classmethod
    def from_model(cls, toleration: PodToleration) -> Toleration:
        return cls(
            key=toleration.key or "", operator=toleration.operator or TolerationOperator.EQUAL,
            value=toleration.value or "", effect=toleration.effect or "",
        )

    def tolerates(self, taint: Taint) -> bool:
        if self.effect and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        if self.operator == TolerationOperator.EXISTS:
            return True
        if self.operator == TolerationOperator.EQUAL:
            return self.value == taint.value
        return False  # an operator Kubernetes does not know tolerates nothing


def pod_tolerations(pod: PodInfo) -> tuple[Toleration, ...]:
    """The pod's tolerations, parsed once and kept on the PodInfo."""
    parsed = pod.cache.get("tolerations")
    if parsed is None:
        parsed = pod.cache["tolerations"] = tuple(Toleration.from_model(t) for t in pod.tolerations)
    return parsed


def tolerates(tolerations: tuple[Toleration, ...], taint: Taint) -> bool:
    return any(toleration.tolerates(taint) for toleration in tolerations)


def first_untolerated_taint(pod: PodInfo, node: NodeInfo) -> Taint | None:
    """The first NoSchedule or NoExecute taint of the node that the pod does not tolerate."""
    if not node.taints:
        return None
    tolerations = pod_tolerations(pod)
    for taint in node.taints:
        if taint.effect in (NO_SCHEDULE, NO_EXECUTE) and not tolerates(tolerations, taint):
            return taint
    return None


def count_untolerated_prefer_no_schedule(pod: PodInfo, node: NodeInfo) -> int:
    if not node.taints:
        return 0
    tolerations = pod_tolerations(pod)
    return sum(1 for taint in node.taints
               if taint.effect == PREFER_NO_SCHEDULE and not tolerates(tolerations, taint))


class TaintToleration:
    name = NAME

    def filter(self, pod: PodInfo, node: NodeInfo) -> Rejection | None:
        if not node.taints:
            return None
        taint = first_untolerated_taint(pod, node)
        if taint is None:
            return None
        spelled = f"{taint.key}={taint.value}:{taint.effect}" if taint.value else f"{taint.key}:{taint.effect}"
        return Rejection(NAME, ERR_REASON_UNTOLERATED_TAINT.format(taint),
                         f"node has taint {spelled} and the pod has no toleration for it")

    def score(self, pod: PodInfo, node: NodeInfo) -> int:
        """Raw score: the number of untolerated PreferNoSchedule taints (normalize reverses it)."""
        return count_untolerated_prefer_no_schedule(pod, node)

    def normalize(self, scores: list[int]) -> None:
        default_normalize_score(scores, reverse=True)
