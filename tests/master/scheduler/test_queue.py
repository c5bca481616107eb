"""The scheduling queue on its own, with a clock the test moves."""

from master.scheduler.queue import INITIAL_BACKOFF_SECONDS, MAX_UNSCHEDULABLE_SECONDS, SchedulingQueue


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_pod_that_fitted_nowhere_waits_for_a_cluster_change():
    clock = Clock()
    queue = SchedulingQueue(clock=clock)
    queue.add("ns/big")
    assert queue.pop(timeout=0) == "ns/big"
    queue.unschedulable("ns/big")
    clock.now += INITIAL_BACKOFF_SECONDS * 5
    assert queue.pop(timeout=0) is None  # parked: nothing changed, and the flush is far off
    queue.cluster_changed()
    clock.now += INITIAL_BACKOFF_SECONDS
    assert queue.pop(timeout=0) == "ns/big"


def test_a_change_during_the_pods_cycle_is_not_lost():
    # Guards a flake: a node that arrived while the pod was being tried left it parked until the flush.
    clock = Clock()
    queue = SchedulingQueue(clock=clock)
    queue.add("ns/big")
    assert queue.pop(timeout=0) == "ns/big"
    queue.cluster_changed()  # a node is added after the cycle's snapshot
    queue.unschedulable("ns/big")
    clock.now += INITIAL_BACKOFF_SECONDS
    assert queue.pop(timeout=0) == "ns/big"


def test_a_parked_pod_is_retried_after_the_flush_interval_even_if_nothing_changed():
    clock = Clock()
    queue = SchedulingQueue(clock=clock)
    queue.add("ns/big")
    queue.pop(timeout=0)
    queue.unschedulable("ns/big")
    clock.now += MAX_UNSCHEDULABLE_SECONDS
    assert queue.pop(timeout=0) == "ns/big"
