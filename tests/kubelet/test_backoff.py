"""The kubelet's restart backoff, measured from the failure as Kubernetes does."""

from kubelet.backoff import Backoff


def test_waits_double_from_ten_seconds_to_the_cap_and_scale():
    now = [1000.0]
    backoff = Backoff(time_scale=0.1, clock=lambda: now[0])
    waits = [backoff.failed(("pod", "app"), at=now[0]) for _ in range(8)]
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_the_window_runs_from_the_exit_not_from_when_the_kubelet_looks():
    now = [1000.0]
    backoff = Backoff(clock=lambda: now[0])
    backoff.failed(("pod", "app"), at=1000.0)  # first exit: restarted at once, next wait is 10s
    now[0] = 1030.0
    assert backoff.remaining(("pod", "app"), since=1025.0) == 5.0  # second exit at 1025: 5s still to go


def test_ten_quiet_minutes_forget_the_backoff():
    now = [0.0]
    backoff = Backoff(clock=lambda: now[0])
    backoff.failed(("pod", "app"), at=0.0)
    backoff.failed(("pod", "app"), at=1.0)
    assert backoff.failed(("pod", "app"), at=700.0) == 10.0


def test_ends_at_is_the_moment_remaining_counts_down_to():
    now = [1000.0]
    backoff = Backoff(time_scale=0.1, clock=lambda: now[0])
    assert backoff.ends_at(("pod", "app")) is None
    backoff.failed(("pod", "app"), at=1000.0)
    backoff.failed(("pod", "app"), at=1001.0)  # the wait is now 2s, from the failure at 1001
    assert backoff.ends_at(("pod", "app")) == 1003.0
    assert backoff.ends_at(("pod", "app"), since=1002.5) == 1004.5
    now[0] = 1004.0
    assert backoff.remaining(("pod", "app"), since=1002.5) == 0.5


def test_the_sequence_is_the_waits_failed_goes_through():
    backoff = Backoff(time_scale=0.1, clock=lambda: 0.0)
    waits = [backoff.failed(("pod", "app"), at=0.0) for _ in range(7)]
    assert backoff.sequence() == waits[:6] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0]
