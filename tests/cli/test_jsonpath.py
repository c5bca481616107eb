"""The jsonpath engine against the examples of https://kubernetes.io/docs/reference/kubectl/jsonpath/.

The data is the page's own. The expected output is what kubectl v1.32 prints,
which is not always what the page shows: kubectl writes maps as JSON
(`{"cpu":"4"}`) where the page writes `map[cpu:4]`, and separates results with
spaces where the page shows a Go slice.
"""

import pytest

from cli.jsonpath import JSONPathError, JSONPathParseError, execute, parse

DOCS_DATA = {
    "kind": "List",
    "items": [
        {"kind": "None",
         "metadata": {"name": "127.0.0.1", "labels": {"kubernetes.io/hostname": "127.0.0.1"}},
         "status": {"capacity": {"cpu": "4"}, "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.1"}]}},
        {"kind": "None",
         "metadata": {"name": "127.0.0.2"},
         "status": {"capacity": {"cpu": "8"}, "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.2"},
                                                           {"type": "another", "address": "127.0.0.3"}]}},
    ],
    "users": [
        {"name": "myself", "user": {}},
        {"name": "e2e", "user": {"username": "admin", "password": "secret"}},
    ],
}


def render(template: str, data=DOCS_DATA, **options) -> str:
    return execute(parse(template), data, **options)


DOCS_EXAMPLES = [
    # the table of functions on the docs page, in its order
    ("kind is {.kind}", "kind is List"),
    ("{.kind}", "List"),
    ("{['kind']}", "List"),
    ("{..name}", "127.0.0.1 127.0.0.2 myself e2e"),
    ("{.items[*].metadata.name}", "127.0.0.1 127.0.0.2"),
    ("{.users[0].name}", "myself"),
    ("{.items[*]['metadata.name', 'status.capacity']}", '127.0.0.1 127.0.0.2 {"cpu":"4"} {"cpu":"8"}'),
    ('{.users[?(@.name=="e2e")].user.password}', "secret"),
    ("{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}",
     '[127.0.0.1, {"cpu":"4"}] [127.0.0.2, {"cpu":"8"}] '),
    ("{range .items[*]}{.metadata.name}{'\\t'}{end}", "127.0.0.1\t127.0.0.2\t"),
    ("{.items[0].metadata.labels.kubernetes\\.io/hostname}", "127.0.0.1"),
    # and the ways the page's kubectl commands use them
    ('{.items[*].status.addresses[?(@.type=="LegacyHostIP")].address}', "127.0.0.1 127.0.0.2"),
    ("{.users[-1:].name}", "e2e"),
    ("{.users[0:1].name}", "myself"),
    ("{.items[*].status.addresses[*].address}", "127.0.0.1 127.0.0.2 127.0.0.3"),
    ("{.items[1].status.addresses[0:2:1].type}", "LegacyHostIP another"),
    ("{.users[?(@.user.password)].name}", "e2e"),
    ('{range .users[*]}{.name}{"\\n"}{end}', "myself\ne2e\n"),
    ("{.items[0].status.capacity}", '{"cpu":"4"}'),
    ("{.users[0].user.password}", ""),
    ("{.users}", '[{"name":"myself","user":{}},{"name":"e2e","user":{"password":"secret","username":"admin"}}]'),
    ("{['items'][0]['metadata']['name']}", "127.0.0.1"),
    ('{.items[*].status.addresses[?(@.address>"127.0.0.2")].type}', "another"),
    ("{.items[?(@.metadata.labels)].metadata.name}", "127.0.0.1"),
    ("{.items[0].status.addresses[0]}", '{"address":"127.0.0.1","type":"LegacyHostIP"}'),
    ("{.nope}", ""),
    ("{.items[0].metadata.name.x}", ""),
]


@pytest.mark.parametrize(("template", "expected"), DOCS_EXAMPLES)
def test_documentation_examples(template, expected):
    assert render(template) == expected


