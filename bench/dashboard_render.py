"""The dashboard in Chromium: how fast the map of 100 nodes and 2,000 pods is drawn, and whether it keeps up.

    python -m bench.dashboard_render                       # 100 nodes, 2,000 pods, 7 fresh pages, 10 s at 100/s
    python -m bench.dashboard_render --small               # 10 nodes, 200 pods, 3 pages, 3 s: a smoke test
    python -m bench.dashboard_render --runs 15 --seconds 30 --rate 100
    python -m bench.dashboard_render --profile-page /tmp/page   # Chromium CPU profiles and a trace, summed up

A master with neither scheduler nor controllers (hollow nodes renew no Lease,
and the Pending pods must stay Pending), 100 hollow Nodes and 2,000 pods
written through the API: pods on nodes (spec.nodeName set at creation, then a
Running status, a few not ready), and some in the Pending lane. `tkctl
dashboard` runs as a user runs it (its own process), and Debian's chromium,
driven by Playwright, opens it in a fresh browser context for every page.

    render:  navigation ─► HTML ─► stream open ─► snapshot arrives ─► map drawn ─► painted
    keep-up: this process writes 100 pod changes a second, paced ─► the page's map shows each one

Render, per fresh page: the page's own `firstRenderMs` (navigation -> first
snapshot drawn), and from a probe installed before the page's scripts: when
the stream opened and the snapshot event arrived, when the map held every pod
with `firstRenderMs` set, and when that frame was painted (a task queued from
the animation frame the map draws in). Judged: p90 of navigation -> painted,
under 1 s. Each counted page follows one pod change (the server builds its
snapshot afresh, as in a live cluster) and one uncounted page (the browser's
first, or the first after the cluster was written, while the watches are
still behind that burst). Side by side: the same on an empty cluster (what
2,000 pods add), and a freshly started `tkctl dashboard` (its informers list
the cluster while the page waits).

Keep-up: flips of a pod's readiness (a status write, as a kubelet makes) and,
after every three flips, a pod moving (deleted, then created on the next node:
two writes), round-robin over the pods, each change its own write at its own
slot of a fixed schedule (four writer threads share it, so one slow answer
does not hold the others back). Each write's resourceVersion and the moment
its answer came (wall clock) are kept; in the page, every animation frame
notes `#map`'s `data-revision`, the newest revision drawn. A write's lag = the
first frame whose revision reached it - its answer (the same wall clock: one
machine). Side by side: the same writes read from a plain watch on the API
server, so a lag the master causes shows as such. "Keeps up" only if the p99
lag is at most 1 s, every write was drawn, the lag of the last second's writes
is within 100 ms of the first second's (a page slower than the writes would
fall further behind each second), and the writer itself kept 95 % of its pace.
Not a test: run it by hand and record the output in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.procfs import cpu_seconds
from bench.results import Row, percentile, print_result, result, summary_ms, write_json
from tests.support.browser import VIEWPORT, chromium_path
from tests.support.cluster import Master, wait_for
from tests.support.dashboard import DashboardProcess, running_dashboard

RENDER_TARGET_MS = 1000
LAG_P99_TARGET_MS = 1000
LAG_GROWTH_LIMIT_MS = 100
WRITE_RATE_TOLERANCE = 0.95  # below this the writer could not keep its pace, and the keep-up says little
NAMESPACE = "default"
PODS = f"/api/v1/namespaces/{NAMESPACE}/pods"
SETUP_CLIENTS = 16
PAGE_TIMEOUT_MS = 60_000
DRAIN_TIMEOUT_MS = 60_000
# Each group of five writes: three readiness flips, then a pod moves (deleted, then created on the next node).
GROUP = ("flip", "flip", "flip", "delete", "create")
WRITERS = 4  # one writer alone falls behind its schedule whenever the master answers slowly (a busy machine)

# Installed before the page's own scripts (Playwright's init script) in every fresh page; see probe().
PROBE = """
(() => {
  const probe = window.__benchProbe = {
    expectedPods: __EXPECTED_PODS__, drawnAt: null, paintedAt: null, painted: null,
    snapshotAt: null, snapshotBytes: null, streamOpenAt: null,
    arrivals: [], revisions: [], frames: [], frameTimes: [], longTasks: [], watching: false, watchedFrom: null,
  };
  // Listeners added in the constructor run before the page's own: the moment each event arrived.
  const Original = window.EventSource;
  if (Original) {
    window.EventSource = class extends Original {
      constructor(...args) {
        super(...args);
        this.addEventListener('open', () => { probe.streamOpenAt ??= performance.now(); });
        this.addEventListener('snapshot', (event) => {
          if (probe.snapshotAt !== null) return;
          probe.snapshotAt = performance.now();
          probe.snapshotBytes = event.data.length;
        });
        this.addEventListener('change', (event) => {
          // A Change's own revision comes before the view's fields (views.py): the first match is it.
          if (probe.watching) probe.arrivals.push([Number(/"revision":(\d+)/.exec(event.data)?.[1]), Date.now()]);
        });
      }
    };
  }
  // The map sets its attributes in an animation frame callback (map.js): a task queued from there runs
  // once that frame has been laid out and painted.
  // The bench awaits this promise rather than polling the page (a polled selector costs the page frames).
  let resolvePainted;
  probe.painted = new Promise((resolve) => { resolvePainted = resolve; });
  const painted = () => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => { probe.paintedAt ??= performance.now(); resolvePainted(); };
    channel.port2.postMessage(null);
  };
  // Drawn: the page noted its first render (data-first-render-ms) with every expected pod on the map.
  const noteDrawn = () => {
    const map = document.getElementById('map');
    if (probe.drawnAt !== null || !document.documentElement.dataset.firstRenderMs || !map
        || Number(map.dataset.podCount) !== probe.expectedPods) return;
    probe.drawnAt = performance.now();
    painted();
  };
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.attributeName === 'data-revision' && record.target.id === 'map') {
        if (probe.watching) probe.revisions.push([Number(record.target.dataset.revision), Date.now()]);
      } else {
        noteDrawn();
      }
    }
  }).observe(document, {subtree: true, attributes: true,
                        attributeFilter: ['data-pod-count', 'data-revision', 'data-first-render-ms']});
  probe.watch = () => {
    probe.watching = true;
    probe.watchedFrom = performance.now();
    let last = null;
    const frame = (now) => {
      if (!probe.watching) return;
      probe.frameTimes.push(now);
      const map = document.getElementById('map');
      const revision = map ? Number(map.dataset.revision) : null;
      if (revision !== last) { probe.frames.push([revision, Date.now()]); last = revision; }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  };
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) probe.longTasks.push([entry.startTime, entry.duration]);
    }).observe({type: 'longtask', buffered: true});
  } catch (error) { /* no long task timing: the count stays empty */ }
})();
"""



def probe(expected_pods: int) -> str:
    """The probe for a map of `expected_pods` (one script: the order of several init scripts is not defined)."""
    return PROBE.replace("__EXPECTED_PODS__", str(expected_pods))


# Chromium's own accounting of the page's main thread (CDP Performance.getMetrics), in seconds: its CPU time
# (ThreadTime), and the wall time of its tasks (TaskDuration: on a busy machine it counts time spent waiting
# for a core too) split into script, layout, style and the rest (mostly paint).
MAIN_THREAD_METRICS = ("ThreadTime", "TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration",
                       "TaskOtherDuration")


# ----- the cluster


def hollow_node(index: int) -> dict[str, Any]:
    allocatable = {"cpu": "4", "memory": "16Gi", "pods": "110"}
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": node_name(index), "labels": {"bench": "hollow"}},
            "status": {"capacity": allocatable, "allocatable": allocatable,
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def node_name(index: int) -> str:
    return f"hollow-{index:03d}"


def bench_pod(name: str, index: int, node: str | None) -> dict[str, Any]:
    """A pod of one of three sizes, on `node` from its creation (no scheduler), or Pending when None."""
    cpu, memory = (("100m", "128Mi"), ("150m", "256Mi"), ("200m", "64Mi"))[index % 3]
    spec: dict[str, Any] = {"containers": [{"name": "app", "image": "tinykube/busybox:test",
                                            "resources": {"requests": {"cpu": cpu, "memory": memory}}}]}
    if node is not None:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"bench": "dashboard"}},
            "spec": spec}


def running_status(*, ready: bool) -> dict[str, Any]:
    """The status a kubelet writes for a started container, ready or not (a merge patch replaces the lists)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    word = "True" if ready else "False"
    conditions = [{"type": "Initialized", "status": "True", "lastTransitionTime": now}] + [
        {"type": kind, "status": word, "lastTransitionTime": now} for kind in ("Ready", "ContainersReady")]
    return {"status": {"phase": "Running", "startTime": now, "conditions": conditions, "containerStatuses": [
        {"name": "app", "ready": ready, "restartCount": 0, "started": True, "image": "tinykube/busybox:test",
         "imageID": "", "state": {"running": {"startedAt": now}}}]}}


