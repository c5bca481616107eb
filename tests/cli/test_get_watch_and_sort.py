"""`get -L`, `get --sort-by` and `get -w`: tkctl and the real kubectl against one live master.

Both read the same pods (the session master runs no scheduler, so they stay
Pending). Ages differ by a second between two runs, so the AGE cells are
masked; everything else must match byte for byte, trailing spaces included.
"""

from __future__ import annotations

import itertools
import re
import signal
import subprocess
import sys
import threading
import uuid

import pytest

from cli.go_sort import go_sort
from cli.sorting import is_less
from tests.cli.conftest import namespace_with_pods
from tests.support.cluster import Kubectl, Master, wait_for

WATCH_TIMEOUT = 60  # seconds; the machine is shared, and tkctl starts slowly under load

PODS = [
    {"name": "web-10", "labels": {"app": "web", "tier": "front", "example.com/team": "blue"}, "priority": 5,
     "requests": {"cpu": "250m", "memory": "64Mi"}},
    {"name": "web-9", "labels": {"app": "web"}, "priority": 100, "requests": {"cpu": "1", "memory": "1Gi"}},
    {"name": "db-1", "labels": {"app": "db", "tier": "back"}, "priority": 20, "requests": {"cpu": "50m"}},
    {"name": "cache", "labels": {}, "requests": {}},
    {"name": "queue", "labels": {"app": "mq"}, "requests": {}},
    {"name": "api", "labels": {"app": "api"}, "requests": {}},
]

AGE = re.compile(r"(?<![\w-])(?:\d+[dhm])?\d+[smhd](?: +|$)", re.MULTILINE)
KLOG_HEADER = re.compile(r"^F\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ ", re.MULTILINE)


def pod(spec: dict) -> dict:
    container = {"name": "app", "image": "nginx", "resources": {"requests": spec["requests"]}}
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": spec["name"], "labels": spec["labels"]},
            "spec": {"containers": [container]}}
    if "priority" in spec:
        body["spec"]["priority"] = spec["priority"]
    return body


@pytest.fixture(scope="module")
def pods_namespace(master):
    with namespace_with_pods(master, [pod(spec) for spec in PODS]) as name:
        yield name


def masked(text: str) -> str:
    """AGE cells as `AGE` padded to the same column width, and klog's timestamp and pid left out."""
    text = AGE.sub(lambda match: "AGE" + " " * max(len(match.group()) - 3, 0) if match.group().endswith(" ")
                   else "AGE", text)
    return KLOG_HEADER.sub("F ", text)


def assert_same(tkctl, kubectl, *args: str) -> tuple[int, str, str]:
    theirs = kubectl(*args, check=False)
    ours = tkctl(*args)
    expected = (theirs.returncode, masked(theirs.stdout), masked(theirs.stderr))
    assert (ours.returncode, masked(ours.stdout), masked(ours.stderr)) == expected
    return expected


# ----- -L / --label-columns

@pytest.mark.parametrize("args", [
    ["-L", "app"],
    ["-L", "app", "-L", "tier,example.com/team"],
    ["-L", "APP,nope", "--show-labels"],
    ["-o", "wide", "-L", "tier"],
    ["--no-headers", "-L", "app"],
])
def test_label_columns_match_kubectl(tkctl, real_kubectl, pods_namespace, args):
    code, out, _ = assert_same(tkctl, real_kubectl, "-n", pods_namespace, "get", "pods", *args)
    assert code == 0 and out


def test_label_columns_are_headed_by_the_keys_last_segment_upper_cased(tkctl, pods_namespace):
    header = tkctl.ok("-n", pods_namespace, "get", "pods", "-L", "example.com/team").splitlines()[0]
    assert header.split()[-1] == "TEAM"


def test_label_columns_sit_after_the_namespace_column_across_namespaces(tkctl, real_kubectl, pods_namespace):
    # -A lists other tests' pods too; a selector keeps the comparison to ours
    assert_same(tkctl, real_kubectl, "get", "pods", "-A", "-l", "app", "-L", "app", "--field-selector",
                f"metadata.namespace={pods_namespace}")


