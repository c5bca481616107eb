"""The controllers' work queue: deduplication, one worker per key, delayed and retried keys."""

import threading

from apiclient.provenance import current_cause, reacting_to
from master.controllers.controller import Controller
from master.controllers.workqueue import WorkQueue
from tests.support.cluster import wait_for


def test_adding_a_waiting_key_again_queues_it_once():
    queue = WorkQueue()
    for _ in range(3):
        queue.add("a")
    queue.add("b")
    assert [queue.get(timeout=0.1), queue.get(timeout=0.1), queue.get(timeout=0.1)] == ["a", "b", None]


def test_a_key_added_while_processing_comes_back_only_after_done():
    queue = WorkQueue()
    queue.add("a")
    assert queue.get(timeout=0.1) == "a"
    queue.add("a")
    assert queue.get(timeout=0.05) is None  # never handed to a second worker meanwhile
    queue.done("a")
    assert queue.get(timeout=0.1) == "a"


def test_add_after_and_retry_release_keys_later():
    now = [0.0]
    queue = WorkQueue(clock=lambda: now[0])
    queue.add_after("later", 5)
    queue.retry("failed")
    now[0] = 1.0
    assert queue.get(timeout=0) == "failed"
    assert queue.get(timeout=0) is None
    now[0] = 6.0
    assert queue.get(timeout=0) == "later"


def test_close_wakes_a_waiting_worker():
    queue = WorkQueue()
    got = []
    worker = threading.Thread(target=lambda: got.append(queue.get()))
    worker.start()
    queue.close()
    worker.join(timeout=2)
    assert got == [None]


def test_a_key_remembers_the_newest_revision_that_queued_it_while_it_waits():
    queue = WorkQueue()
    with reacting_to(7):
        queue.add("a")
    with reacting_to(9):
        queue.add("a")
    queue.add("a")  # a look with no event behind it keeps what queued the key
    assert queue.get(timeout=0.1) == "a"
    assert queue.cause_of("a") == 9
    with reacting_to(12):
        queue.add("a")  # while processing: the cause of the next round, not of this one
    assert queue.cause_of("a") == 9
    queue.done("a")
    assert queue.get(timeout=0.1) == "a"
    assert queue.cause_of("a") == 12


def test_a_delayed_key_keeps_the_cause_it_was_delayed_with():
    now = [0.0]
    queue = WorkQueue(clock=lambda: now[0])
    with reacting_to(5):
        queue.add_after("later", 1)
    queue.add("plain")
    now[0] = 2.0
    assert queue.get(timeout=0) == "plain"
    assert queue.cause_of("plain") is None
    assert queue.get(timeout=0) == "later"
    assert queue.cause_of("later") == 5


def test_a_reconcile_runs_reacting_to_the_revision_that_queued_its_key():
    seen = []

    class Recorder(Controller):
        def reconcile(self, key):
            seen.append((key, current_cause()))
            if len(seen) == 1:
                raise RuntimeError("retried with the same cause")

    controller, stop = Recorder(client=None), threading.Event()
    with reacting_to(41):
        controller.queue.add("ns/x")
    controller.start(stop)
    try:
        wait_for(lambda: len(seen) == 2, timeout=5)
    finally:
        stop.set()
    assert seen == [("ns/x", 41), ("ns/x", 41)]


def test_a_nudge_is_the_cause_only_while_no_other_event_waits():
    """Guards a replacement pod reacting to the ReplicaSet's own status write that raced the pod's deletion."""
    queue = WorkQueue()
    with reacting_to(10):
        queue.add("rs")
    with reacting_to(12):
        queue.add("rs", nudge=True)
    assert queue.get(timeout=0.1) == "rs" and queue.cause_of("rs") == 10
    queue.done("rs")
    with reacting_to(20):
        queue.add("rs", nudge=True)
    assert queue.get(timeout=0.1) == "rs" and queue.cause_of("rs") == 20
