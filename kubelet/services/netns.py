"""Acting inside one pod's network namespace, found through its pause container's process.

    /proc/<pause pid>/ns/net ─┬─► nsenter --net=... iptables-{nft,legacy}-{save,restore}   (rules)
                              └─► setns() in a short-lived thread ─► socket() + bind()        (DNS sockets)
    /proc/<pause pid>/root/etc/resolv.conf  ◄── written                                      (pod DNS config)

The kubelet needs CAP_SYS_ADMIN (setns), CAP_NET_ADMIN (iptables), CAP_SYS_PTRACE
when the pause process runs as another user (registry.k8s.io/pause runs as 65535;
/proc/<pid>/ns and /proc/<pid>/root of another user are ptrace-guarded), and to
see the pause process (the host's PID namespace, when the kubelet runs in a container).

A PID is only a name, and names get reused. So a namespace is taken only from a
process whose cgroup names the sandbox's container, never when it is the
kubelet's own or PID 1's (the host's, for a kubelet in a container with pid:
host), and it is remembered by its inode. Every command then holds the
namespace open, checks the inode on that open file, and hands the file itself to
nsenter; a file under /proc/<pid>/root is opened first and the namespace checked
after, so a PID reused in between is noticed before anything is written.

A socket belongs to the namespace it was created in for its whole life, whatever
thread uses it later: Docker's embedded DNS (127.0.0.11) works the same way. An
open socket also keeps its namespace alive, so whoever holds one must close it
when the pod goes.

The iptables backend must be the one Docker's own rules in the pod use (its
DOCKER_OUTPUT chain for 127.0.0.11): the kernel runs both, but rules of the other
backend are invisible to its tools and ordering across the two is undefined.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from kubelet.services.rules import SERVICES_CHAIN, ours

NFT, LEGACY = "nft", "legacy"
COMMAND_TIMEOUT_SECONDS = 10.0
CLONE_NEWNET = 0x40000000
DOCKER_DNS_CHAIN = "DOCKER_OUTPUT"

T = TypeVar("T")


class NetnsError(Exception):
    """A command in the pod's namespace failed (its stderr is the message)."""


class NetnsGone(NetnsError):
    """The pause process is gone, and with it the namespace (the pod stopped or was removed)."""


class NetnsTimeout(NetnsError):
    """A command in the namespace did not finish in COMMAND_TIMEOUT_SECONDS."""


@dataclass(frozen=True)
class PodNamespace:
    """One pod's network namespace: the pause process, and the namespace's identity (its inode) when
    first seen. Every use checks the inode again, so a pause process that died and whose PID was
    reused (by anything, a host process included) is never entered."""

    pid: int
    inode: int

    @property
    def path(self) -> str:
        return netns_path(self.pid)


def netns_path(pid: int) -> str:
    return f"/proc/{pid}/ns/net"


def open_namespace(pid: int, *, container_id: str | None = None) -> PodNamespace:
    """The namespace of process `pid`, which must belong to container `container_id` when given (the
    PID came from an inspect that may be stale); never the kubelet's own nor PID 1's."""
    if pid <= 0:
        raise NetnsGone("no process")
    inode = _inode(pid)
    if inode in _refused_inodes():
        raise NetnsError(f"process {pid} shares the kubelet's own or the host's network namespace; "
                         f"refusing to write rules there")
    if container_id is not None:
        _check_owner(pid, container_id)
    return PodNamespace(pid, inode)


def check(ns: PodNamespace) -> None:
    """Raise NetnsGone unless `ns` still names the namespace it named when opened."""
    if _inode(ns.pid) != ns.inode:
        raise NetnsGone(f"process {ns.pid} is another process now")


def detect_backend(ns: PodNamespace) -> str:
    """The backend whose tables hold Docker's own rules in this namespace; nft when neither shows them
    (nft is what Debian's `iptables` is since bookworm)."""
    for backend in (NFT, LEGACY):
        if shutil.which(f"iptables-{backend}-save") and DOCKER_DNS_CHAIN in _save_or_empty(ns, backend):
            return backend
    return NFT if shutil.which("iptables-nft-restore") else LEGACY


def save(ns: PodNamespace, backend: str) -> str:
    """iptables-save of every table in the namespace."""
    return _run(ns, [f"iptables-{backend}-save"])


def restore(ns: PodNamespace, backend: str, text: str) -> None:
    """iptables-restore --noflush: one transaction per table; chains it does not name stay as they are."""
    _run(ns, [f"iptables-{backend}-restore", "--noflush"], text)


def our_chains(saved: str) -> tuple[dict[str, set[str]], set[str]]:
    """From iptables-save output: our chains in each table, and the tables whose OUTPUT jumps to ours."""
    chains: dict[str, set[str]] = {}
    table = ""
    jumps: set[str] = set()
    for line in saved.splitlines():
        if line.startswith("*"):
            table = line[1:].strip()
        elif line.startswith(":") and ours(name := line[1:].split()[0]):
            chains.setdefault(table, set()).add(name)
        elif re.fullmatch(rf"-A OUTPUT -j {SERVICES_CHAIN}", line.strip()):
            jumps.add(table)
    return chains, jumps


def write_resolv_conf(ns: PodNamespace, text: str) -> None:
    """Overwrite the pod's /etc/resolv.conf in place. Docker bind-mounts one file per sandbox there, and
    containers joining the sandbox's network (network_mode container:<id>) share that same file."""
    path = f"/proc/{ns.pid}/root/etc/resolv.conf"
    try:
        with open(path, "r+") as resolv_conf:  # not "w": nothing is truncated before the check
            check(ns)
            resolv_conf.write(text)
            resolv_conf.truncate()
    except FileNotFoundError as error:
        raise NetnsGone(f"process {ns.pid} is gone") from error
    except PermissionError as error:
        raise NetnsError(_permission_hint(path, error)) from error
    except OSError as error:
        raise NetnsError(f"writing {path}: {error}") from error


