"""The kubelet's command line: what compose relies on to start a kubelet in a container."""

from __future__ import annotations

import click
import pytest

from kubelet.main import internal_ip, main


def test_an_address_is_kept_as_given():
    assert internal_ip("10.1.2.3") == "10.1.2.3"


def test_a_hostname_becomes_the_address_it_resolves_to():
    assert internal_ip("localhost") == "127.0.0.1"


def test_an_unresolvable_hostname_is_a_bad_address():
    with pytest.raises(click.BadParameter, match="cannot resolve 'no-such-host.invalid'"):
        internal_ip("no-such-host.invalid")


def test_flags_can_come_from_the_environment(tmp_path):
    """docker-compose.yml sets what its kubelets share as TINYKUBE_KUBELET_<FLAG>."""
    kubeconfig = tmp_path / "node.kubeconfig"
    kubeconfig.write_text("{}")
    environment = {"TINYKUBE_KUBELET_SERVER": "https://master:6443", "TINYKUBE_KUBELET_KUBECONFIG": str(kubeconfig),
                   "TINYKUBE_KUBELET_TIME_SCALE": "0.1"}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in environment.items():
            patch.setenv(key, value)
        context = main.make_context("tinykube-kubelet", ["--node-name", "node-1"])
    assert (context.params["server"], context.params["kubeconfig"], context.params["time_scale"]) == \
        ("https://master:6443", kubeconfig, 0.1)
