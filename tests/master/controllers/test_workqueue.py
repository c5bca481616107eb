"""The controllers' work queue: deduplication, one worker per key, delayed and retried keys."""

import threading

from master.controllers.workqueue import WorkQueue


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