@dataclass
class Cluster:
    """What the benchmark wrote: which pods sit on which node (the writer moves them), and which are Pending."""

    nodes: int
    placement: dict[str, int] = field(default_factory=dict)  # pod name -> node index
    ready: dict[str, bool] = field(default_factory=dict)  # pod name -> its last status said ready
    pending: list[str] = field(default_factory=list)
    flips: int = 0  # readiness flips and moves written so far: the next writes carry on from there
    moves: int = 0

    @property
    def pods(self) -> int:
        return len(self.placement) + len(self.pending)


def populate(master: Master, *, nodes: int, pods: int, pending: int) -> Cluster:
    """Nodes, then pods spread over them (every tenth not ready) and `pending` unscheduled, SETUP_CLIENTS at a time."""
    cluster = Cluster(nodes)
    local, opened = threading.local(), []

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = master.client()
            opened.append(local.client)
        return local.client

    def place(index: int) -> None:
        name = f"pod-{index:05d}"
        client().post(PODS, json=bench_pod(name, index, node_name(index % nodes))).raise_for_status()
        patch_status(client(), name, ready=index % 10 != 9)

    def leave_pending(index: int) -> None:
        client().post(PODS, json=bench_pod(f"pending-{index:04d}", index, None)).raise_for_status()

    try:
        with ThreadPoolExecutor(SETUP_CLIENTS) as pool:
            list(pool.map(lambda i: client().post("/api/v1/nodes", json=hollow_node(i)).raise_for_status(),
                          range(nodes)))
            list(pool.map(place, range(pods - pending)))
            list(pool.map(leave_pending, range(pending)))
    finally:
        for each in opened:
            each.close()
    cluster.placement = {f"pod-{i:05d}": i % nodes for i in range(pods - pending)}
    cluster.ready = {f"pod-{i:05d}": i % 10 != 9 for i in range(pods - pending)}
    cluster.pending = [f"pending-{i:04d}" for i in range(pending)]
    return cluster


