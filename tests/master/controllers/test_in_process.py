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
