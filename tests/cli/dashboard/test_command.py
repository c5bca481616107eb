"""`tkctl dashboard` as a command: a busy port is one line and exit 1; Ctrl-C stops it cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx

from tests.cli.dashboard.sse import EventStream
from tests.support.dashboard import running_dashboard


def test_a_port_in_use_is_one_line_and_exit_1(cluster, dashboard):
    port = dashboard.base_url.rsplit(":", 1)[1]
    result = subprocess.run([sys.executable, "-m", "cli.main", "--kubeconfig", str(cluster.kubeconfig), "dashboard",
                             "--port", port, "--no-browser"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == f"error: listen tcp 127.0.0.1:{port}: bind: address already in use\n"


def test_ctrl_c_stops_it_with_exit_0_even_with_a_stream_open(cluster):
    with running_dashboard(cluster.kubeconfig) as dashboard, httpx.Client(base_url=dashboard.base_url) as page:
        assert dashboard.output[:2] == [f"Dashboard: {dashboard.url}", "Press Ctrl-C to stop."]
        page.get(dashboard.url)
        with EventStream(page) as stream:
            assert stream.next().name == "status"
            dashboard.process.send_signal(signal.SIGINT)
            assert dashboard.process.wait(timeout=20) == 0