def patch_status(client: httpx.Client, name: str, *, ready: bool) -> httpx.Response:
    response = client.patch(f"{PODS}/{name}/status", content=json.dumps(running_status(ready=ready)),
                            headers={"Content-Type": "application/merge-patch+json"})
    response.raise_for_status()
    return response


# ----- the page


@dataclass
class Render:
    """One fresh page's first drawing, in ms from its navigation start (Playwright's clock for `visible_ms`)."""

    first_render_ms: float  # the page's own dataset.firstRenderMs
    painted_ms: float
    snapshot_ms: float | None  # the snapshot event arrived (None: the page does not use EventSource)
    stream_open_ms: float | None
    html_ms: float  # DOMContentLoaded
    visible_ms: float  # goto() called -> the bench heard of the paint (Playwright's round trips included)
    snapshot_bytes: int | None
    metrics: dict[str, float]  # MAIN_THREAD_METRICS after the render


def open_page(browser, url: str, *, expected_pods: int):
    """A fresh context and page with the probe installed, navigated to `url`, its map drawn and painted;
    (page, its CDP session, Render). The caller closes `page.context`."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(probe(expected_pods))
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    begun = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=PAGE_TIMEOUT_MS)
    wait_painted(page, expected_pods)
    visible_ms = (time.perf_counter() - begun) * 1000
    seen = page.evaluate("""() => {
        const probe = window.__benchProbe;
        const navigation = performance.getEntriesByType('navigation')[0];
        return {firstRenderMs: Number(document.documentElement.dataset.firstRenderMs),
                paintedMs: probe.paintedAt,
                snapshotMs: probe.snapshotAt, streamOpenMs: probe.streamOpenAt, snapshotBytes: probe.snapshotBytes,
                htmlMs: navigation ? navigation.domContentLoadedEventEnd : NaN};
    }""")
    render = Render(first_render_ms=seen["firstRenderMs"], painted_ms=seen["paintedMs"],
                    snapshot_ms=seen["snapshotMs"], stream_open_ms=seen["streamOpenMs"], html_ms=seen["htmlMs"],
                    visible_ms=visible_ms, snapshot_bytes=seen["snapshotBytes"], metrics=main_thread(cdp))
    return page, cdp, render


def wait_painted(page, pods: int) -> None:
    """Until the page painted its first snapshot with `pods` pods; then checks the map says so, visibly."""
    page.evaluate("""(timeout) => Promise.race([window.__benchProbe.painted, new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`no first render painted after ${timeout} ms`)), timeout))])""",
                  PAGE_TIMEOUT_MS)
    drawn = page.locator(f'html[data-first-render-ms] #map[data-pod-count="{pods}"]')
    if not drawn.is_visible():
        raise AssertionError(f"the page painted, but #map does not show {pods} pods: "
                             f"{page.locator('#map').get_attribute('data-pod-count')}")


def main_thread(cdp) -> dict[str, float]:
    metrics = {entry["name"]: entry["value"] for entry in cdp.send("Performance.getMetrics")["metrics"]}
    return {name: metrics.get(name, 0.0) for name in MAIN_THREAD_METRICS}


def measure_renders(browser, url: str, *, expected_pods: int, runs: int, label: str,
                    before_each: Callable[[], None] = lambda: None) -> tuple[Render, list[Render]]:
    """`runs` fresh pages, after one that is not counted (the browser's first page, or the first after the
    cluster was written, while the watches are still behind that burst); (that first one, the counted ones).
    `before_each` runs before every page."""
    renders = []
    for run in range(runs + 1):
        before_each()
        page, _, render = open_page(browser, url, expected_pods=expected_pods)
        page.context.close()
        if run == 0:
            print(f"{label}, not counted: painted {render.painted_ms:.0f} ms", flush=True)
            first = render
            continue
        renders.append(render)
        print(f"{label} {run}/{runs}: painted {render.painted_ms:.0f} ms (firstRenderMs "
              f"{render.first_render_ms:.0f}, snapshot {_ms(render.snapshot_ms)}, visible {render.visible_ms:.0f})",
              flush=True)
    return first, renders


def cold_renders(browser, kubeconfig: Path, *, expected_pods: int, runs: int) -> list[tuple[float, Render]]:
    """A freshly started `tkctl dashboard` each time, opened as soon as it prints its address; (start-up s, Render)."""
    renders = []
    for run in range(runs):
        begun = time.perf_counter()
        with running_dashboard(kubeconfig) as dashboard:
            started = time.perf_counter() - begun
            page, _, render = open_page(browser, dashboard.url, expected_pods=expected_pods)
            page.context.close()
        renders.append((started, render))
        print(f"cold {run + 1}/{runs}: printed its address after {started:.2f} s, painted {render.painted_ms:.0f} ms",
              flush=True)
    return renders


# ----- keep-up


@dataclass
class Write:
    revision: int
    answered: float  # wall clock (time.time()), to compare with the page's Date.now()
    kind: str  # ready, not-ready, delete, create


def flip_readiness(client: httpx.Client, cluster: Cluster, name: str) -> tuple[httpx.Response, str]:
    cluster.ready[name] = not cluster.ready[name]
    return patch_status(client, name, ready=cluster.ready[name]), "ready" if cluster.ready[name] else "not-ready"


def change_one(master: Master, cluster: Cluster) -> None:
    """One pod's readiness flipped: a change, so the dashboard's next snapshot is built afresh."""
    with master.client() as client:
        flip_readiness(client, cluster, min(cluster.placement))[0].raise_for_status()


def write_changes(master: Master, cluster: Cluster, *, rate: float, seconds: float) -> tuple[list[Write], float]:
    """`rate` changes a second for `seconds`, each write at its own slot of one fixed schedule; the writes (in
    the order answered) and the seconds it took. WRITERS threads share the schedule group by group, so a slow
    answer delays no other slot; a group's writes stay in order (a pod is deleted before it is created again)."""
    names = sorted(cluster.placement)
    split = len(names) * 4 // 5
    flippers, movers = names[:split], names[split:]  # apart, so a flip never meets a pod in the middle of a move
    flips_per_group = GROUP.count("flip")
    groups = max(1, int(rate * seconds) // len(GROUP))
    writes: list[Write] = []
    begun = time.monotonic()

    def write_group(client: httpx.Client, group: int) -> None:
        flip = cluster.flips + group * flips_per_group
        mover = movers[(cluster.moves + group) % len(movers)]
        for offset, step in enumerate(GROUP):
            time.sleep(max(0.0, begun + (group * len(GROUP) + offset) / rate - time.monotonic()))
            if step == "flip":
                response, kind = flip_readiness(client, cluster, flippers[flip % len(flippers)])
                flip += 1
            elif step == "delete":
                response, kind = client.delete(f"{PODS}/{mover}", params={"gracePeriodSeconds": "0"}), "delete"
            else:
                cluster.placement[mover] = (cluster.placement[mover] + 1) % cluster.nodes
                response = client.post(PODS, json=bench_pod(mover, group, node_name(cluster.placement[mover])))
                cluster.ready[mover], kind = False, "create"
            response.raise_for_status()
            writes.append(Write(int(response.json()["metadata"]["resourceVersion"]), time.time(), kind))

    def writer(first_group: int) -> None:
        with master.client() as client:
            for group in range(first_group, groups, WRITERS):
                write_group(client, group)

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(writer, range(WRITERS)))
    taken = time.monotonic() - begun
    cluster.flips += groups * flips_per_group
    cluster.moves += groups
    return sorted(writes, key=lambda write: write.answered), taken