POD_LIST = {"kind": "List", "items": [
    {"metadata": {"name": "web-1"},
     "spec": {"priority": 10, "containers": [{"name": "app", "ports": [{"containerPort": 80}]}, {"name": "log"}]},
     "status": {"conditions": [{"type": "Ready", "status": "True"}], "startTime": None}},
    {"metadata": {"name": "db-1"}, "spec": {"priority": 0, "containers": [{"name": "db", "ratio": 0.5}]},
     "status": {"conditions": [{"type": "Ready", "status": "False"}]}},
]}

SEMANTICS = [
    ("{.items[*].spec.containers[*].name}", "app log db"),
    ("{.items[?(@.spec.priority>5)].metadata.name} {.items[?(@.spec.priority<=0)].metadata.name}", "web-1 db-1"),
    ('{range .items[*]}{.metadata.name}:{range .status.conditions[*]}{.type}={.status};{end}{"\\n"}{end}',
     "web-1:Ready=True;\ndb-1:Ready=False;\n"),
    # numbers print like Go's %v, a null as null (and as <no value> when a range lands on it)
    ("{.items[1].spec.containers[0].ratio} {.items[0].status.startTime} {.items[0].spec.priority}", "0.5 null 10"),
    ("{range .items[0].status.*}{@}|{end}", '[{"status":"True","type":"Ready"}]|<no value>|'),
    ("{.items[-1].metadata.name}{.items[0,1].metadata.name}", "db-1web-1 db-1"),
    ("{.items[0].spec.containers[*].ports}", '[{"containerPort":80}]'),
    ("pods: {.items[*].metadata.name}!", "pods: web-1 db-1!"),
    ("{@.kind} {$.kind}", "List List"),
    ("{.}", ""),
]


@pytest.mark.parametrize(("template", "expected"), SEMANTICS)
def test_kubectl_semantics(template, expected):
    assert render(template, POD_LIST) == expected


def test_as_json_prints_each_expression_as_an_indented_array():
    assert render("{.items[*].metadata.name}", POD_LIST, as_json=True) == '[\n    "web-1",\n    "db-1"\n]\n'


RUN_ERRORS = [
    ("{.items[5]}", "array index out of bounds: index 5, length 2"),
    ("{.items[0:3]}", "array index out of bounds: index 2, length 2"),
    ("{.items[0].metadata.name[0]}", "string is not array or slice"),
    ("{.items[0][0]}", "map[string]interface {} is not array or slice"),
    ("{.items[?(@.spec.priority>1.5)].metadata.name}", "incompatible types for comparison"),
    ("{end}", "not in range, nothing to end"),
    ("{nope}", "unrecognized identifier nope"),
]


@pytest.mark.parametrize(("template", "message"), RUN_ERRORS)
def test_run_errors_read_as_kubectl_reports_them(template, message):
    with pytest.raises(JSONPathError) as caught:
        render(template, POD_LIST)
    assert str(caught.value) == message


def test_a_missing_key_is_an_error_when_missing_keys_are_not_allowed():
    assert render("{.nope}", POD_LIST) == ""
    with pytest.raises(JSONPathError, match="^nope is not found$"):
        render("{.nope}", POD_LIST, allow_missing_keys=False)


PARSE_ERRORS = [
    ("{.items[0].foo", "unclosed action"),
    ("{.items[}", "unterminated array"),
    ("{.items[x]}", "invalid array index x"),
    ("{.items[?(@.x]}", "unterminated filter"),
    ("{#}", "unrecognized character in action: U+0023 '#'"),
    ("{'open}", "unterminated quoted string"),
    ("{....name}", "invalid multiple recursive descent"),
]


@pytest.mark.parametrize(("template", "message"), PARSE_ERRORS)
def test_parse_errors_read_as_kubectl_reports_them(template, message):
    with pytest.raises(JSONPathParseError) as caught:
        parse(template)
    assert str(caught.value) == message
