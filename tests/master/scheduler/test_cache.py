"""The scheduler cache's node list, which cycles read without copying it."""

from __future__ import annotations

from master.scheduler.cache import SchedulerCache
from master.scheduler.framework import NodeInfo


def node(name: str, cpu: str = "1") -> NodeInfo:
    return NodeInfo.from_node({"metadata": {"name": name},
                               "status": {"allocatable": {"cpu": cpu, "memory": "1Gi", "pods": "10"}}})


def test_the_node_list_follows_adds_updates_and_removals():
    cache = SchedulerCache()
    for name in ("a", "b", "c"):
        cache.upsert_node(node(name))
    cache.upsert_node(node("b", cpu="4"))  # an update replaces the node in its place
    with cache.lock:
        listed = cache.nodes_locked()
    assert [(n.name, n.allocatable.milli_cpu) for n in listed] == [("a", 1000), ("b", 4000), ("c", 1000)]

    cache.remove_node("a")
    cache.upsert_node(node("c", cpu="2"))
    cache.upsert_node(node("d"))
    with cache.lock:
        assert [(n.name, n.allocatable.milli_cpu) for n in cache.nodes_locked()] == [
            ("b", 4000), ("c", 2000), ("d", 1000)]