@dataclass
class KeepUp:
    writes: list[Write]
    writing_seconds: float
    frames: list[tuple[int, float]]  # (data-revision, Date.now() ms) at each frame where it changed
    dom: list[tuple[int, float]]  # (data-revision, Date.now() ms) each time the attribute was set
    arrivals: list[tuple[int, float]]  # (a change event's revision, Date.now() ms) as the page's stream got it
    watched: list[tuple[int, float]]  # (revision, time.time() ms) as a plain watch on the API server read it
    frame_times: list[float]
    long_tasks: list[tuple[float, float]]
    metrics: dict[str, float]  # MAIN_THREAD_METRICS used during the writes and the drain
    dashboard_cpu: float
    master_cpu: float


class ApiWatch:
    """The baseline: a plain watch on the API server's pods, read by a thread of this process while the page
    follows the same changes; when each event was read (wall clock, ms). Lines are parsed afterwards."""

    def __init__(self, master: Master, *, seconds: float):
        with master.client() as client:
            self.from_revision = client.get(PODS, params={"limit": "1"}).json()["metadata"]["resourceVersion"]
        self.master, self.seconds = master, seconds
        self.lines: list[tuple[str, float]] = []
        self.until: int | None = None  # stop once this revision is read
        self.thread = threading.Thread(target=self._read, name="api-watch", daemon=True)

    def start(self) -> ApiWatch:
        self.thread.start()
        return self

    def _read(self) -> None:
        params = {"watch": "1", "resourceVersion": self.from_revision, "timeoutSeconds": str(int(self.seconds) + 90)}
        try:
            with self.master.client() as client, client.stream("GET", PODS, params=params, timeout=None) as stream:
                for line in stream.iter_lines():
                    self.lines.append((line, time.time() * 1000))
                    if self.until is not None and self._revision(line) >= self.until:
                        return
        except httpx.HTTPError:
            return  # the master stopped (the run failed): what was read stays in self.lines

    def stop(self, last_revision: int) -> list[tuple[int, float]]:
        """(revision, read at) of every event, once `last_revision` was read or 30 s passed."""
        self.until = last_revision
        self.thread.join(timeout=30)
        return [(self._revision(line), at) for line, at in list(self.lines)]

    @staticmethod
    def _revision(line: str) -> int:
        event = json.loads(line)
        return -1 if event["type"] == "ERROR" else int(event["object"]["metadata"]["resourceVersion"])


