"""The scheduling queue on its own, with a clock the test moves."""

from master.scheduler.queue import (
    ATTEMPTS_KEPT, BACKOFF_EXPIRED, INITIAL_BACKOFF_SECONDS, MAX_UNSCHEDULABLE_SECONDS, PERIODIC_RETRY, SchedulingQueue,
)


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
    queue.cluster_changed("node n2 added")
    clock.now += INITIAL_BACKOFF_SECONDS
    assert queue.pop(timeout=0) == "ns/big"


def test_a_change_during_the_pods_cycle_is_not_lost():
    # Guards a flake: a node that arrived while the pod was being tried left it parked until the flush.
    clock = Clock()
    queue = SchedulingQueue(clock=clock)
    queue.add("ns/big")
    assert queue.pop(timeout=0) == "ns/big"
    queue.cluster_changed("node n2 added")  # after the cycle's snapshot
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


# ----- what requeued a pod, and its attempts


def attempt(queue: SchedulingQueue, key: str, *, at: float = 0.0, result: str = "Unschedulable"):
    """Pop `key`, note one attempt at it, and answer the pod's history."""
    assert queue.pop(timeout=0) == key
    return queue.record_attempt(key, result=result, message=f"attempt at {at}", at=at)


def test_each_attempt_names_the_change_that_sent_the_pod_back():
    clock = Clock()
    queue = SchedulingQueue(clock=clock)
    queue.add("ns/big")
    first = attempt(queue, "ns/big")
    queue.unschedulable("ns/big")
    queue.cluster_changed("node node-2 added")
    clock.now += INITIAL_BACKOFF_SECONDS
    history = attempt(queue, "ns/big", at=1.0)
    assert [a.requeued_by for a in first] == [""]
    assert [a.requeued_by for a in history] == ["", "node node-2 added"]
    assert history[-1].time == "1970-01-01T00:00:01.000Z" and history[-1].message == "attempt at 1.0"


def test_a_change_during_the_cycle_is_named_by_the_next_attempt():
    clock = Clock()
    queue = SchedulingQueue(clock=clock)
    queue.add("ns/big")
    attempt(queue, "ns/big")
    queue.cluster_changed("pod default/web-1 deleted from node-1")  # lands before the pod is parked
    queue.unschedulable("ns/big")
    clock.now += INITIAL_BACKOFF_SECONDS
    assert attempt(queue, "ns/big")[-1].requeued_by == "pod default/web-1 deleted from node-1"


def test_the_flush_a_spec_change_and_a_failed_binding_each_say_so():
    clock = Clock()
    queue = SchedulingQueue(clock=clock)
    queue.add("ns/big")
    attempt(queue, "ns/big")
    queue.unschedulable("ns/big")
    clock.now += MAX_UNSCHEDULABLE_SECONDS
    assert attempt(queue, "ns/big")[-1].requeued_by == PERIODIC_RETRY.format(MAX_UNSCHEDULABLE_SECONDS)
    queue.unschedulable("ns/big")
    queue.add("ns/big", cause="pod spec changed")
    assert attempt(queue, "ns/big")[-1].requeued_by == "pod spec changed"
    queue.retry_later("ns/big")
    clock.now += MAX_UNSCHEDULABLE_SECONDS
    assert attempt(queue, "ns/big", result="Scheduled")[-1].requeued_by == BACKOFF_EXPIRED


def test_a_pod_keeps_its_latest_attempts_and_forgets_them_once_bound():
    clock = Clock()
    queue = SchedulingQueue(clock=clock)
    queue.add("ns/big")
    for n in range(ATTEMPTS_KEPT + 3):
        history = attempt(queue, "ns/big", at=float(n))
        queue.retry_later("ns/big")
        clock.now += MAX_UNSCHEDULABLE_SECONDS
    assert [a.message for a in history] == [f"attempt at {float(n)}" for n in range(3, ATTEMPTS_KEPT + 3)]
    queue.done("ns/big")
    queue.add("ns/big")  # the same name again: a new pod, with no past
    assert [a.requeued_by for a in attempt(queue, "ns/big")] == [""]


def test_an_attempt_at_a_pod_deleted_meanwhile_is_answered_alone():
    queue = SchedulingQueue(clock=Clock())
    queue.add("ns/gone")
    assert queue.pop(timeout=0) == "ns/gone"
    queue.remove("ns/gone")
    assert len(queue.record_attempt("ns/gone", result="Unschedulable", message="m", at=0.0)) == 1
    assert len(queue) == 0
