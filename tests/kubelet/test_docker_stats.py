"""The arithmetic from Docker's stats JSON to a usage sample, on recorded-shape samples."""

import pytest

from kubelet.runtime.docker_stats import container_stats, cpu_nano_cores, parse_rfc3339_nanos, working_set_bytes


def sample(*, used_before=1_000_000_000, used_after=1_250_000_000, preread="2026-01-02T03:04:05.000000000Z",
           read="2026-01-02T03:04:06.000000000Z", memory=None):
    return {
        "read": read, "preread": preread,
        "cpu_stats": {"cpu_usage": {"total_usage": used_after}, "system_cpu_usage": 9, "online_cpus": 2},
        "precpu_stats": {"cpu_usage": {"total_usage": used_before}, "system_cpu_usage": 7, "online_cpus": 2},
        "memory_stats": memory if memory is not None else {"usage": 10 << 20, "stats": {"inactive_file": 4 << 20}},
    }


def test_cpu_is_the_cpu_time_used_over_the_wall_time_between_the_samples():
    # 250 ms of CPU in one second is a quarter of a core.
    assert cpu_nano_cores(sample()) == 250_000_000


def test_cpu_uses_the_nanoseconds_of_both_timestamps():
    # 50 ms of CPU in half a second: a tenth of a core.
    raw = sample(used_after=1_050_000_000, preread="2026-01-02T03:04:05.25Z", read="2026-01-02T03:04:05.750000000Z")
    assert cpu_nano_cores(raw) == 100_000_000


def test_a_busy_loop_on_two_cores_is_two_billion_nano_cores():
    assert cpu_nano_cores(sample(used_before=0, used_after=2_000_000_000)) == 2_000_000_000


@pytest.mark.parametrize("raw", [
    sample(preread="0001-01-01T00:00:00Z"),  # no earlier sample: no rate
    sample(used_after=500),  # the counter went back: the container restarted in between
    sample(read="2026-01-02T03:04:05.000000000Z"),  # no time passed
], ids=["no-earlier-sample", "counter-reset", "no-time-passed"])
def test_no_rate_can_be_told_and_cpu_is_zero(raw):
    assert cpu_nano_cores(raw) == 0


def test_the_working_set_leaves_out_the_inactive_file_cache():
    assert working_set_bytes({"usage": 10 << 20, "stats": {"inactive_file": 4 << 20}}) == 6 << 20  # cgroup v2
    assert working_set_bytes({"usage": 10 << 20, "stats": {"total_inactive_file": 3 << 20, "inactive_file": 1}}) \
        == 7 << 20  # cgroup v1 counts the hierarchy's total
    assert working_set_bytes({"usage": 1 << 20, "stats": {"inactive_file": 2 << 20}}) == 0  # never negative
    assert working_set_bytes({"usage": 5000}) == 5000


def test_a_sample_carries_cpu_memory_and_when_it_was_taken():
    stats = container_stats(sample())
    assert stats is not None
    assert (stats.timestamp, stats.cpu_usage_nano_cores, stats.cpu_usage_core_nano_seconds) == (
        "2026-01-02T03:04:06.000000000Z", 250_000_000, 1_250_000_000)
    assert (stats.memory_usage_bytes, stats.memory_working_set_bytes) == (10 << 20, 6 << 20)


def test_a_stopped_container_has_no_sample():
    """The engine answers a stopped container with a zero time and empty memory stats."""
    assert container_stats(sample(read="0001-01-01T00:00:00Z", preread="0001-01-01T00:00:00Z", memory={})) is None


def test_rfc3339_times_keep_nanoseconds_and_honour_offsets():
    assert parse_rfc3339_nanos("1970-01-01T00:00:01.000000001Z") == 1_000_000_001
    assert parse_rfc3339_nanos("1970-01-01T01:00:01.5+01:00") == 1_500_000_000
    with pytest.raises(ValueError):
        parse_rfc3339_nanos("yesterday")
