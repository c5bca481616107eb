"""`tkctl dashboard` as a command: a busy port is one line and exit 1; Ctrl-C stops it cleanly; 0.0.0.0 prints a
URL a browser can open and lets other machines in by IP address."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx

from tests.cli.dashboard.sse import EventStream
from tests.support.cluster import wait_for
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


def test_on_every_address_it_prints_a_loopback_url_and_accepts_the_machines_ip_addresses(cluster):
    # The bug: `--address 0.0.0.0` printed http://0.0.0.0:PORT, and the Host check refused the LAN address
    # another machine opens it by.
    with running_dashboard(cluster.kubeconfig, extra_args=["--address", "0.0.0.0"]) as dashboard, \
            httpx.Client(base_url=dashboard.base_url, timeout=30) as page:
        port = dashboard.base_url.rsplit(":", 1)[1]
        assert dashboard.base_url == f"http://127.0.0.1:{port}"
        wait_for(lambda: len(dashboard.output) >= 3, message=lambda: f"the note: {dashboard.output}")
        assert dashboard.output[1] == "Press Ctrl-C to stop."
        assert f"http://IP:{port}/?key=" in dashboard.output[2] and "0.0.0.0" in dashboard.output[2]
        assert page.get(dashboard.url).status_code == 303
        assert page.get("/api/timeline", headers={"Host": f"192.0.2.7:{port}"}).status_code == 200
        assert page.get("/api/timeline", headers={"Host": f"[2001:db8::7]:{port}"}).status_code == 200
        assert page.get("/api/timeline", headers={"Host": f"evil.example:{port}"}).status_code == 403