def keep_up(browser, master: Master, dashboard: DashboardProcess, cluster: Cluster, *, rate: float,
            seconds: float) -> KeepUp:
    page, cdp, _ = open_page(browser, dashboard.url, expected_pods=cluster.pods)
    try:
        # Settle first: the page's own start (its timeline's first request) is not what is measured here.
        page.evaluate("() => new Promise((resolve) => requestIdleCallback(resolve, {timeout: 5000}))")
        page.evaluate("() => window.__benchProbe.watch()")
        before = main_thread(cdp)
        cpu = cpu_seconds(dashboard.process.pid), cpu_seconds(master.process.pid)
        watch = ApiWatch(master, seconds=seconds).start()
        writes, writing_seconds = write_changes(master, cluster, rate=rate, seconds=seconds)
        last = max(write.revision for write in writes)
        watched = watch.stop(last)
        page.wait_for_function(f"() => Number(document.getElementById('map').dataset.revision) >= {last}",
                               timeout=DRAIN_TIMEOUT_MS, polling="raf")
        page.wait_for_function("() => window.__benchProbe.frames.length > 0 "
                               f"&& window.__benchProbe.frames.at(-1)[0] >= {last}", timeout=DRAIN_TIMEOUT_MS)
        dashboard_cpu = cpu_seconds(dashboard.process.pid) - cpu[0]
        master_cpu = cpu_seconds(master.process.pid) - cpu[1]
        after = main_thread(cdp)
        seen = page.evaluate("() => { const p = window.__benchProbe; p.watching = false; "
                             "return {frames: p.frames, dom: p.revisions, arrivals: p.arrivals, "
                             "frameTimes: p.frameTimes, "
                             "longTasks: p.longTasks.filter(([start]) => start >= p.watchedFrom)}; }")
    finally:
        page.context.close()
    return KeepUp(writes=writes, writing_seconds=writing_seconds, frames=[tuple(f) for f in seen["frames"]],
                  dom=[tuple(d) for d in seen["dom"]], arrivals=[tuple(a) for a in seen["arrivals"]], watched=watched,
                  frame_times=seen["frameTimes"],
                  long_tasks=[tuple(t) for t in seen["longTasks"]],
                  metrics={name: after[name] - before[name] for name in MAIN_THREAD_METRICS},
                  dashboard_cpu=dashboard_cpu, master_cpu=master_cpu)


def lags_ms(writes: list[Write], shown: list[tuple[int, float]]) -> list[float | None]:
    """Each write's lag: the first record whose revision reached it, minus its answer; None if never shown."""
    # The map's revision only grows while it is live, so the running maximum is what had been drawn by then.
    reached, times, highest = [], [], -1
    for revision, at in shown:
        if revision is not None and revision > highest:
            highest = revision
            reached.append(revision)
            times.append(at)
    lags: list[float | None] = []
    for write in writes:
        position = bisect_left(reached, write.revision)
        lags.append(times[position] - write.answered * 1000 if position < len(reached) else None)
    return lags


# ----- the benchmark


