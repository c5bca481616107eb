"""The fault loop: this kubelet carries out the Faults addressed to its node, then puts things back.

    informer(faults, spec.nodeName=<node>) ─► note what changed, wake the loop
    loop: a Pending fault      ─► status Active (startedAt, expiresAt) ─► act
          one seen too late    ─► status Expired, not carried out (created + duration has passed)
          an Active one expires ─► put back ─► status Expired
          a deleted one         ─► put back at once

    CrashContainer  tell the pod's worker, then signal the container once (exitCode - 128); the
                    worker's restart policy does the rest, and its first status write after names
                    the fault. Expired as soon as the container is down.
    Partition       renew the Lease one last time, write Active, close the client's gate: every
                    API call and watch of this kubelet fails as if the master were unreachable,
                    while its pods keep running. At expiry the gate opens and the kubelet catches up.
    DelayRuntime    every runtime call waits delayMilliseconds (kubelet/runtime/faulty.py)
    FailPulls       every pull of the image fails, reported as ErrImagePull

Every write made because of a fault runs inside `reacting_to(<the fault's
revision>)` and `explaining("fault <name>: ...")`, so the revision log shows the
fault as the cause of what followed (`tkctl trace fault/NAME`). Durations are
wall-clock seconds, not scaled by --time-scale: a fault says how long it lasts.

A restarted kubelet finds its Active faults in the informer's first list: an
expired one is marked Expired, a live one is carried on until its expiry.

A final status (Expired, Failed) that could not be written (the master away, a
5xx) is kept and written again on every pass until it is, or until the fault is
gone: a fault never stays Active because one write was lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from apiclient import ApiClient, ApiClientError, ApiStatusError
from apiclient.informer import Informer
from apiclient.provenance import explaining, reacting_to
from kubelet.config import KubeletConfig
from kubelet.node_status import NodeStatusReporter
from kubelet.runtime.faulty import FaultyRuntime
from kubelet.runtime.protocol import ContainerNotFound, RuntimeFailure
from objects.fault import Fault, FaultStatus
from objects.kinds import FAULT, POD
from objects.pod import Pod

log = logging.getLogger(__name__)

CRASH_EXIT_WAIT_SECONDS = 3.0  # how long a signalled container may take to go down before the fault Failed
IDLE_WAKE_SECONDS = 5.0  # look again at least this often, though nothing is due
STATUS_RETRY_SECONDS = 1.0  # how soon a final status that was not written is tried again


class Partition:
    """The gate of this kubelet's ApiClient (`ApiClient(gate=...)`): closed, every request and watch
    event fails as an unreachable master would. It stays closed while any partition fault lasts, so
    the first of two overlapping ones to end does not reopen it."""

    def __init__(self) -> None:
        # The partition faults active now; replaced whole, never changed in place, since every thread
        # of the kubelet reads it through its client.
        self._closed_by: frozenset[str] = frozenset()

    def close(self, fault: str) -> None:
        self._closed_by = self._closed_by | {fault}

    def open(self, fault: str) -> None:
        self._closed_by = self._closed_by - {fault}

    @property
    def closed(self) -> bool:
        return bool(self._closed_by)

    def __call__(self) -> None:
        if closed_by := sorted(self._closed_by):
            raise httpx.ConnectError(f"partitioned from the master by fault {', '.join(closed_by)}")


class FaultFailed(Exception):
    """The kubelet could not carry the fault out; the message goes to status.message."""


@dataclass
class Carried:
    """A fault this kubelet is carrying out now."""

    fault: Fault
    revision: str  # the fault's newest revision we know: what our writes about it react to
    expires_at: float  # epoch seconds


@dataclass
class Unwritten:
    """A final status the master has not taken yet, with the note its write carries."""

    carried: Carried
    status: FaultStatus
    note: str


class FaultLoop:
    def __init__(self, client: ApiClient, runtime: FaultyRuntime, partition: Partition,
                 node_status: NodeStatusReporter, config: KubeletConfig, *,
                 resync_pod: Callable[[str], None] = lambda uid: None):
        self.client = client
        self.runtime = runtime
        self.partition = partition
        self.node_status = node_status
        self.node_name = config.node_name
        self.resync_pod = resync_pod
        self._carried: dict[str, Carried] = {}  # only the loop's thread touches this
        # Uids of the faults already carried out: the informer's copy may still say Pending or
        # Active for a moment after our own write, and a fault is carried out once.
        self._finished: set[str] = set()
        self._unwritten: dict[str, Unwritten] = {}  # fault uid -> its final status, to write again
        self._changed = threading.Event()
        self.faults = Informer(client, FAULT, field_selector=f"spec.nodeName={config.node_name}",
                               on_add=self._wake, on_update=lambda _old, new: self._wake(new),
                               on_delete=self._wake)

    def start(self, stop: threading.Event) -> threading.Thread:
        self.faults.start(stop)
        thread = threading.Thread(target=self.run, args=(stop,), name="faults", daemon=True)
        thread.start()
        return thread

    def _wake(self, _raw: dict[str, Any]) -> None:
        self._changed.set()

    # ----- the loop

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self._changed.clear()
            try:
                self.sync()
            except Exception:  # the loop outlives one bad fault; it looks again shortly
                log.exception("fault loop failed")
            self._changed.wait(self._seconds_to_next_expiry())
        for name in list(self._carried):
            self._put_back(self._carried.pop(name))

    def sync(self) -> None:
        """One pass: write the final statuses still owed, end what expired or was deleted, start what is new."""
        if not self.partition.closed:
            for unwritten in list(self._unwritten.values()):
                self._write_final(unwritten.carried, unwritten.status, unwritten.note)
        listed = {} if self.partition.closed else {
            raw["metadata"]["name"]: Fault.model_validate(raw) for raw in self.faults.items()}
        now = time.time()
        for name, carried in list(self._carried.items()):
            live = listed.get(name)
            if now >= carried.expires_at:
                self._expire(carried)
            elif not self.partition.closed and self.faults.synced.is_set() and (
                    live is None or live.metadata.uid != carried.fault.metadata.uid):
                log.info("fault %s deleted: putting things back", name)
                self._put_back(self._carried.pop(name))
            elif live is not None:
                carried.revision = max(carried.revision, live.metadata.resource_version or "", key=_revision)
        for name, fault in listed.items():
            if name in self._carried or fault.metadata.uid in self._finished:
                continue
            if fault.phase == "Pending" and _ended_unseen(fault, now):
                self._skip(fault)
            elif fault.phase == "Pending":
                self._start(fault)
            elif fault.phase == "Active":
                self._resume(fault)

    def _seconds_to_next_expiry(self) -> float:
        soonest = STATUS_RETRY_SECONDS if self._unwritten else IDLE_WAKE_SECONDS
        if not self._carried:
            return soonest
        due = min(carried.expires_at for carried in self._carried.values()) - time.time()
        return max(0.0, min(due, soonest))

    # ----- a fault's life

    def _start(self, fault: Fault) -> None:
        name, spec = fault.metadata.name or "", fault.spec
        started = datetime.now(timezone.utc)
        carried = Carried(fault, fault.metadata.resource_version or "",
                          (started + timedelta(seconds=spec.duration)).timestamp())
        active = FaultStatus(phase="Active", started_at=_rfc3339(started),
                             expires_at=_rfc3339(started + timedelta(seconds=spec.duration)))
        with reacting_to(carried.revision), explaining(f"fault {name}: {_describe(fault)}"):
            try:
                if spec.type == "Partition" and not self.partition.closed:
                    # The last heartbeat before the silence, so a trace links the fault to it.
                    self.node_status.renew_lease()
                self._write_status(carried, active)
                self._carried[name] = carried
                self._act(carried)
            except FaultFailed as failure:
                log.warning("fault %s failed: %s", name, failure)
                self._carried.pop(name, None)
                self._put_back(carried)
                self._write_final(carried, active.model_copy(update={"phase": "Failed", "message": str(failure)}),
                                  f"fault {name}: failed, {failure}")
                return
        log.info("fault %s active until %s: %s", name, active.expires_at, _describe(fault))
        if spec.type == "CrashContainer":
            self._expire(carried)  # done once the container is down

    def _skip(self, fault: Fault) -> None:
        """A fault whose time had passed before this kubelet saw it (the node was down): carried out now,
        it would strike hours after anyone asked for it."""
        name = fault.metadata.name or ""
        self._finished.add(fault.metadata.uid or "")
        message = (f"not carried out: its time had passed ({fault.spec.duration} s from its creation at "
                   f"{fault.metadata.creation_timestamp}) before node {self.node_name} saw it")
        log.info("fault %s %s", name, message)
        self._write_final(Carried(fault, fault.metadata.resource_version or "", 0.0),
                          FaultStatus(phase="Expired", message=message), f"fault {name}: {message}")

    def _resume(self, fault: Fault) -> None:
        """An Active fault this kubelet is not carrying: it restarted in the middle of one."""
        expires = _epoch(fault.status.expires_at if fault.status else None)
        carried = Carried(fault, fault.metadata.resource_version or "", expires or 0.0)
        if fault.spec.type == "CrashContainer" or time.time() >= carried.expires_at:
            self._expire(carried)
            return
        self._carried[fault.metadata.name or ""] = carried
        with reacting_to(carried.revision), explaining(f"fault {fault.metadata.name}: resumed"):
            try:
                self._act(carried)
            except FaultFailed as failure:
                log.warning("fault %s could not be resumed: %s", fault.metadata.name, failure)

    def _act(self, carried: Carried) -> None:
        fault = carried.fault
        name, spec = fault.metadata.name or "", fault.spec
        if spec.type == "CrashContainer":
            self._crash(fault)
        elif spec.type == "Partition":
            self.partition.close(name)
        elif spec.type == "DelayRuntime":
            self.runtime.delay(name, (spec.delay_milliseconds or 0) / 1000)
        elif spec.type == "FailPulls":
            until = _rfc3339(datetime.fromtimestamp(carried.expires_at, timezone.utc))
            self.runtime.fail_pulls(name, spec.image or "", f"fault {name}: pulls of {spec.image} fail on node "
                                                            f"{self.node_name} until {until}")

    def _expire(self, carried: Carried) -> None:
        name = carried.fault.metadata.name or ""
        self._carried.pop(name, None)
        self._put_back(carried)
        status = (carried.fault.status or FaultStatus()).model_copy(update={"phase": "Expired"})
        self._write_final(carried, status, f"fault {name}: expired, {_put_back_words(carried.fault)}")
        log.info("fault %s expired", name)

    def _put_back(self, carried: Carried) -> None:
        name = carried.fault.metadata.name or ""
        self._finished.add(carried.fault.metadata.uid or "")
        self.runtime.clear(name)
        if carried.fault.spec.type == "Partition":
            self.partition.open(name)
            if not self.partition.closed:
                self.node_status.catch_up()  # heartbeats resume now, not at the next period

    # ----- CrashContainer

    def _crash(self, fault: Fault) -> None:
        spec = fault.spec
        namespace, _, pod_name = (spec.pod or "").partition("/")
        # A crash is carried out once or reported Failed: never left Active, then Expired, having done nothing.
        try:
            pod = Pod.model_validate(self.client.get(POD, pod_name, namespace))
        except ApiClientError as error:
            gone = isinstance(error, ApiStatusError) and error.not_found
            raise FaultFailed(f"pod {spec.pod} not found" if gone else f"pod {spec.pod} could not be read: {error}") \
                from None
        if pod.spec is None or pod.spec.node_name != self.node_name:
            raise FaultFailed(f"pod {spec.pod} is not on node {self.node_name}")
        container = spec.container or (pod.spec.containers[0].name if pod.spec.containers else "")
        try:
            containers = self.runtime.list_containers(self.node_name, pod_uid=pod.metadata.uid)
        except RuntimeFailure as error:
            raise FaultFailed(f"containers of pod {spec.pod} could not be listed: {error}") from None
        running = next((c for c in containers if c.name == container and c.state == "running"), None)
        if running is None:
            raise FaultFailed(f"container {container} of pod {spec.pod} is not running")
        # Told before the signal: the relist or a sync already under way may report the crash before we
        # see the container down, and that write must name this fault too.
        self.resync_pod(pod.metadata.uid or "")
        try:
            self.runtime.kill_container(running.id, spec.signal)
        except RuntimeFailure as error:
            raise FaultFailed(f"could not signal container {container}: {error}") from None
        if not self._went_down(running.id):
            raise FaultFailed(f"container {container} kept running after signal {spec.signal}: its PID 1 has no "
                              f"handler for it and ignores it (exit code 137, SIGKILL, always ends it)")
        # Synced now rather than at the next relist (the worker does not name this fault twice).
        self.resync_pod(pod.metadata.uid or "")

    def _went_down(self, container_id: str) -> bool:
        deadline = time.monotonic() + CRASH_EXIT_WAIT_SECONDS
        while time.monotonic() < deadline:
            try:
                if self.runtime.container_status(container_id).state != "running":
                    return True
            except ContainerNotFound:
                return True
            except RuntimeFailure as error:
                raise FaultFailed(f"container {container_id[:12]} could not be inspected: {error}") from None
            time.sleep(0.05)
        return False

    # ----- status

    def _write_final(self, carried: Carried, status: FaultStatus, note: str) -> None:
        """Write a status the fault ends in; one the master did not take is kept for the next pass."""
        uid = carried.fault.metadata.uid or ""
        with reacting_to(carried.revision), explaining(note):
            if self._write_status(carried, status):
                self._unwritten.pop(uid, None)
            else:
                self._unwritten[uid] = Unwritten(carried, status, note)

    def _write_status(self, carried: Carried, status: FaultStatus) -> bool:
        """Write the fault's status; False if the master did not take it. A fault deleted (or replaced by
        one of the same name) meanwhile needs none. Our own write's revision is the newest we know of it."""
        fault = carried.fault
        try:
            written = self.client.patch(FAULT, fault.metadata.name or "",
                                        {"metadata": {"uid": fault.metadata.uid}, "status": status.to_wire()},
                                        patch_type="application/merge-patch+json", subresource="status")
        except ApiStatusError as error:
            if error.not_found or error.code == 409:
                return True
            log.warning("status of fault %s not written: %s", fault.metadata.name, error)
            return False
        except ApiClientError as error:
            log.warning("status of fault %s not written: %s", fault.metadata.name, error)
            return False
        fault.status = status
        carried.revision = (written.get("metadata") or {}).get("resourceVersion") or carried.revision
        return True


def _ended_unseen(fault: Fault, now: float) -> bool:
    """Whether a fault's whole duration, counted from its creation, passed before it was seen."""
    created = _epoch(fault.metadata.creation_timestamp)
    return created is not None and now >= created + fault.spec.duration


def _describe(fault: Fault) -> str:
    spec = fault.spec
    if spec.type == "CrashContainer":
        return f"signal {spec.signal} to container {spec.container or '(first)'} of pod {spec.pod}"
    if spec.type == "Partition":
        return f"node {spec.node_name} cut off from the master for {spec.duration} s"
    if spec.type == "DelayRuntime":
        return f"every runtime call on node {spec.node_name} waits {spec.delay_milliseconds} ms for {spec.duration} s"
    return f"pulls of {spec.image} fail on node {spec.node_name} for {spec.duration} s"


def _put_back_words(fault: Fault) -> str:
    return {"CrashContainer": "the container was signalled", "Partition": "the node talks to the master again",
            "DelayRuntime": "runtime calls no longer wait", "FailPulls": "pulls no longer fail"}.get(
        fault.spec.type, "put back")


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _epoch(value: str | None) -> float | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()


def _revision(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0
