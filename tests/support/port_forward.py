"""A `port-forward` process (the real kubectl, or tkctl) for tests, and a plain HTTP GET through it."""

from __future__ import annotations

import http.client
import subprocess
import threading

from tests.support.cluster import wait_for


class PortForward:
    """Started at once; `stop()` kills it (call it in a finally) and returns its stderr."""

    def __init__(self, program: str, args: list[str], env: dict[str, str]):
        self.process = subprocess.Popen([program, "port-forward", *args], env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True).start()

    def forwarding_lines(self) -> list[str]:
        return [line for line in self.lines if line.startswith("Forwarding from")]

    def wait_forwarding(self, timeout: float = 30) -> list[str]:
        """The `Forwarding from ...` lines, once there are; fails at once if the process ended."""
        wait_for(lambda: self.forwarding_lines() or self.process.poll() is not None, timeout=timeout,
                 message=lambda: f"Forwarding lines (so far {self.lines})")
        if not self.forwarding_lines():
            raise AssertionError(f"port-forward exited {self.process.poll()}: {self.process.stderr.read()}")
        return self.forwarding_lines()

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        return self.process.stderr.read()


def http_get(port: int, path: str, *, timeout: float = 30) -> tuple[int, bytes]:
    """(status, body) of GET 127.0.0.1:port/path, on a connection of its own."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()
