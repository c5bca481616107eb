"""Rescaling one cycle's raw scores to 0..MAX_NODE_SCORE, as kube-scheduler's DefaultNormalizeScore does."""

from __future__ import annotations

from master.scheduler.framework import MAX_NODE_SCORE


def default_normalize_score(scores: list[int], *, reverse: bool) -> None:
    """Scale scores in place so the highest becomes MAX_NODE_SCORE (integer division, like Go's).

    `scores` holds one raw score per feasible node, in the cycle's node order. With `reverse`,
    the scale is flipped so the node with the highest raw score gets 0: used when the raw score
    counts something bad, such as untolerated PreferNoSchedule taints. When every raw score is 0
    the nodes are equal: all MAX_NODE_SCORE if reversed, all left at 0 otherwise.
    """
    highest = max(scores, default=0)
    if highest == 0:
        if reverse:
            scores[:] = [MAX_NODE_SCORE] * len(scores)
        return
    if reverse:
        scores[:] = [MAX_NODE_SCORE - MAX_NODE_SCORE * raw // highest for raw in scores]
    else:
        scores[:] = [MAX_NODE_SCORE * raw // highest for raw in scores]
