"""`tkctl dashboard` as a user runs it: its own process, on a free loopback port, stopped pass or fail."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.cluster import wait_for

# The line `tkctl dashboard` prints first: where to open it, with this session's key.
URL_LINE = re.compile(r"^Dashboard: (?P<url>http://\S+)$")
STARTUP_TIMEOUT_SECONDS = 30


class DashboardProcess:
    def __init__(self, kubeconfig: Path, *, extra_args: list[str] | None = None):
        self.kubeconfig = kubeconfig
        self.extra_args = extra_args or []
        self.process: subprocess.Popen | None = None
        self.url: str | None = None
        self.output: list[str] = []

    def start(self) -> DashboardProcess:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("DISPLAY", None)  # never open a real browser window from a test
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "--kubeconfig", str(self.kubeconfig), "dashboard",
             "--port", "0", "--no-browser", *self.extra_args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )
        threading.Thread(target=self._read_output, daemon=True).start()
        wait_for(self._started, timeout=STARTUP_TIMEOUT_SECONDS, message=lambda: f"tkctl dashboard: {self.output}")
        return self

    def _read_output(self) -> None:
        for line in self.process.stdout:
            self.output.append(line.rstrip("\n"))
            if self.url is None and (match := URL_LINE.match(line.strip())):
                self.url = match["url"]

    def _started(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"tkctl dashboard exited with {self.process.returncode}: {self.output}")
        return self.url is not None

    @property
    def base_url(self) -> str:
        """The server's address without the session key (what a page without the key sees)."""
        return self.url.split("?", 1)[0].rstrip("/")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def running_dashboard(kubeconfig: Path, *, extra_args: list[str] | None = None) -> Iterator[DashboardProcess]:
    dashboard = DashboardProcess(kubeconfig, extra_args=extra_args)
    try:
        yield dashboard.start()
    finally:
        dashboard.stop()