def read_resolv_conf(ns: PodNamespace) -> str:
    path = f"/proc/{ns.pid}/root/etc/resolv.conf"
    try:
        with open(path) as resolv_conf:
            text = resolv_conf.read()
    except FileNotFoundError:
        text = ""
    except PermissionError as error:
        raise NetnsError(_permission_hint(path, error)) from error
    except OSError as error:
        raise NetnsError(f"reading {path}: {error}") from error
    check(ns)  # after reading: a PID reused meanwhile must not lend us its file
    return text


def open_dns_sockets(ns: PodNamespace) -> tuple[socket.socket, socket.socket]:
    """A UDP socket and a listening TCP socket on 127.0.0.1:<one ephemeral port>, inside the namespace,
    both non-blocking."""
    def make() -> tuple[socket.socket, socket.socket]:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            udp.bind(("127.0.0.1", 0))
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            tcp.bind(("127.0.0.1", udp.getsockname()[1]))
            tcp.listen(64)
        except OSError:
            udp.close()
            tcp.close()
            raise
        udp.setblocking(False)
        tcp.setblocking(False)
        return udp, tcp
    try:
        return in_netns(ns, make)
    except OSError as error:  # a namespace without a loopback to bind, or out of ports
        raise NetnsError(f"DNS sockets in {ns.path}: {error}") from error


def in_netns(ns: PodNamespace, action: Callable[[], T]) -> T:
    """Run `action` in a new thread that has entered the namespace first; the thread ends with it,
    so no other work of the kubelet ever runs in the pod's namespace."""
    result: list[T] = []
    failure: list[BaseException] = []

    def enter_and_act() -> None:
        try:
            _setns(ns)
            result.append(action())
        except BaseException as error:  # handed to the caller's thread
            failure.append(error)

    thread = threading.Thread(target=enter_and_act, name=f"netns-{ns.pid}", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def _setns(ns: PodNamespace) -> None:
    fd = _open_checked(ns)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.setns(fd, CLONE_NEWNET) != 0:
            errno = ctypes.get_errno()
            raise NetnsError(f"setns into {ns.path}: {os.strerror(errno)}")
    finally:
        os.close(fd)


def _open_checked(ns: PodNamespace) -> int:
    """An open file of the namespace, confirmed to be the one `ns` names (whatever the PID is now)."""
    try:
        fd = os.open(ns.path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError as error:
        raise NetnsGone(f"process {ns.pid} is gone") from error
    except PermissionError as error:
        raise NetnsError(_permission_hint(ns.path, error)) from error
    if os.fstat(fd).st_ino != ns.inode:
        os.close(fd)
        raise NetnsGone(f"process {ns.pid} is another process now")
    return fd


def _inode(pid: int) -> int:
    try:
        return os.stat(netns_path(pid)).st_ino
    except FileNotFoundError as error:
        raise NetnsGone(f"process {pid} is gone") from error
    except PermissionError as error:
        raise NetnsError(_permission_hint(netns_path(pid), error)) from error


def _refused_inodes() -> set[int]:
    """The kubelet's own network namespace and PID 1's: on a host they are the host's, and in a
    container with pid: host PID 1's is the host's while our own is the container's."""
    refused = {os.stat("/proc/self/ns/net").st_ino}
    try:
        refused.add(os.stat(netns_path(1)).st_ino)
    except OSError:  # not visible to us: then nsenter cannot enter it either
        pass
    return refused


def _check_owner(pid: int, container_id: str) -> None:
    """Docker puts a container's processes in cgroups named by its full id (…/docker/<id>,
    …/docker-<id>.scope), in every cgroup version and driver."""
    try:
        with open(f"/proc/{pid}/cgroup") as cgroup:
            owned = container_id in cgroup.read()
    except FileNotFoundError as error:
        raise NetnsGone(f"process {pid} is gone") from error
    except OSError as error:
        raise NetnsError(f"reading /proc/{pid}/cgroup: {error}") from error
    if not owned:
        raise NetnsGone(f"process {pid} is no longer container {container_id[:12]}'s")


def _permission_hint(path: str, error: OSError) -> str:
    return (f"{path}: {error.strerror}; the kubelet needs CAP_SYS_PTRACE to reach a pause process of another "
            f"user (registry.k8s.io/pause runs as 65535), besides CAP_SYS_ADMIN and CAP_NET_ADMIN")


def _save_or_empty(ns: PodNamespace, backend: str) -> str:
    try:
        return save(ns, backend)
    except NetnsGone:
        raise
    except NetnsError:
        return ""


def _run(ns: PodNamespace, command: list[str], stdin: str | None = None) -> str:
    """Run `command` in the namespace, handing nsenter the namespace file we checked (not the PID's path,
    which could name another process by the time nsenter opens it)."""
    fd = _open_checked(ns)
    try:
        done = subprocess.run(["nsenter", f"--net=/proc/self/fd/{fd}", *command], input=stdin, capture_output=True,
                              text=True, timeout=COMMAND_TIMEOUT_SECONDS, pass_fds=(fd,))
    except subprocess.TimeoutExpired as error:
        raise NetnsTimeout(f"{command[0]} in {ns.path}: {error}") from error
    except OSError as error:
        raise NetnsError(f"{command[0]}: {error}") from error
    finally:
        os.close(fd)
    if done.returncode != 0:
        check(ns)
        raise NetnsError(f"{command[0]} in {ns.path}: {done.stderr.strip() or done.returncode}")
    return done.stdout
