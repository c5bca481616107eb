"""Status is written by the API server and the kubelet and read by apiclient and tkctl: one model, one wire order."""

import json

from objects.status import Status, StatusCause, StatusDetails, StatusOutcome


def test_a_failure_is_written_byte_for_byte_as_the_apiserver_writes_it():
    status = Status.failure(404, "NotFound", 'deployments.apps "web" not found',
                            StatusDetails(kind="deployments", group="apps", name="web"))
    assert json.dumps(status.to_wire(), separators=(",", ":")) == (
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
        '"message":"deployments.apps \\"web\\" not found","reason":"NotFound",'
        '"details":{"name":"web","group":"apps","kind":"deployments"},"code":404}'
    )


def test_a_success_leaves_out_message_reason_details_and_code():
    assert Status.success().to_wire() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}


def test_causes_keep_the_apiserver_order_and_read_back_typed():
    sent = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "m",
            "reason": "Invalid", "details": {"name": "p", "kind": "Pod", "causes": [
                {"field": "spec", "message": "Required value", "reason": "FieldValueRequired"}]}, "code": 422}
    status = Status.model_validate(sent)
    assert status.status is StatusOutcome.FAILURE
    assert status.causes == [StatusCause(reason="FieldValueRequired", message="Required value", field="spec")]
    assert list(status.to_wire()["details"]["causes"][0]) == ["reason", "message", "field"]


def test_a_status_without_details_has_no_causes():
    assert Status.failure(500, "InternalError", "boom").causes == []