def run(*, nodes: int, pods: int, pending: int, runs: int, rate: float, seconds: float, root: Path,
        profile_page: Path | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise SystemExit("no chromium on PATH (scripts/test installs Debian's chromium) and no $TINYKUBE_CHROMIUM")
    master = Master(root / "master", extra_args=["--no-scheduler"])  # and no controllers: Master's default
    load_before = load_average()
    try:
        master.start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
            try:
                with running_dashboard(master.kubeconfig) as dashboard:
                    _, empty = measure_renders(browser, dashboard.url, expected_pods=0, runs=runs, label="empty")
                    started = time.perf_counter()
                    cluster = populate(master, nodes=nodes, pods=pods, pending=pending)
                    print(f"wrote {nodes} nodes and {cluster.pods} pods ({pending} Pending) in "
                          f"{time.perf_counter() - started:.1f} s", flush=True)
                    # One change before each page, as in a live cluster: the server's snapshot is built afresh.
                    first_full, full = measure_renders(browser, dashboard.url, expected_pods=cluster.pods, runs=runs,
                                           label="full", before_each=lambda: change_one(master, cluster))
                    cold = cold_renders(browser, master.kubeconfig, expected_pods=cluster.pods, runs=min(runs, 3))
                    if profile_page is not None:
                        profile_render(browser, dashboard, cluster, profile_page)
                    kept = keep_up(browser, master, dashboard, cluster, rate=rate, seconds=seconds)
                    if profile_page is not None:
                        profile_keep_up(browser, master, dashboard, cluster, profile_page, rate=rate)
            finally:
                browser.close()
    finally:
        master.stop()
    return report(nodes=nodes, pods=pods, pending=pending, runs=runs, rate=rate, seconds=seconds, empty=empty,
                  full=full, first_full=first_full, cold=cold, kept=kept, load=(load_before, load_average()))


def report(*, nodes: int, pods: int, pending: int, runs: int, rate: float, seconds: float, empty: list[Render],
           full: list[Render], first_full: Render, cold: list[tuple[float, Render]], kept: KeepUp,
           load: tuple[str, str]) -> dict:
    painted, painted_empty = [r.painted_ms for r in full], [r.painted_ms for r in empty]
    first, first_empty = [r.first_render_ms for r in full], [r.first_render_ms for r in empty]
    frame_lags = lags_ms(kept.writes, kept.frames)
    dom_lags = [lag for lag in lags_ms(kept.writes, kept.dom) if lag is not None]
    arrival_lags = [lag for lag in lags_ms(kept.writes, kept.arrivals) if lag is not None]
    watch = summary_ms([lag for lag in lags_ms(kept.writes, kept.watched) if lag is not None])
    shown = [lag for lag in frame_lags if lag is not None]
    lag = summary_ms(shown)
    missed = len(frame_lags) - len(shown)
    first_second = [lag for write, lag in zip(kept.writes, frame_lags)
                    if lag is not None and write.answered - kept.writes[0].answered < 1]
    last_second = [lag for write, lag in zip(kept.writes, frame_lags)
                   if lag is not None and kept.writes[-1].answered - write.answered < 1]
    growth = _median(last_second) - _median(first_second)
    written_per_second = len(kept.writes) / kept.writing_seconds
    last_shown = max((at for _, at in kept.frames), default=float("nan")) / 1000
    shown_per_second = len(shown) / (last_shown - kept.writes[0].answered) if shown else 0.0
    paced = written_per_second >= rate * WRITE_RATE_TOLERANCE
    keeps_up = lag["p99_ms"] <= LAG_P99_TARGET_MS and missed == 0 and growth < LAG_GROWTH_LIMIT_MS and paced
    frames = _frames(kept.frame_times)
    changes = len(kept.writes)
    kinds = Counter(write.kind for write in kept.writes)
    full_label = f"{nodes} nodes + {pods} pods ({pending} Pending)"
    rows = [
        Row(f"{full_label}: navigation -> map painted, p90 of {runs} fresh pages, vs an empty cluster",
            f"{percentile(painted, 0.9):.0f} ms (p50 {_median(painted):.0f})",
            f"{percentile(painted_empty, 0.9):.0f} ms (p50 {_median(painted_empty):.0f})",
            percentile(painted, 0.9) / percentile(painted_empty, 0.9), f"< {RENDER_TARGET_MS} ms",
            percentile(painted, 0.9) < RENDER_TARGET_MS),
        Row("the page's firstRenderMs (navigation -> snapshot drawn), p90, vs empty",
            f"{percentile(first, 0.9):.0f} ms (p50 {_median(first):.0f})",
            f"{percentile(first_empty, 0.9):.0f} ms (p50 {_median(first_empty):.0f})",
            percentile(first, 0.9) / percentile(first_empty, 0.9)),
        Row("p50 from navigation: HTML / stream open / snapshot arrived / drawn (firstRenderMs) / painted, vs empty",
            _steps(full), _steps(empty)),
        Row("snapshot size; page's main thread to first paint: CPU; tasks (script / layout / style / other), p50",
            f"{_kib(full)}; {_metrics(full)}", f"{_kib(empty)}; {_metrics(empty)}"),
        Row("goto() -> the bench hears of the paint, p50 (Playwright's side, round trips included)",
            f"{_median([r.visible_ms for r in full]):.0f} ms", f"{_median([r.visible_ms for r in empty]):.0f} ms",
            _median([r.visible_ms for r in full]) / _median([r.visible_ms for r in empty])),
        Row("the first page, opened as soon as the cluster was written (not counted above: the watches were still "
            "behind that burst of writes): navigation -> painted; firstRenderMs",
            f"{first_full.painted_ms:.0f} ms; {first_full.first_render_ms:.0f} ms"),
        Row(f"a freshly started tkctl dashboard ({len(cold)} runs): address printed; navigation -> painted, p50 "
            "(vs already running)", f"{_median([s for s, _ in cold]):.2f} s; "
            f"{_median([r.painted_ms for _, r in cold]):.0f} ms", f"{_median(painted):.0f} ms",
            _median([r.painted_ms for _, r in cold]) / _median(painted)),
        Row(f"{rate:.0f} pod changes/s for {seconds:.0f} s: write answered -> on screen (next frame), p99, "
            "vs read from a plain API watch",
            f"{lag['p99_ms']:.0f} ms (p50 {lag['p50_ms']:.0f}, max {lag['max_ms']:.0f})",
            f"{watch['p99_ms']:.0f} ms (p50 {watch['p50_ms']:.0f})", lag["p99_ms"] / watch["p99_ms"],
            f"<= {LAG_P99_TARGET_MS} ms", lag["p99_ms"] <= LAG_P99_TARGET_MS),
        Row("lag, median of the last second's writes vs the first second's (a growing backlog)",
            f"{_median(last_second):.0f} ms", f"{_median(first_second):.0f} ms", None,
            f"grows < {LAG_GROWTH_LIMIT_MS} ms", growth < LAG_GROWTH_LIMIT_MS),
        Row("changes on screen per second vs written per second", f"{shown_per_second:.1f} /s",
            f"{written_per_second:.1f} /s", shown_per_second / written_per_second),
        Row("changes written per second vs asked (the writer kept its pace)", f"{written_per_second:.1f} /s",
            f"{rate:.0f} /s", written_per_second / rate, f">= {WRITE_RATE_TOLERANCE:.2f}x", paced),
        Row("writes never drawn", f"{missed} of {changes}", "", None, "0", missed == 0),
        Row("write answered -> its change event reached the page; -> in the DOM (data-revision set): p50 / p99",
            f"{_p50_p99(arrival_lags)}; {_p50_p99(dom_lags)}"),
        Row("changes written: readiness flips / deletes / creates",
            f"{kinds['ready'] + kinds['not-ready']} / {kinds['delete']} / {kinds['create']}"),
        Row("page's main thread while changing: CPU; tasks' wall time (script / layout / style / other: paint...)",
            f"{kept.metrics['ThreadTime']:.1f} s; {_split(kept.metrics, 1)} s in {kept.writing_seconds:.1f} s"),
        Row("frames/s, longest frame gap; long tasks (> 50 ms): count (their total)",
            f"{frames['per_second']:.0f}, {frames['longest_ms']:.0f} ms; {len(kept.long_tasks)} "
            f"({sum(d for _, d in kept.long_tasks) / 1000:.1f} s)"),
        Row("CPU per change: dashboard server / master",
            f"{kept.dashboard_cpu / changes * 1000:.2f} ms / {kept.master_cpu / changes * 1000:.2f} ms"),
        Row("load average (1 / 5 / 15 min) before / after: other processes share these 2 cores",
            f"{load[0]}; {load[1]}"),
    ]
    numbers = {"load_average": load, "nodes": nodes, "pods": pods, "pending": pending, "runs": runs, "rate": rate,
               "seconds": seconds,
               "empty": [vars(r) for r in empty], "full": [vars(r) for r in full], "first_full": vars(first_full),
               "cold": [{"started_seconds": s, **vars(r)} for s, r in cold],
               "keep_up": {"lag": lag, "missed": missed, "first_second_ms": _median(first_second),
                           "last_second_ms": _median(last_second), "written_per_second": written_per_second,
                           "shown_per_second": shown_per_second, "api_watch_lag": watch,
                           "arrival_lag": summary_ms(arrival_lags), "dom_lag": summary_ms(dom_lags),
                           "keeps_up": keeps_up, "frames": frames,
                           "long_tasks": len(kept.long_tasks), "main_thread": kept.metrics,
                           "dashboard_cpu_seconds": kept.dashboard_cpu, "master_cpu_seconds": kept.master_cpu,
                           "lags_ms": frame_lags}}
    small = nodes < 100
    command = "python -m bench.dashboard_render" + (" --small" if small else "")
    outcome = result("dashboard_render", command, rows, numbers)
    outcome["verdict"] = (f"render {'under' if percentile(painted, 0.9) < RENDER_TARGET_MS else 'OVER'} "
                          f"{RENDER_TARGET_MS / 1000:.0f} s; "
                          + ("keeps up" if keeps_up else "does NOT keep up") + f" with {rate:.0f} changes/s")
    return outcome


def load_average() -> str:
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _p50_p99(lags: list[float]) -> str:
    summary = summary_ms(lags)
    return f"{summary['p50_ms']:.0f} / {summary['p99_ms']:.0f} ms"


def _ms(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f}"


def _steps(renders: list[Render]) -> str:
    def step(read) -> str:
        values = [read(r) for r in renders]
        return "?" if any(v is None for v in values) else f"{_median(values):.0f}"
    return " / ".join([step(lambda r: r.html_ms), step(lambda r: r.stream_open_ms), step(lambda r: r.snapshot_ms),
                       step(lambda r: r.first_render_ms), step(lambda r: r.painted_ms)]) + " ms"


def _kib(renders: list[Render]) -> str:
    sizes = [r.snapshot_bytes for r in renders if r.snapshot_bytes is not None]
    return f"{_median(sizes) / 1024:.0f} KiB" if sizes else "?"


def _metrics(renders: list[Render]) -> str:
    medians = {name: _median([r.metrics[name] for r in renders]) for name in MAIN_THREAD_METRICS}
    return f"{medians['ThreadTime'] * 1000:.0f} ms; {_split(medians, 1000)} ms"


def _split(metrics: dict[str, float], scale: float) -> str:
    """Tasks' wall time and its parts: "total (script / layout / style / other)"."""
    parts = " / ".join(f"{metrics[name] * scale:.{0 if scale > 1 else 1}f}" for name in
                       ("ScriptDuration", "LayoutDuration", "RecalcStyleDuration", "TaskOtherDuration"))
    return f"{metrics['TaskDuration'] * scale:.{0 if scale > 1 else 1}f} ({parts})"


def _frames(frame_times: list[float]) -> dict[str, float]:
    if len(frame_times) < 2:
        return {"per_second": 0.0, "longest_ms": float("nan")}
    gaps = [b - a for a, b in zip(frame_times, frame_times[1:])]
    return {"per_second": len(gaps) / ((frame_times[-1] - frame_times[0]) / 1000), "longest_ms": max(gaps)}


# ----- where the page's time goes (--profile-page)


def profile_render(browser, dashboard: DashboardProcess, cluster: Cluster, into: Path) -> None:
    """Chromium's CPU profile of one fresh page's first render, started on a page of the same origin so the
    navigation keeps its renderer process (and the profiler in it)."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        context.add_init_script(probe(cluster.pods))
        page = context.new_page()
        page.goto(f"{dashboard.base_url}/static/", wait_until="commit")
        cdp = context.new_cdp_session(page)
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 200})
        cdp.send("Profiler.start")
        page.goto(dashboard.url, wait_until="commit")
        wait_painted(page, cluster.pods)
        save_profile(cdp.send("Profiler.stop")["profile"], into.with_suffix(".render.cpuprofile"), "render")
    finally:
        context.close()


def profile_keep_up(browser, master: Master, dashboard: DashboardProcess, cluster: Cluster, into: Path, *,
                    rate: float) -> None:
    """Chromium's CPU profile and a trace of the page during 5 s of changes at `rate`."""
    page, cdp, _ = open_page(browser, dashboard.url, expected_pods=cluster.pods)
    try:
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 200})
        cdp.send("Profiler.start")
        browser.start_tracing(page=page, categories=["devtools.timeline"])
        writes, _ = write_changes(master, cluster, rate=rate, seconds=5)
        page.wait_for_function(f"() => Number(document.getElementById('map').dataset.revision) >= "
                               f"{writes[-1].revision}", timeout=DRAIN_TIMEOUT_MS)
        trace = json.loads(browser.stop_tracing())
        save_profile(cdp.send("Profiler.stop")["profile"], into.with_suffix(".keep-up.cpuprofile"), "keep-up")
        save_trace(trace, into.with_suffix(".keep-up.trace.json"))
    finally:
        page.context.close()


