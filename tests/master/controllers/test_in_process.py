"""The master runs its controllers itself when asked (`--controllers=*`, its default)."""

from tests.support.cluster import Master, wait_for


def test_the_master_runs_the_daemonset_controller_in_process(tmp_path):
    master = Master(tmp_path / "data", extra_args=["--controllers=*", "--time-scale", "0.1"]).start()
    try:
        with master.client() as api:
            node = {"metadata": {"name": "n1"},
                    "status": {"allocatable": {"cpu": "2", "memory": "2Gi", "pods": "10"},
                               "conditions": [{"type": "Ready", "status": "True"}]}}
            assert api.post("/api/v1/nodes", json=node).status_code == 201
            ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
                  "spec": {"selector": {"matchLabels": {"app": "agent"}},
                           "template": {"metadata": {"labels": {"app": "agent"}},
                                        "spec": {"containers": [{"name": "a", "image": "tinykube/busybox:test"}]}}}}
            assert api.post("/apis/apps/v1/namespaces/default/daemonsets", json=ds).status_code == 201
            pods = wait_for(lambda: api.get("/api/v1/namespaces/default/pods",
                                            params={"labelSelector": "app=agent"}).json()["items"],
                            timeout=20, message="the DaemonSet's pod")
            assert pods[0]["metadata"]["ownerReferences"][0]["kind"] == "DaemonSet"
    finally:
        master.stop()


def test_a_deployment_gets_its_replicaset_and_pods_from_the_master_alone(tmp_path):
    master = Master(tmp_path / "data", extra_args=["--controllers=*", "--time-scale", "0.1"]).start()
    try:
        with master.client() as api:
            deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                          "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                                   "template": {"metadata": {"labels": {"app": "web"}},
                                                "spec": {"containers": [{"name": "a", "image": "tinykube/busybox:test"}]}}}}
            assert api.post("/apis/apps/v1/namespaces/default/deployments", json=deployment).status_code == 201
            pods = wait_for(lambda: (lambda items: items if len(items) == 2 else None)(
                api.get("/api/v1/namespaces/default/pods", params={"labelSelector": "app=web"}).json()["items"]),
                timeout=20, message="two pods")
            owner = pods[0]["metadata"]["ownerReferences"][0]
            assert owner["kind"] == "ReplicaSet" and owner["name"].startswith("web-")
            api.delete("/apis/apps/v1/namespaces/default/deployments/web")
            wait_for(lambda: api.get("/api/v1/namespaces/default/pods",
                                     params={"labelSelector": "app=web"}).json()["items"] == [],
                     timeout=20, message="the garbage collector to remove the pods")
    finally:
        master.stop()
