"""A pod worker on a fake of its own PodSync seam: level-triggered updates, termination."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from apiclient.provenance import current_cause
from kubelet.pod_worker import PodWorker, desired_changed
from objects.pod import Pod
from tests.support.cluster import wait_for

NO_RESYNC = 1000.0  # a time scale that puts the periodic resync far beyond any test


def pod(image: str = "busybox:1", *, resource_version: str = "1", phase: str | None = None, **meta) -> Pod:
    raw = {"metadata": {"name": "web", "namespace": "default", "uid": "uid-1", "resourceVersion": resource_version,
                        **meta},
           "spec": {"containers": [{"name": "app", "image": image}], "terminationGracePeriodSeconds": 30}}
    if phase:
        raw["status"] = {"phase": phase}
    return Pod.model_validate(raw)


@dataclass
class FakeSync:
    """Records what the worker asked; `during_sync` runs inside a sync_pod call, as a watch event would."""

    synced: list[Pod] = field(default_factory=list)
    due: list[float | None] = field(default_factory=list)  # what each sync_pod returns, then None
    terminated: list[tuple[float, bool]] = field(default_factory=list)
    during_sync: list = field(default_factory=list)

    def sync_pod(self, pod: Pod) -> float | None:
        if self.during_sync:
            self.during_sync.pop(0)()
        self.synced.append(pod)
        return self.due.pop(0) if self.due else None

    def terminate_pod(self, pod: Pod, *, grace_seconds: float, confirm_deletion: bool) -> None:
        self.terminated.append((grace_seconds, confirm_deletion))


def test_a_change_to_the_status_alone_is_not_a_new_desired_state():
    assert not desired_changed(pod(), pod(resource_version="2", phase="Running"))
    assert desired_changed(pod(), pod("busybox:2", resource_version="2"))


def test_a_status_only_update_does_not_wake_the_worker():
    # Guards f5ca98f: each status report came back as a watch event and started another sync.
    sync, built = FakeSync(), threading.Event()
    workers: list[PodWorker] = []
    reported = pod(resource_version="2", phase="Running")
    sync.during_sync.append(lambda: built.wait(10) and workers[0].update(reported))
    worker = PodWorker(pod(), sync, time_scale=NO_RESYNC)
    workers.append(worker)
    built.set()
    try:
        wait_for(lambda: sync.synced, message="the first sync")
        assert worker.pod is reported  # still the one the next sync will look at
    finally:
        worker.stop()
    assert len(sync.synced) == 1


def test_updates_during_a_sync_collapse_into_one_sync_of_the_newest_pod():
    sync, syncing, gate = FakeSync(), threading.Event(), threading.Event()
    sync.during_sync.append(lambda: syncing.set() or gate.wait(10))
    worker = PodWorker(pod(), sync, time_scale=NO_RESYNC)
    try:
        assert syncing.wait(10)
        for version in ("2", "3", "4"):
            worker.update(pod(f"busybox:{version}", resource_version=version))
        gate.set()
        wait_for(lambda: len(sync.synced) == 2, message="the sync of the newest pod")
    finally:
        worker.stop()
    assert [p.spec.containers[0].image for p in sync.synced] == ["busybox:1", "busybox:4"]


def test_a_sync_that_leaves_a_backoff_running_is_repeated_when_it_runs_out():
    sync = FakeSync(due=[time.time() + 0.2])
    worker = PodWorker(pod(), sync, time_scale=NO_RESYNC)
    try:
        wait_for(lambda: len(sync.synced) == 2, timeout=5, message="the sync when the backoff ends")
    finally:
        worker.stop()


def test_a_deleted_pod_is_terminated_within_its_scaled_grace_period_and_confirmed():
    sync = FakeSync()
    PodWorker(pod(deletionTimestamp="2024-05-01T12:00:00Z", deletionGracePeriodSeconds=20), sync, time_scale=0.1)
    assert wait_for(lambda: sync.terminated, message="the termination") == [(2.0, True)]
    assert sync.synced == []


def test_a_pod_gone_from_the_api_is_torn_down_at_once_without_a_confirmation():
    sync = FakeSync()
    worker = PodWorker(pod(), sync, time_scale=NO_RESYNC)
    wait_for(lambda: sync.synced, message="the first sync")
    worker.gone()
    assert wait_for(lambda: sync.terminated, message="the termination") == [(0, False)]


def test_a_sync_reacts_to_the_revision_that_last_changed_what_the_pod_asks_not_to_its_own_status():
    causes: list[int | None] = []
    sync, built = FakeSync(), threading.Event()
    workers: list[PodWorker] = []
    sync.during_sync.append(lambda: built.wait(10) and workers[0].update(pod(resource_version="5", phase="Running")))
    original_sync_pod = sync.sync_pod
    sync.sync_pod = lambda p: causes.append(current_cause()) or original_sync_pod(p)
    worker = PodWorker(pod(resource_version="3"), sync, time_scale=NO_RESYNC)
    workers.append(worker)
    built.set()
    try:
        wait_for(lambda: causes, message="the first sync")
        worker.poke()  # a container changed: still the binding's doing
        wait_for(lambda: len(causes) == 2, message="the poked sync")
        worker.update(pod("busybox:2", resource_version="8"))
        wait_for(lambda: len(causes) == 3, message="the sync of the new spec")
        assert causes == [3, 3, 8]
    finally:
        worker.stop()


def test_a_fault_stays_the_cause_until_a_status_write_names_it_and_is_named_once():
    # Guards a lost cause: the sync a crash fault asked for found nothing new to write (a relist had
    # reported the crash first, reacting to the binding), so no write named the fault.
    causes: list[int | None] = []
    sync = FakeSync()
    original_sync_pod = sync.sync_pod
    sync.sync_pod = lambda p: causes.append(current_cause()) or original_sync_pod(p)
    worker = PodWorker(pod(resource_version="8"), sync, time_scale=NO_RESYNC)
    try:
        wait_for(lambda: causes, message="the first sync")
        worker.poke(cause=11)  # before the crash: this sync finds nothing to write
        wait_for(lambda: len(causes) == 2, message="the sync the fault asked for")
        worker.poke()  # the relist sees the crash
        wait_for(lambda: len(causes) == 3, message="the sync of the relist")
        assert worker.untold_cause == 11
        worker.status_written(11)
        worker.poke(cause=11)  # the fault's second poke, once the container is down
        wait_for(lambda: len(causes) == 4, message="a later sync")
        assert causes == [8, 11, 11, 8]
        assert worker.untold_cause is None
    finally:
        worker.stop()
