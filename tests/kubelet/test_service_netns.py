"""Guards of kubelet.services.netns: the host's own namespace is never entered, nor a reused PID's, nor a
process of another container; a namespace out of reach says which capability is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubelet.services import netns
from tests.support.cluster import wait_for

REPO = Path(__file__).resolve().parents[2]


def test_the_kubelets_own_network_namespace_is_refused() -> None:
    """A pause process sharing the host's network must not get Service rules in the host's firewall."""
    with pytest.raises(netns.NetnsError, match="refusing"):
        netns.open_namespace(os.getpid())


def test_a_namespace_whose_process_is_now_another_one_counts_as_gone() -> None:
    own = os.stat(netns.netns_path(os.getpid())).st_ino
    with pytest.raises(netns.NetnsGone):
        netns.check(netns.PodNamespace(os.getpid(), own + 1))
    with pytest.raises(netns.NetnsGone):
        netns.open_namespace(0)


@pytest.fixture
def process_in_own_netns() -> Iterator[int]:
    """A process with a network namespace of its own (unshare execs sleep: same PID)."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare")
    process = subprocess.Popen(["unshare", "--net", "sleep", "60"], stderr=subprocess.DEVNULL)
    try:
        own = os.stat("/proc/self/ns/net").st_ino
        wait_for(lambda: process.poll() is not None or _inode_or_none(process.pid) not in (None, own),
                 message="unshare in a namespace of its own")
        if process.poll() is not None:
            pytest.skip("unshare --net is not permitted here")
        yield process.pid
    finally:
        process.kill()
        process.wait()


def _inode_or_none(pid: int) -> int | None:
    try:
        return os.stat(netns.netns_path(pid)).st_ino
    except OSError:
        return None


def test_a_pid_whose_cgroup_is_not_the_sandboxs_is_not_entered(process_in_own_netns: int) -> None:
    """The PID came from an inspect; by now it may be another container's process."""
    with pytest.raises(netns.NetnsGone, match="no longer container"):
        netns.open_namespace(process_in_own_netns, container_id="0123456789abcdef" * 4)


@pytest.mark.skipif(shutil.which("iptables-nft-restore") is None, reason="no iptables-nft")
def test_commands_run_in_the_namespace_file_that_was_checked(process_in_own_netns: int) -> None:
    """nsenter gets the checked namespace file itself, and writes land there, not in ours."""
    namespace = netns.open_namespace(process_in_own_netns)
    netns.restore(namespace, netns.NFT, "*nat\n:TK-SVC-NETNSTEST - [0:0]\nCOMMIT\n")
    assert ":TK-SVC-NETNSTEST" in netns.save(namespace, netns.NFT)
    own = subprocess.run(["iptables-nft-save", "-t", "nat"], capture_output=True, text=True)
    assert "TK-SVC-NETNSTEST" not in own.stdout


def test_a_namespace_out_of_reach_names_the_missing_capability(process_in_own_netns: int) -> None:
    """Another user's /proc/<pid>/ns needs CAP_SYS_PTRACE (registry.k8s.io/pause runs as 65535): a
    NetnsError saying so, which the pod's sync shows as FailedCreatePodSandBox, not a raw PermissionError."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to become another user")
    probe = ("import sys; from kubelet.services import netns\n"
             "try:\n"
             f"    netns.open_namespace({process_in_own_netns})\n"
             "except netns.NetnsError as error:\n"
             "    print(error)\n")
    done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=30)
    assert "CAP_SYS_PTRACE" in done.stdout, done.stderr
