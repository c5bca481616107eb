import subprocess
import sys
from pathlib import Path

import pytest


class Tkctl:
    """The real `tkctl` entry point, run as a subprocess against the test master."""

    def __init__(self, kubeconfig: Path):
        self.kubeconfig = kubeconfig

    def __call__(self, *args: str, input: str | None = None, kubeconfig: Path | None = None,
                 timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            # --kubeconfig goes first: after `exec POD --` it would be part of the remote command
            [sys.executable, "-m", "cli.main", "--kubeconfig", str(kubeconfig or self.kubeconfig), *args],
            input=input, capture_output=True, text=True, timeout=timeout,
        )

    def ok(self, *args: str, input: str | None = None) -> str:
        result = self(*args, input=input)
        assert result.returncode == 0, f"tkctl {' '.join(args)} failed ({result.returncode}):\n{result.stderr}"
        return result.stdout


@pytest.fixture
def tkctl(master):
    return Tkctl(master.kubeconfig)
