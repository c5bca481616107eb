"""The Deployment controller against a live master, with the ReplicaSet controller and the garbage collector.

No kubelet runs: a `Kubelet` stand-in thread marks pods Running and Ready when
their image is one it can "run", so a rollout can be steered image by image.
"""

from __future__ import annotations

import threading
import time

import pytest

from master.controllers.deployment import DeploymentController
from master.controllers.deployment_rollout import proportional_sizes, resolve_fenceposts
from master.controllers.garbage_collector import GarbageCollector
from master.controllers.pod_template import TEMPLATE_HASH_LABEL, template_hash
from master.controllers.replicaset import ReplicaSetController
from objects.apps import Deployment, ReplicaSet
from objects.kinds import DEPLOYMENT, EVENT, POD, REPLICASET
from objects.why import epoch_of
from tests.master.controllers.test_replicaset import active_pods, is_ready, report_running, start_controllers, template
from tests.support.cluster import wait_for
from tests.support.revision_log import revision_rows

GOOD = "tinykube/bootcamp:v1"
BETTER = "tinykube/bootcamp:v2"
BROKEN = "tinykube/bootcamp:never-ready"


class FakeKubelet:
    """Marks every pending pod whose image is in `runnable` Running and Ready, as soon as it appears."""

    def __init__(self, client, namespace, runnable):
        self.client, self.namespace, self.runnable = client, namespace, set(runnable)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.stop.set()
        self.thread.join(5)

    def _run(self):
        while not self.stop.wait(0.05):
            for pod in active_pods(self.client, self.namespace):
                if not is_ready(pod) and pod["spec"]["containers"][0]["image"] in self.runnable:
                    report_running(self.client, pod)


class ReadyPodSampler:
    """Records the fewest ready pods, and the most pods of two templates at once, seen while a rollout runs."""

    def __init__(self, client, namespace):
        self.client, self.namespace = client, namespace
        self.fewest_ready: int | None = None
        self.images_at_once = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.stop.set()
        self.thread.join(5)

    def _run(self):
        while not self.stop.wait(0.02):
            pods = active_pods(self.client, self.namespace, "app=web")
            ready = sum(1 for p in pods if is_ready(p))
            self.fewest_ready = ready if self.fewest_ready is None else min(self.fewest_ready, ready)
            self.images_at_once = max(self.images_at_once, len({p["spec"]["containers"][0]["image"] for p in pods}))


def deployment(replicas=3, image=GOOD, **spec):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": template("web", image), **spec}}




@pytest.fixture
def controllers(master):
    stop = start_controllers(master, ReplicaSetController, DeploymentController, GarbageCollector)
    yield
    stop.set()


def get_deployment(client, namespace):
    return client.get(DEPLOYMENT, "web", namespace)


def replica_sets(client, namespace):
    return client.list(REPLICASET, namespace)["items"]


def set_image(client, namespace, image):
    client.patch(DEPLOYMENT, "web", {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}}},
                 namespace)


def rolled_out(client, namespace, replicas):
    d = get_deployment(client, namespace)
    status = d["status"]
    return (status.get("observedGeneration") == d["metadata"]["generation"]
            and status.get("updatedReplicas") == replicas == status.get("replicas") == status.get("availableReplicas"))


def condition(d, kind):
    return next((c for c in d["status"].get("conditions", []) if c["type"] == kind), {})


# ----- tests


def test_a_deployment_runs_its_template_in_a_replica_set_named_by_the_template_hash(client, namespace, controllers):
    with FakeKubelet(client, namespace, {GOOD}):
        created = client.create(DEPLOYMENT, deployment(), namespace)
        wait_for(lambda: rolled_out(client, namespace, 3), message="rolled out")

    [rs] = replica_sets(client, namespace)
    pod_hash = template_hash(created["spec"]["template"])
    assert rs["metadata"]["name"] == f"web-{pod_hash}"
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", TEMPLATE_HASH_LABEL: pod_hash}
    assert rs["spec"]["template"]["metadata"]["labels"][TEMPLATE_HASH_LABEL] == pod_hash
    assert rs["metadata"]["ownerReferences"][0]["uid"] == created["metadata"]["uid"]
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert all(p["metadata"]["labels"][TEMPLATE_HASH_LABEL] == pod_hash for p in active_pods(client, namespace))
    d = get_deployment(client, namespace)
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert condition(d, "Available")["reason"] == "MinimumReplicasAvailable"
    assert condition(d, "Progressing")["reason"] == "NewReplicaSetAvailable"
    events = wait_for(lambda: [e["message"] for e in client.list(EVENT, namespace)["items"]
                               if e["reason"] == "ScalingReplicaSet"])
    assert events == [f"Scaled up replica set web-{pod_hash} from 0 to 3"]


