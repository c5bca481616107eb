"""tkctl proxy's request filter: kubectl proxy's defaults (pure)."""

from cli.durations import parse_duration, round_to_seconds
from cli.local_proxy import RequestFilter


def test_the_filter_accepts_api_paths_from_localhost():
    accepted = RequestFilter()
    assert accepted.accepts("GET", "/api/v1/namespaces/default/pods/web/proxy/", "localhost:8001")
    assert accepted.accepts("POST", "/api/v1/namespaces/default/pods", "127.0.0.1:8001")
    assert accepted.accepts("GET", "/version", "localhost")  # kubectl's extractHost keeps a port-less Host


def test_the_filter_refuses_exec_attach_and_other_hosts():
    refused = RequestFilter()
    assert not refused.accepts("GET", "/api/v1/namespaces/default/pods/web/exec", "localhost:8001")
    assert not refused.accepts("POST", "/api/v1/namespaces/default/pods/web/attach", "localhost:8001")
    assert not refused.accepts("GET", "/version", "evil.example:8001")


def test_since_reads_go_durations_and_rounds_to_seconds():
    assert parse_duration("1h30m") == 5400
    assert round_to_seconds(parse_duration("1500ms")) == 2
    assert round_to_seconds(parse_duration("300ms")) == 0