# ----- --sort-by

SORT_FIELDS = [
    ".metadata.name",
    "{.metadata.name}",
    "metadata.name",
    "{.spec.priority}",  # numbers; three pods have none and go first, in kubectl's (reversed) order
    ".spec.containers[0].resources.requests.cpu",  # quantities: 50m < 250m < 1
    ".spec.containers[0].resources.requests.memory",
    ".metadata.labels.app",
]


@pytest.mark.parametrize("field", SORT_FIELDS)
@pytest.mark.parametrize("output", [[], ["-o", "name"], ["-o", "wide"], ["-o", "custom-columns=N:.metadata.name"]])
def test_sort_by_matches_kubectl(tkctl, real_kubectl, pods_namespace, field, output):
    code, out, _ = assert_same(tkctl, real_kubectl, "-n", pods_namespace, "get", "pods", "--sort-by", field, *output)
    assert code == 0 and out


@pytest.mark.parametrize("output", ["json", "yaml"])
def test_sort_by_orders_the_items_of_json_and_yaml(tkctl, real_kubectl, pods_namespace, output):
    assert_same(tkctl, real_kubectl, "-n", pods_namespace, "get", "pods", "--sort-by", "{.spec.priority}",
                "-o", output)


def test_many_ties_come_out_in_kubectls_order(master, tkctl, real_kubectl, namespace):
    # guards the port of Go's sort past 12 items: a wrong pattern-breaking generator reordered ties
    with master.client() as client:
        for i in range(1, 61):
            spec = {"name": f"p{i}", "labels": {"g": str(i % 4)}, "priority": (i * 7) % 5, "requests": {}}
            assert client.post(f"/api/v1/namespaces/{namespace}/pods", json=pod(spec)).status_code == 201
    for field in (".spec.priority", ".metadata.labels.g"):
        assert_same(tkctl, real_kubectl, "-n", namespace, "get", "pods", "-o", "name", "--sort-by", field)
    assert_same(tkctl, real_kubectl, "-n", namespace, "get", "pods", "--sort-by", ".spec.priority")


def test_sort_by_quantities_compares_amounts_not_text(tkctl, pods_namespace):
    names = tkctl.ok("-n", pods_namespace, "get", "pods", "-o", "name", "-l", "tier",
                     "--sort-by", ".spec.containers[0].resources.requests.cpu").split()
    assert names == ["pod/db-1", "pod/web-10"]  # 50m before 250m, though "2" < "5"


@pytest.mark.parametrize("args", [
    ["--sort-by", ".nope", "-o", "name"],  # no object has the field: an error
    ["--sort-by", "{.metadata.name", "-o", "json"],  # not a relaxed path
    ["--sort-by", ".metadata[", "-o", "name"],  # relaxed, but not JSONPath
    ["--sort-by", "{.metadata.labels}", "-o", "name"],  # maps cannot be compared: kubectl's fatal line
    ["--sort-by", "{.metadata.labels}"],
    ["--sort-by", ".nope"],  # a table kubectl cannot sort prints nothing, and says so
    ["--sort-by", "{.metadata.name"],
    ["web-9", "cache", "--sort-by", ".metadata.name"],  # named objects' rows cannot be sorted in kubectl
    ["cache", "--sort-by", ".nope"],  # one named object is not sorted at all
])
def test_sort_by_failures_match_kubectl(tkctl, real_kubectl, pods_namespace, args):
    assert_same(tkctl, real_kubectl, "-n", pods_namespace, "get", "pods", *args)


def test_a_field_no_object_has_is_an_error():
    from cli.sorting import SortError, sort_objects
    with pytest.raises(SortError, match=r'couldn\'t find any field with path "\{\.nope\}"'):
        sort_objects([("pod", {"a": 1}), ("pod", {"a": 2})], ".nope")