def save_trace(trace: dict | list, path: Path, *, top: int = 12) -> None:
    """Write the trace (chrome://tracing or DevTools opens it) and print the renderer main thread's events
    with the most time. Events nest (a task holds its paint), so the lines overlap: read them as where."""
    path.write_text(json.dumps(trace))
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    main_threads = {(e["pid"], e["tid"]) for e in events
                    if e.get("name") == "thread_name" and e["args"].get("name") == "CrRendererMain"}
    totals: Counter = Counter()
    for event in events:
        if event.get("ph") == "X" and (event["pid"], event["tid"]) in main_threads:
            totals[event["name"]] += event.get("dur", 0)
    print(f"\nChromium trace, keep-up (written to {path}): renderer main thread, wall time by event")
    for name, micros in totals.most_common(top):
        print(f"  {micros / 1000:8.1f} ms  {name}")


def save_profile(profile: dict, path: Path, label: str, *, top: int = 15) -> None:
    """Write the .cpuprofile (Chromium DevTools opens it) and print the functions with the most self time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(profile))
    nodes = {node["id"]: node for node in profile["nodes"]}
    self_us: Counter = Counter()
    for sample, delta in zip(profile["samples"], profile["timeDeltas"]):
        frame = nodes[sample]["callFrame"]
        where = frame["url"].rsplit("/", 1)[-1]
        self_us[f"{frame['functionName'] or '(anonymous)'} {where}:{frame['lineNumber'] + 1}".strip()] += delta
    total = sum(self_us.values()) or 1
    print(f"\nChromium CPU profile, {label} ({total / 1000:.0f} ms sampled; written to {path}): self time")
    for where, micros in self_us.most_common(top):
        print(f"  {micros / 1000:8.1f} ms  {micros / total:6.1%}  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="10 nodes, 200 pods, 3 pages, 3 s (a smoke test)")
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--pods", type=int, default=2000, help="every pod, the Pending ones included")
    parser.add_argument("--pending", type=int, default=50, help="of --pods, how many stay unscheduled")
    parser.add_argument("--runs", type=int, default=7, help="fresh pages to render, on each cluster")
    parser.add_argument("--rate", type=float, default=100, help="pod changes per second while keeping up")
    parser.add_argument("--seconds", type=float, default=10, help="how long to write changes")
    parser.add_argument("--profile-page", type=Path, metavar="PREFIX",
                        help="also record Chromium CPU profiles of a render and of 5 s of changes, and a trace "
                             "of those changes (PREFIX.render.cpuprofile, PREFIX.keep-up.cpuprofile, "
                             "PREFIX.keep-up.trace.json), and print where their time went")
    parser.add_argument("--json", type=Path, help="also write the result dict here")
    args = parser.parse_args()
    if args.small:
        args.nodes, args.pods, args.pending, args.runs, args.seconds = 10, 200, 10, 3, 3
    if not 0 <= args.pending < args.pods or args.nodes < 1 or args.runs < 1 or args.rate <= 0 or args.seconds <= 0:
        parser.error("need --nodes >= 1, 0 <= --pending < --pods, --runs >= 1, --rate > 0, --seconds > 0")
    with tempfile.TemporaryDirectory(prefix="tinykube-bench-dashboard-") as tmp:
        outcome = run(nodes=args.nodes, pods=args.pods, pending=args.pending, runs=args.runs, rate=args.rate,
                      seconds=args.seconds, root=Path(tmp), profile_page=args.profile_page)
    print_result(outcome)
    print(outcome["verdict"])
    write_json(outcome, args.json)


if __name__ == "__main__":
    main()
