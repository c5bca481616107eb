"""A pod's resolv.conf from dnsPolicy and dnsConfig, as the kubelet's GetPodDNS builds it."""

from __future__ import annotations

from kubelet.services.resolv import MARKER, ResolvConf, parse, pod_resolv_conf
from objects.pod import Pod

HOST = parse("nameserver 127.0.0.11\nsearch corp.example\noptions ndots:0\n")


def pod(**spec: object) -> Pod:
    return Pod.model_validate({"metadata": {"name": "p", "namespace": "shop"},
                               "spec": {"containers": [{"name": "c"}], **spec}})


def conf(p: Pod, cluster_dns: tuple[str, ...] = ("10.96.0.10",)) -> ResolvConf:
    return pod_resolv_conf(p, cluster_dns=cluster_dns, cluster_domain="cluster.local", host=HOST)


def test_cluster_first_is_the_default_with_cluster_searches_then_the_nodes() -> None:
    got = conf(pod())
    assert got == ResolvConf(("10.96.0.10",), ("shop.svc.cluster.local", "svc.cluster.local", "cluster.local",
                                               "corp.example"), ("ndots:5",))
    text = got.render(policy="ClusterFirst")
    assert text.startswith(MARKER)
    assert "nameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local corp.example\n" \
           "options ndots:5\n" in text


def test_default_policy_is_the_nodes_and_cluster_first_without_cluster_dns_falls_back_to_it() -> None:
    assert conf(pod(dnsPolicy="Default")) == HOST
    assert conf(pod(), cluster_dns=()) == HOST


def test_none_policy_takes_only_dns_config_and_options_merge_by_name() -> None:
    got = conf(pod(dnsPolicy="None", dnsConfig={"nameservers": ["1.1.1.1"], "searches": ["a.example"],
                                                "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}]}))
    assert got == ResolvConf(("1.1.1.1",), ("a.example",), ("ndots:2", "edns0"))
    merged = conf(pod(dnsConfig={"nameservers": ["10.96.0.10", "8.8.8.8"], "options": [{"name": "ndots", "value": "1"}]}))
    assert merged.nameservers == ("10.96.0.10", "8.8.8.8")
    assert merged.options == ("ndots:1",)


def test_parse_keeps_the_last_search_line() -> None:
    assert parse("domain a\nsearch b c # comment\nnameserver 1.2.3.4\n") == ResolvConf(("1.2.3.4",), ("b", "c"), ())
