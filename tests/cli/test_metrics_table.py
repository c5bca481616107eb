"""kubectl top's arithmetic and layout, on NodeMetrics and PodMetrics JSON."""

from cli.metrics_table import render_nodes, render_pods


def node(name, cpu, memory):
    return {"metadata": {"name": name}, "usage": {"cpu": cpu, "memory": memory}}


def pod(name, *containers, namespace="default"):
    return {"metadata": {"name": name, "namespace": namespace},
            "containers": [{"name": c, "usage": {"cpu": cpu, "memory": memory}} for c, cpu, memory in containers]}


def cells(text):
    return [line.split() for line in text.splitlines()]


def test_cpu_rounds_up_to_millicores_and_memory_down_to_mebibytes():
    text = render_pods([pod("web", ("app", "1n", "1048575"))], containers=False, with_namespace=False,
                       no_headers=True, sort_by="", total=False)
    assert cells(text) == [["web", "1m", "0Mi"]]


def test_node_percentages_are_of_allocatable_and_truncated():
    allocatable = {"n1": {"cpu": "3", "memory": "3Gi"}}
    text = render_nodes([node("n1", "1999999999n", "2047Mi")], allocatable, no_headers=False, sort_by="")
    # 2000m of 3000m is 66.66%; 2047Mi of 3072Mi is 66.63%: both print 66%.
    assert cells(text)[1] == ["n1", "2000m", "66%", "2047Mi", "66%"]


def test_a_listed_node_without_metrics_is_unknown_and_an_unlisted_one_has_no_percentages():
    text = render_nodes([node("b", "5m", "1Mi"), node("a", "10m", "2Mi")], {"b": {"cpu": "1", "memory": "1Gi"},
                                                                            "c": {"cpu": "1"}},
                        no_headers=True, sort_by="")
    assert text.splitlines() == [
        "a     10m         2Mi         ",
        "b     5m          0%          1Mi         0%          ",
        "c     <unknown>   <unknown>   <unknown>   <unknown>   ",
    ]


def test_sorting_by_cpu_puts_the_busiest_first_and_keeps_ties_in_the_servers_order():
    metrics = [pod("a", ("c", "5m", "9Mi")), pod("b", ("c", "20m", "1Mi")), pod("c", ("c", "5m", "1Mi"))]
    text = render_pods(metrics, containers=False, with_namespace=False, no_headers=True, sort_by="cpu", total=False)
    assert [row[0] for row in cells(text)] == ["b", "a", "c"]


def test_the_sum_adds_exact_quantities_before_rounding():
    metrics = [pod("a", ("x", "500001n", "1Mi")), pod("b", ("y", "500000n", "1Mi"))]
    text = render_pods(metrics, containers=False, with_namespace=False, no_headers=False, sort_by="", total=True)
    assert text.splitlines()[-2:] == ["       ________     ________        ", "       2m           2Mi             "]


def test_without_headers_the_sum_footer_is_not_widened_for_namespace_and_container_columns():
    """kubectl counts the extra columns only while printing the header; its footer then sits further left."""
    metrics = [pod("a", ("x", "1m", "1Mi"))]
    with_header = render_pods(metrics, containers=True, with_namespace=True, no_headers=False, sort_by="",
                              total=True).splitlines()
    without = render_pods(metrics, containers=True, with_namespace=True, no_headers=True, sort_by="",
                          total=True).splitlines()
    assert with_header[-1].split() == without[-1].split() == ["1m", "1Mi"]
    assert len(with_header[-1]) - len(with_header[-1].lstrip()) > len(without[-1]) - len(without[-1].lstrip())


def test_nothing_to_show_prints_nothing():
    assert render_nodes([], {"a": {}}, no_headers=False, sort_by="") == ""
    assert render_pods([], containers=False, with_namespace=False, no_headers=False, sort_by="", total=True) == ""
