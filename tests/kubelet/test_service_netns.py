"""Guards of kubelet.services.netns: the host's own namespace is never entered, nor a reused PID's."""

from __future__ import annotations

import os

import pytest

from kubelet.services import netns


def test_the_kubelets_own_network_namespace_is_refused() -> None:
    """A pause process sharing the host's network must not get Service rules in the host's firewall."""
    with pytest.raises(netns.NetnsError, match="own network namespace"):
        netns.open_namespace(os.getpid())


def test_a_namespace_whose_process_is_now_another_one_counts_as_gone() -> None:
    own = os.stat(netns.netns_path(os.getpid())).st_ino
    with pytest.raises(netns.NetnsGone):
        netns.check(netns.PodNamespace(os.getpid(), own + 1))
    with pytest.raises(netns.NetnsGone):
        netns.open_namespace(0)