def test_scaling_a_deployment_resizes_its_replica_set(client, namespace, controllers, kubectl):
    with FakeKubelet(client, namespace, {GOOD}):
        client.create(DEPLOYMENT, deployment(replicas=2), namespace)
        wait_for(lambda: rolled_out(client, namespace, 2))

        kubectl("scale", "deployment/web", "--replicas=5", "-n", namespace)
        wait_for(lambda: rolled_out(client, namespace, 5), message="scaled up")
        kubectl("scale", "deployment/web", "--replicas=1", "-n", namespace)
        wait_for(lambda: rolled_out(client, namespace, 1), message="scaled down")

    [rs] = replica_sets(client, namespace)
    assert rs["spec"]["replicas"] == 1 and len(active_pods(client, namespace)) == 1


def test_a_rolling_update_never_drops_below_replicas_minus_max_unavailable(client, namespace, controllers, kubectl):
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}}
    with FakeKubelet(client, namespace, {GOOD, BETTER}):
        client.create(DEPLOYMENT, deployment(replicas=4, strategy=strategy), namespace)
        wait_for(lambda: rolled_out(client, namespace, 4))
        with ReadyPodSampler(client, namespace) as sampler:
            set_image(client, namespace, BETTER)
            wait_for(lambda: rolled_out(client, namespace, 4), timeout=30, message="rolled to v2")

    assert sampler.fewest_ready >= 4 - 1
    assert {p["spec"]["containers"][0]["image"] for p in active_pods(client, namespace)} == {BETTER}
    sizes = {rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: rs["spec"]["replicas"]
             for rs in replica_sets(client, namespace)}
    assert sizes == {"1": 0, "2": 4}
    status = kubectl("rollout", "status", "deployment/web", "-n", namespace, "--timeout=30s")
    assert 'deployment "web" successfully rolled out' in status.stdout


def test_recreate_stops_every_old_pod_before_starting_new_ones(client, namespace, controllers):
    with FakeKubelet(client, namespace, {GOOD, BETTER}):
        client.create(DEPLOYMENT, deployment(replicas=3, strategy={"type": "Recreate"}), namespace)
        wait_for(lambda: rolled_out(client, namespace, 3))
        with ReadyPodSampler(client, namespace) as sampler:
            set_image(client, namespace, BETTER)
            wait_for(lambda: rolled_out(client, namespace, 3), timeout=30, message="recreated on v2")

    assert sampler.images_at_once == 1
    assert {p["spec"]["containers"][0]["image"] for p in active_pods(client, namespace)} == {BETTER}