def test_go_sort_orders_like_go_for_a_less_that_is_not_strict():
    # kubectl's less says a missing value is less than anything, itself included: Go's insertion sort
    # then reverses the missing ones, which a stable sort would not
    missing = None
    items = [("a", missing), ("b", 2), ("c", missing), ("d", 1), ("e", missing)]

    def less(left, right):
        return left[1] is None or (right[1] is not None and left[1] < right[1])

    assert [name for name, _ in go_sort(items, less)] == ["e", "c", "a", "d", "b"]


def test_go_sort_sorts_long_lists():
    values = [(i * 7919) % 1000 for i in range(500)]
    assert go_sort(values, lambda a, b: a < b) == sorted(values)


def test_strings_compare_as_quantities_only_when_both_are():
    assert is_less("500m", "2")
    assert is_less("a10", "a2")  # plain strings: byte order, as kubectl v1.32 compares them
    assert is_less(2, 10) and is_less(None, "x") and not is_less("x", None)


# ----- -w / --watch-only

class Watcher:
    """A `get -w` process whose stdout is collected as it comes."""

    def __init__(self, command: list[str], env: dict[str, str] | None = None):
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env=env)
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [threading.Thread(target=self._read, args=(stream, into), daemon=True)
                         for stream, into in ((self.process.stdout, self.out), (self.process.stderr, self.err))]
        for reader in self._readers:
            reader.start()

    def _read(self, stream, into: list[str]) -> None:
        for line in stream:
            into.append(line)

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    def wait_for_lines(self, count: int, what: str) -> None:
        wait_for(lambda: len(self.out) >= count, timeout=WATCH_TIMEOUT, interval=0.1,
                 message=f"{what}; so far: {self.stdout!r} {''.join(self.err)!r}")

    def interrupt(self) -> int:
        """Ctrl-C, as a person would end it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout=WATCH_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        for reader in self._readers:
            reader.join(timeout=10)
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def watchers():
    started: list[Watcher] = []
    yield started
    for watcher in started:
        watcher.stop()


def tkctl_watch(master, *args: str) -> Watcher:
    return Watcher([sys.executable, "-m", "cli.main", "--kubeconfig", str(master.kubeconfig), *args])


def kubectl_watch(kubectl: Kubectl, *args: str) -> Watcher:
    return Watcher(["kubectl", *args], env=kubectl.env)


def create_pod(master, namespace: str, name: str, labels: dict | None = None) -> None:
    with master.client() as client:
        body = pod({"name": name, "labels": labels or {}, "requests": {}})
        response = client.post(f"/api/v1/namespaces/{namespace}/pods", json=body)
        assert response.status_code == 201, response.text


def label_pod(master, namespace: str, name: str, labels: dict) -> None:
    with master.client() as client:
        response = client.patch(f"/api/v1/namespaces/{namespace}/pods/{name}", json={"metadata": {"labels": labels}},
                                headers={"Content-Type": "application/merge-patch+json"})
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("args", [
    ["-w"],
    ["-w", "-L", "app", "--show-labels"],
    ["--watch-only", "--output-watch-events", "-L", "app"],
    ["-w", "-o", "name"],
])
def test_watch_prints_each_change_as_kubectl_does(master, real_kubectl, namespace, watchers, args):
    create_pod(master, namespace, "a", {"app": "x"})
    ours = tkctl_watch(master, "-n", namespace, "get", "pods", *args)
    theirs = kubectl_watch(real_kubectl, "-n", namespace, "get", "pods", *args)
    watchers.extend([ours, theirs])
    if "--watch-only" in args:
        # nothing is printed before a change: change `a` until both have printed, so both are watching
        counter = itertools.count()

        def both_watching() -> bool:
            label_pod(master, namespace, "a", {"app": "x", "warm": str(next(counter) % 10)})
            return bool(ours.out and theirs.out)

        wait_for(both_watching, timeout=WATCH_TIMEOUT, interval=1.0, message="both watches to print")
    else:
        listing = 1 if "name" in args else 2
        for watcher in (ours, theirs):
            watcher.wait_for_lines(listing, "the initial listing")

    create_pod(master, namespace, "a-much-longer-name", {"app": "y"})  # widens the NAME column
    label_pod(master, namespace, "a", {"app": "z"})
    for watcher in (ours, theirs):
        if "--watch-only" in args:  # its warm-up rows are uncounted: wait for `a` to show its new label
            wait_for(lambda: " z" in _from_line_with(watcher.stdout, "a-much-longer-name"), timeout=WATCH_TIMEOUT,
                     interval=0.1, message="the two events")
        else:
            watcher.wait_for_lines(listing + 2, "the two events")

    ours_code, theirs_code = ours.interrupt(), theirs.interrupt()
    assert (ours_code, "".join(ours.err)) == (theirs_code, "".join(theirs.err))
    if "--watch-only" in args:  # the warm-up changes may differ in number: compare from the new pod on
        assert masked(_from_line_with(ours.stdout, "a-much-longer-name")) == \
            masked(_from_line_with(theirs.stdout, "a-much-longer-name"))
    else:
        assert masked(ours.stdout) == masked(theirs.stdout)


def _from_line_with(text: str, needle: str) -> str:
    lines = text.splitlines(keepends=True)
    first = next((i for i, line in enumerate(lines) if needle in line), len(lines))
    return "".join(lines[first:])


def test_watching_one_object_skips_the_replay_of_what_was_listed(master, namespace, watchers):
    create_pod(master, namespace, "solo")
    create_pod(master, namespace, "other")
    watcher = tkctl_watch(master, "-n", namespace, "get", "pod", "solo", "-w", "-o", "name")
    watchers.append(watcher)
    watcher.wait_for_lines(1, "the object itself")
    label_pod(master, namespace, "other", {"changed": "1"})
    label_pod(master, namespace, "solo", {"changed": "1"})
    watcher.wait_for_lines(2, "the change to solo")
    assert watcher.interrupt() == 1
    assert watcher.stdout == "pod/solo\npod/solo\n"


def test_watch_output_as_json_events(master, namespace, watchers):
    watcher = tkctl_watch(master, "-n", namespace, "get", "pods", "--watch-only", "-o", "json",
                          "--output-watch-events")
    watchers.append(watcher)
    create_pod(master, namespace, "first")

    def printed_first():
        # the watch may start after the pod exists; then a label change shows up instead
        if not watcher.out:
            label_pod(master, namespace, "first", {"n": uuid.uuid4().hex[:6]})
        return watcher.out

    wait_for(printed_first, timeout=WATCH_TIMEOUT, interval=1, message="an event")
    assert re.match(r'\{"type":"(ADDED|MODIFIED)","object":\{"apiVersion":"v1","kind":"Pod",', watcher.out[0])


def test_interrupting_a_watch_exits_1_silently(master, namespace, watchers):
    create_pod(master, namespace, "a")
    watcher = tkctl_watch(master, "-n", namespace, "get", "pods", "-w")
    watchers.append(watcher)
    watcher.wait_for_lines(2, "the listing")
    assert watcher.interrupt() == 1
    assert watcher.err == []


def test_the_watch_ends_with_exit_0_when_the_server_ends_it(tmp_path, watchers):
    own = Master(tmp_path / "data", extra_args=["--no-scheduler"]).start()
    try:
        create_pod(own, "default", "first")
        watcher = tkctl_watch(own, "get", "pods", "-w")
        watchers.append(watcher)
        watcher.wait_for_lines(2, "the listing")
        create_pod(own, "default", "second")
        watcher.wait_for_lines(3, "the new pod")
    finally:
        own.stop()
    assert watcher.process.wait(timeout=WATCH_TIMEOUT) == 0


@pytest.mark.parametrize("args", [
    ["pods", "web-9", "cache", "-w"],  # kubectl lists them, then refuses to watch
    ["pods", "web-9", "cache", "--watch-only"],
    ["pods,nodes", "-w"],
    ["pods", "nope", "-w"],
])
def test_watch_takes_one_kind_or_one_object_as_kubectl_does(tkctl, real_kubectl, pods_namespace, args):
    code, _, err = assert_same(tkctl, real_kubectl, "-n", pods_namespace, "get", *args)
    assert code == 1 and err
