"""The atomic write: a reader sees the old file or the new one, never a mix, never with a wider mode."""

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wire.files import PRIVATE_MODE, PUBLIC_MODE, write_atomically

SIZE = 4 * 1024 * 1024  # large enough that a kill usually lands in the middle of writing


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def strict_umask():
    previous = os.umask(0o077)
    yield
    os.umask(previous)


def test_a_new_file_has_exactly_the_requested_mode_whatever_the_umask(tmp_path, strict_umask):
    write_atomically(tmp_path / "ca.crt", b"certificate", mode=PUBLIC_MODE)

    assert (tmp_path / "ca.crt").read_bytes() == b"certificate"
    assert mode_of(tmp_path / "ca.crt") == 0o644


def test_rewriting_a_file_replaces_its_content_and_its_mode(tmp_path):
    path = tmp_path / "tokens.json"
    path.write_bytes(b"old")
    path.chmod(0o644)

    write_atomically(path, b"new", mode=PRIVATE_MODE)

    assert path.read_bytes() == b"new"
    assert mode_of(path) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["tokens.json"]


def test_a_temporary_file_left_by_a_crash_is_replaced_not_reused(tmp_path):
    # Guards against writing a key into a leftover temporary that is still world-readable.
    leftover = tmp_path / ".server.key.tmp"
    leftover.write_bytes(b"half a key")
    leftover.chmod(0o666)

    write_atomically(tmp_path / "server.key", b"whole key", mode=PRIVATE_MODE)

    assert (tmp_path / "server.key").read_bytes() == b"whole key"
    assert mode_of(tmp_path / "server.key") == 0o600
    assert not leftover.exists()


def test_a_writer_killed_mid_write_leaves_the_old_file_or_the_new_one(tmp_path):
    path = tmp_path / "admin.kubeconfig"
    write_atomically(path, b"O" * SIZE, mode=PRIVATE_MODE)
    # Rewrites the file over and over, alternating between all-A and all-B, until it is killed.
    writer = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from pathlib import Path
            from wire.files import write_atomically
            for n in range(1_000_000):
                write_atomically(Path({str(path)!r}), b"AB"[n % 2:n % 2 + 1] * {SIZE}, mode=0o600)
                if n == 0:
                    print("rewritten", flush=True)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert writer.stdout.readline() == "rewritten\n"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)

    content = path.read_bytes()
    assert len(content) == SIZE
    assert set(content) in ({ord("A")}, {ord("B")})
    assert mode_of(path) == 0o600
    # Whatever the kill left behind does not stop the next write.
    write_atomically(path, b"after", mode=PRIVATE_MODE)
    assert path.read_bytes() == b"after"
