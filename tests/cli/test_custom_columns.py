"""custom-columns: spec parsing, kubectl's relaxed paths, and the table it prints (checked against kubectl v1.32)."""

import pytest

from cli.custom_columns import Column, ColumnsError, columns_from_file, columns_from_spec, relaxed_path, render_columns

PODS = [
    {"metadata": {"name": "db-1", "labels": {"app": "db"}},
     "spec": {"containers": [{"name": "app", "image": "postgres:16"}]}},
    {"metadata": {"name": "web-1", "labels": {"app": "web", "tier": "front"}},
     "spec": {"containers": [{"name": "app", "image": "nginx:1.25",
                              "ports": [{"containerPort": 80, "protocol": "TCP"}]},
                             {"name": "side", "image": "busybox"}]}},
]


def test_cells_join_every_value_and_say_none_for_nothing():
    spec = ("NAME:.metadata.name,NODE:.spec.nodeName,CONT:.spec.containers[*].name,"
            "PORTS:.spec.containers[*].ports,LAB:.metadata.labels")
    assert render_columns(columns_from_spec(spec), PODS, no_headers=False) == (
        "NAME    NODE     CONT       PORTS                                  LAB\n"
        "db-1    <none>   app        <none>                                 map[app:db]\n"
        "web-1   <none>   app,side   [map[containerPort:80 protocol:TCP]]   map[app:web tier:front]\n")


def test_no_headers_leaves_out_the_first_line_and_an_empty_list_still_has_headers():
    columns = columns_from_spec("NAME:.metadata.name")
    assert render_columns(columns, PODS, no_headers=True) == "db-1\nweb-1\n"
    assert render_columns(columns, [], no_headers=False) == "NAME\n"


@pytest.mark.parametrize(("expression", "path"), [
    (".metadata.name", "{.metadata.name}"),
    ("metadata.name", "{.metadata.name}"),
    ("{.metadata.name}", "{.metadata.name}"),
    ("{metadata.name}", "{.metadata.name}"),
    ("", ""),
])
def test_relaxed_paths_all_mean_the_same(expression, path):
    assert relaxed_path(expression) == path


def test_an_empty_path_finds_nothing():
    assert render_columns(columns_from_spec("X:"), PODS[:1], no_headers=False) == "X\n<none>\n"


@pytest.mark.parametrize(("spec", "message"), [
    ("NAME", "unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>"),
    ("", "custom-columns format specified but no custom columns given"),
    ("X:{.a}{.b}", "unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or "
                   "'{.name1.name2}'"),
])
def test_a_bad_spec_is_refused_with_kubectls_words(spec, message):
    with pytest.raises(ColumnsError) as caught:
        columns_from_spec(spec)
    assert str(caught.value) == message


def test_a_path_that_fails_keeps_the_header_kubectl_printed_first():
    # kubectl parses the paths only when it prints, after the header
    with pytest.raises(ColumnsError) as caught:
        render_columns([Column("X", "{.spec.containers[5].name}")], PODS, no_headers=False)
    assert (str(caught.value), caught.value.output) == ("array index out of bounds: index 5, length 1", "X\n")


def test_a_columns_file_holds_headers_then_paths():
    assert columns_from_file("NAME  IMAGE\n.metadata.name {.spec.containers[*].image}\n") == \
        [Column("NAME", "{.metadata.name}"), Column("IMAGE", "{.spec.containers[*].image}")]
    with pytest.raises(ColumnsError, match=r"^number of headers \(2\) and field specifications \(1\) don't match$"):
        columns_from_file("A B\n.a\n")
