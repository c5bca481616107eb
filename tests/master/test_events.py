"""Repeated events are counted on one Event and similar ones combined, as client-go's recorder does."""

import pytest

from apiclient import ApiClient, load_kubeconfig
from apiclient.event_correlation import COMBINE_WITHIN_SECONDS, COMBINED_PREFIX, EventCorrelator
from apiclient.events import EventRecorder
from tests.support.cluster import wait_for


def fresh_event(message="Back-off restarting failed container app", *, reason="BackOff", type_="Warning",
                field_path="spec.containers{app}", host="node-1", name="web.0001"):
    return {"metadata": {"name": name, "namespace": "default"},
            "involvedObject": {"kind": "Pod", "apiVersion": "v1", "namespace": "default", "name": "web", "uid": "u-1",
                               "fieldPath": field_path},
            "source": {"component": "kubelet", "host": host}, "reportingComponent": "kubelet",
            "reportingInstance": host, "type": type_, "reason": reason, "message": message,
            "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:00Z", "count": 1}


def record(correlator, event, *, now=0.0):
    """Correlate `event` and pretend the server stored what came out; returns what was sent."""
    correlated = correlator.correlate(event, now=now)
    correlator.written(correlated, correlated.event)
    return correlated


def test_an_identical_event_is_a_recount_of_the_first_keeping_its_name_and_first_timestamp():
    correlator = EventCorrelator()
    first = record(correlator, fresh_event(name="web.0001"))
    later = fresh_event(name="web.0002") | {"firstTimestamp": "2026-01-01T00:05:00Z",
                                            "lastTimestamp": "2026-01-01T00:05:00Z"}
    second = record(correlator, later)
    third = record(correlator, fresh_event(name="web.0003"))
    assert not first.recount and first.event["count"] == 1
    assert second.recount and third.recount
    assert [second.event["count"], third.event["count"]] == [2, 3]
    assert second.event["metadata"]["name"] == third.event["metadata"]["name"] == "web.0001"
    assert second.event["firstTimestamp"] == "2026-01-01T00:00:00Z"
    assert second.event["lastTimestamp"] == "2026-01-01T00:05:00Z"


@pytest.mark.parametrize("change", [
    {"message": "another message"},
    {"reason": "Failed"},
    {"type_": "Normal"},
    {"field_path": "spec.containers{sidecar}"},
    {"host": "node-2"},
])
def test_an_event_differing_in_anything_but_its_times_is_a_new_event(change):
    correlator = EventCorrelator()
    record(correlator, fresh_event())
    assert not correlator.correlate(fresh_event(**change), now=1.0).recount


def test_the_tenth_distinct_message_for_one_reason_starts_a_combined_event_that_later_ones_count_on():
    correlator = EventCorrelator()
    sent = [record(correlator, fresh_event(f"message {i}", name=f"web.{i}"), now=float(i)) for i in range(12)]
    assert [s.event["message"] for s in sent[:9]] == [f"message {i}" for i in range(9)]
    assert not any(s.recount for s in sent[:10])
    assert sent[9].event["message"] == COMBINED_PREFIX + "message 9"
    assert [s.event["count"] for s in sent[9:]] == [1, 2, 3]
    assert sent[11].event["message"] == COMBINED_PREFIX + "message 11"
    assert sent[11].event["metadata"]["name"] == "web.9"


def test_similar_messages_are_forgotten_after_ten_quiet_minutes():
    correlator = EventCorrelator()
    for i in range(9):
        record(correlator, fresh_event(f"message {i}"), now=0.0)
    late = correlator.correlate(fresh_event("message 9"), now=COMBINE_WITHIN_SECONDS + 1)
    assert late.event["message"] == "message 9"


@pytest.fixture
def recorder(master):
    client = ApiClient(load_kubeconfig(master.kubeconfig))
    events = EventRecorder(client, component="kubelet", host="node-1")
    yield events
    events.close()
    client.close()


def events_about(api, namespace, name):
    answer = api.get(f"/api/v1/namespaces/{namespace}/events",
                     params={"fieldSelector": f"involvedObject.name={name}"})
    return answer.json()["items"]


def a_pod(namespace, name="web"):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}"}}


def test_a_repeated_event_is_one_event_on_the_server_with_its_count(api, namespace, recorder):
    pod = a_pod(namespace)
    for _ in range(3):
        recorder.event(pod, type_="Warning", reason="BackOff", message="Back-off restarting failed container app",
                       field_path="spec.containers{app}")
    recorder.event(pod, type_="Normal", reason="Pulled", message="already present")
    recorder.flush()
    events = {e["reason"]: e for e in events_about(api, namespace, "web")}
    assert sorted(events) == ["BackOff", "Pulled"]
    assert events["BackOff"]["count"] == 3 and events["Pulled"]["count"] == 1
    assert events["BackOff"]["firstTimestamp"] <= events["BackOff"]["lastTimestamp"]


def test_a_counted_event_deleted_meanwhile_starts_again_at_one(api, namespace, recorder):
    pod = a_pod(namespace)
    recorder.event(pod, type_="Warning", reason="BackOff", message="again")
    recorder.flush()
    [first] = events_about(api, namespace, "web")
    assert api.delete(f"/api/v1/namespaces/{namespace}/events/{first['metadata']['name']}").status_code == 200
    recorder.event(pod, type_="Warning", reason="BackOff", message="again")
    recorder.event(pod, type_="Warning", reason="BackOff", message="again")
    recorder.flush()
    [second] = wait_for(lambda: events_about(api, namespace, "web"), message="the recreated event")
    assert second["metadata"]["name"] != first["metadata"]["name"]
    assert second["count"] == 2


def test_kubectl_describe_shows_the_count_of_a_repeated_event(api, namespace, recorder, kubectl):
    pod = {"metadata": {"name": "web"}, "spec": {"containers": [{"name": "app", "image": "busybox"}]}}
    created = api.post(f"/api/v1/namespaces/{namespace}/pods", json=pod).json()
    for _ in range(4):
        recorder.event(created, type_="Warning", reason="BackOff", message="Back-off restarting failed container app")
    recorder.flush()
    described = kubectl("describe", "pod", "web", "-n", namespace).stdout
    [line] = [line for line in described.splitlines() if "BackOff" in line]
    assert "(x4 over " in line, described