def test_a_rollout_that_never_gets_ready_stalls_keeping_the_old_pods_and_undo_restores_it(
        client, namespace, controllers, kubectl):
    with FakeKubelet(client, namespace, {GOOD}):
        client.create(DEPLOYMENT, deployment(replicas=3, progressDeadlineSeconds=2), namespace)
        wait_for(lambda: rolled_out(client, namespace, 3))
        [first] = replica_sets(client, namespace)

        set_image(client, namespace, BROKEN)
        stalled = wait_for(lambda: condition(d := get_deployment(client, namespace), "Progressing").get("reason")
                           == "ProgressDeadlineExceeded" and d, timeout=15, message="deadline exceeded")
        assert condition(stalled, "Progressing")["status"] == "False"
        assert sum(1 for p in active_pods(client, namespace) if is_ready(p)) == 3
        assert client.get(REPLICASET, first["metadata"]["name"], namespace)["spec"]["replicas"] == 3
        failed = kubectl("rollout", "status", "deployment/web", "-n", namespace, "--timeout=20s", check=False)
        assert failed.returncode != 0 and 'deployment "web" exceeded its progress deadline' in failed.stderr

        kubectl("rollout", "undo", "deployment/web", "-n", namespace)
        wait_for(lambda: rolled_out(client, namespace, 3), timeout=20, message="rolled back")
        kubectl("rollout", "status", "deployment/web", "-n", namespace, "--timeout=30s")

    restored = client.get(REPLICASET, first["metadata"]["name"], namespace)
    assert restored["spec"]["replicas"] == 3  # the old ReplicaSet is reused, not a copy of it
    assert restored["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert restored["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
    assert {p["spec"]["containers"][0]["image"] for p in active_pods(client, namespace)} == {GOOD}
    history = kubectl("rollout", "history", "deployment/web", "-n", namespace).stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["2", "3"]


def test_deleting_a_deployment_removes_its_replica_sets_and_pods(client, namespace, controllers, kubectl):
    client.create(DEPLOYMENT, deployment(replicas=2), namespace)
    wait_for(lambda: len(active_pods(client, namespace)) == 2)

    kubectl("delete", "deployment/web", "-n", namespace)

    wait_for(lambda: not replica_sets(client, namespace) and not client.list(POD, namespace)["items"],
             message="replica sets and pods collected")


def test_a_foreground_delete_removes_pods_then_replica_sets_then_the_deployment(
        client, namespace, controllers, kubectl):
    client.create(DEPLOYMENT, deployment(replicas=2), namespace)
    wait_for(lambda: len(active_pods(client, namespace)) == 2)

    kubectl("delete", "deployment/web", "--cascade=foreground", "-n", namespace, "--wait=false")

    wait_for(lambda: not client.list(DEPLOYMENT, namespace)["items"] and not replica_sets(client, namespace)
             and not client.list(POD, namespace)["items"], message="everything collected, owner last")


def test_fenceposts_round_surge_up_and_unavailability_down():
    assert resolve_fenceposts("25%", "25%", 10) == (3, 2)
    assert resolve_fenceposts(0, "10%", 5) == (0, 1)  # both zero would deadlock: one may be unavailable


def test_a_resize_mid_rollout_is_shared_in_proportion():
    d = Deployment.model_validate({"metadata": {}, "spec": {"replicas": 20, "strategy": {
        "type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}}}, "status": {"replicas": 13}})

    def rs(name, size, created):
        return ReplicaSet.model_validate({"metadata": {"name": name, "creationTimestamp": created,
                                                       "annotations": {"deployment.kubernetes.io/max-replicas": "13"}},
                                          "spec": {"replicas": size}})

    sizes, direction = proportional_sizes(
        d, [rs("old", 8, "2024-01-01T00:00:00Z"), rs("new", 5, "2024-01-02T00:00:00Z")])
    assert direction == "up" and sizes == {"old": 14, "new": 9}


def test_a_stalled_rollout_explains_its_arithmetic_on_the_deployments_why(client, namespace, controllers):
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    with FakeKubelet(client, namespace, {GOOD}):
        client.create(DEPLOYMENT, deployment(replicas=2, strategy=strategy, progressDeadlineSeconds=600), namespace)
        wait_for(lambda: rolled_out(client, namespace, 2))
        set_image(client, namespace, BROKEN)
        path = f"/apis/apps/v1/namespaces/{namespace}/deployments/web/why"

        def waiting_on_a_new_pod():
            rollout = client.get_path(path).get("rollout") or {}
            # First it waits for its ReplicaSet to create the pod, then for the pod itself.
            waiting = rollout.get("waitingFor") or [""]
            return rollout if rollout.get("newReplicas") == 1 and waiting[0].startswith("pod ") else None

        rollout = wait_for(waiting_on_a_new_pod, timeout=10, message="the rollout waiting on its new pod")

    assert (rollout["maxTotal"], rollout["minAvailable"], rollout["mayCreate"], rollout["mayRemove"]) == (3, 2, 0, 0)
    assert rollout["message"].endswith("2 old available + 0 new available = 2, "
                                       "so no old pod may go until a new one is available")
    [waiting] = rollout["waitingFor"]
    assert waiting.startswith(f"pod {namespace}/web-") and waiting.endswith(" to become Ready")
    [deadline] = rollout["countdowns"]
    assert deadline["name"] == "ProgressDeadline" and 590 < deadline["secondsLeft"] <= 601


def test_the_min_ready_seconds_countdown_is_when_the_new_pod_is_counted_available(client, namespace, controllers):
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments/web/why"
    with FakeKubelet(client, namespace, {GOOD, BETTER}):
        client.create(DEPLOYMENT, deployment(replicas=1, strategy=strategy, minReadySeconds=2), namespace)
        wait_for(lambda: rolled_out(client, namespace, 1), timeout=10)
        set_image(client, namespace, BETTER)

        def counting_down():
            countdowns = (client.get_path(path).get("rollout") or {}).get("countdowns") or []
            return next((c for c in countdowns if c["name"] == "MinReadySeconds"), None)

        countdown = wait_for(counting_down, timeout=10, message="a MinReadySeconds countdown")
        [new_rs] = [rs for rs in replica_sets(client, namespace)
                    if rs["spec"]["template"]["spec"]["containers"][0]["image"] == BETTER]
        wait_for(lambda: client.get(REPLICASET, new_rs["metadata"]["name"], namespace)["status"].get(
            "availableReplicas") == 1, timeout=10, interval=0.02, message="the new pod available")
        counted_at = time.time()

    assert countdown["owner"] == "replicaset-controller"
    assert -0.2 <= counted_at - epoch_of(countdown["at"]) <= 1.0, counted_at - epoch_of(countdown["at"])


def test_a_scale_chains_the_users_patch_the_replica_set_resize_and_the_new_pods(
        master, client, namespace, controllers, kubectl):
    with FakeKubelet(client, namespace, {GOOD}):
        client.create(DEPLOYMENT, deployment(replicas=2), namespace)
        wait_for(lambda: rolled_out(client, namespace, 2))
        kubectl("scale", "deployment/web", "--replicas=4", "-n", namespace)
        wait_for(lambda: rolled_out(client, namespace, 4), message="scaled up")

    rows = revision_rows(master.data_dir, namespace=namespace)
    scale = next(row for row in rows if row.resource == "deployments.apps" and row.component == "kubectl")
    resize = next(row for row in rows if row.resource == "replicasets.apps" and row.revision > scale.revision
                  and row.object["spec"]["replicas"] == 4)
    assert resize.cause == scale.revision
    new_pods = [row for row in rows
                if row.resource == "pods" and row.event == "ADDED" and row.revision > resize.revision]
    assert len(new_pods) == 2 and {row.cause for row in new_pods} == {resize.revision}
