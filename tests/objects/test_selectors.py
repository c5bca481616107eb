"""Label selectors parse, match, print and fail the way kube-apiserver's do."""

from __future__ import annotations

import pytest

from objects.selectors import (
    EVERYTHING,
    NOTHING,
    format_label_selector,
    format_labels,
    parse_label_selector,
    selector_from_label_selector,
    validate_label_key,
    validate_label_value,
)

NAME_PART_REGEX = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_REGEX = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("", ""),
        ("app=web", "app=web"),
        ("app==web", "app==web"),
        ("app!=web", "app!=web"),
        ("  app = web ,  tier  in ( b , a )  ", "app=web,tier in (a,b)"),
        ("tier notin (b,a)", "tier notin (a,b)"),
        ("canary", "canary"),
        ("!canary", "!canary"),
        ("x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()"),
        ("app=", "app="),
        ("zeta=1,alpha=2", "alpha=2,zeta=1"),
        ("in in (in),notin notin (notin)", "in in (in),notin notin (notin)"),
        ("example.com/role=db", "example.com/role=db"),
        ("replicas>2,replicas<9", "replicas>2,replicas<9"),
    ],
)
def test_a_selector_prints_in_kubernetes_canonical_form(text: str, canonical: str) -> None:
    assert str(parse_label_selector(text)) == canonical


@pytest.mark.parametrize(
    ("text", "labels", "selected"),
    [
        ("", {}, True),
        ("", {"app": "web"}, True),
        ("app=web", {"app": "web"}, True),
        ("app=web", {"app": "db"}, False),
        ("app=web", {}, False),
        ("app==web", {"app": "web"}, True),
        ("app!=web", {"app": "db"}, True),
        ("app!=web", {}, True),
        ("app!=web", {"app": "web"}, False),
        ("tier in (a,b)", {"tier": "b"}, True),
        ("tier in (a,b)", {"tier": "c"}, False),
        ("tier in (a,b)", {}, False),
        ("tier notin (a,b)", {"tier": "c"}, True),
        ("tier notin (a,b)", {}, True),
        ("tier notin (a,b)", {"tier": "a"}, False),
        ("canary", {"canary": ""}, True),
        ("canary", {}, False),
        ("!canary", {}, True),
        ("!canary", {"canary": "yes"}, False),
        ("app=", {"app": ""}, True),
        ("app=", {}, False),
        ("tier in ()", {"tier": ""}, True),
        ("app=web,tier in (a,b),!canary", {"app": "web", "tier": "a"}, True),
        ("app=web,tier in (a,b),!canary", {"app": "web", "tier": "a", "canary": "1"}, False),
        ("replicas>2", {"replicas": "3"}, True),
        ("replicas>2", {"replicas": "2"}, False),
        ("replicas>2", {"replicas": "three"}, False),
        ("replicas<2", {"replicas": "-1"}, True),
    ],
)
def test_a_selector_matches_labels_as_kubernetes_does(text: str, labels: dict[str, str], selected: bool) -> None:
    assert parse_label_selector(text).matches(labels) is selected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
        ("a=b c", "found 'c', expected: ',' or 'end of string'"),
        ("a,", "found '', expected: identifier after ','"),
        (",a", "found ',', expected: !, identifier, or 'end of string'"),
        ("!a=b", "found '=', expected: ',' or 'end of string'"),
        ("a in x", "unable to parse requirement: found 'x' expected: '('"),
        ("a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'"),
        ("a=(b)", "unable to parse requirement: found '(', expected: identifier"),
        ("!", "unable to parse requirement: found '', expected: identifier"),
        (
            "app:monolith",
            'unable to parse requirement: <nil>: Invalid value: "app:monolith": name part ' + NAME_PART_REGEX,
        ),
        (
            "a/b/c=d",
            'unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name '
            + NAME_PART_REGEX
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
        ),
        ("a=-b", 'unable to parse requirement: values[0][a]: Invalid value: "-b": ' + LABEL_VALUE_REGEX),
        (
            "a in (-x,-y)",
            'unable to parse requirement: [values[0][a]: Invalid value: "-x": ' + LABEL_VALUE_REGEX
            + ', values[1][a]: Invalid value: "-y": ' + LABEL_VALUE_REGEX + "]",
        ),
        (
            "replicas>two",
            'unable to parse requirement: values[0]: Invalid value: "two": '
            "for 'Gt', 'Lt' operators, the value must be an integer",
        ),
    ],
)
def test_an_invalid_selector_fails_with_the_apiserver_message(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_label_selector(text)
    assert str(caught.value) == message


def test_a_nil_label_selector_selects_nothing_and_an_empty_one_everything() -> None:
    assert selector_from_label_selector(None) == NOTHING
    assert not NOTHING.matches({"app": "web"})
    assert selector_from_label_selector({}) == EVERYTHING
    assert EVERYTHING.matches({})


@pytest.mark.parametrize(
    ("selector", "labels", "selected"),
    [
        ({"matchLabels": {"app": "web"}}, {"app": "web", "pod-template-hash": "x"}, True),
        ({"matchLabels": {"app": "web"}}, {"app": "db"}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]}, {"tier": "a"}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["a"]}]}, {"tier": "a"}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, {"tier": ""}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, {"tier": ""}, False),
    ],
)
def test_a_label_selector_object_matches_like_its_string_form(
    selector: dict, labels: dict[str, str], selected: bool
) -> None:
    expr = selector_from_label_selector(selector)
    assert expr.matches(labels) is selected
    assert parse_label_selector(str(expr)).matches(labels) is selected


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        (
            {"matchExpressions": [{"key": "tier", "operator": "In", "values": []}]},
            "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty",
        ),
        (
            {"matchExpressions": [{"key": "tier", "operator": "Exists", "values": ["a"]}]},
            'values: Invalid value: []string{"a"}: values set must be empty for exists and does not exist',
        ),
        ({"matchExpressions": [{"key": "tier", "operator": "Gt", "values": ["1"]}]},
         '"Gt" is not a valid label selector operator'),
        ({"matchLabels": {"bad key": "x"}}, 'key: Invalid value: "bad key": name part ' + NAME_PART_REGEX),
    ],
)
def test_an_invalid_label_selector_object_is_rejected(selector: dict, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        selector_from_label_selector(selector)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("selector", "shown"),
    [
        ({"matchLabels": {"tier": "web", "app": "shop"}}, "app=shop,tier=web"),
        (
            {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]}]},
            "app=web,tier in (a,b)",
        ),
        ({"matchExpressions": [{"key": "canary", "operator": "DoesNotExist"}]}, "!canary"),
        ({}, "<none>"),
        (None, "<none>"),
        ({"matchExpressions": [{"key": "x", "operator": "Bogus"}]}, "<error>"),
    ],
)
def test_format_label_selector_prints_what_kubectl_shows(selector: dict | None, shown: str) -> None:
    assert format_label_selector(selector) == shown


def test_format_labels_sorts_pairs_and_says_none_when_empty() -> None:
    assert format_labels({"zone": "b", "disk": "ssd"}) == "disk=ssd,zone=b"
    assert format_labels({}) == "<none>"
    assert format_labels(None) == "<none>"


@pytest.mark.parametrize(
    "key",
    ["app", "app.kubernetes.io/name", "node-role.kubernetes.io/control-plane", "A_b-C.d", "x" * 63,
     "a" * 253 + "/b"],
)
def test_valid_label_keys_have_no_errors(key: str) -> None:
    assert validate_label_key(key) == []


@pytest.mark.parametrize(
    ("key", "errors"),
    [
        ("", ["name part must be non-empty", "name part " + NAME_PART_REGEX]),
        ("/name", ["prefix part must be non-empty"]),
        ("x" * 64, ["name part must be no more than 63 characters"]),
        ("-app", ["name part " + NAME_PART_REGEX]),
        (
            "Example.com/app",
            ["prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
             "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
             "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"],
        ),
    ],
)
def test_invalid_label_keys_report_each_kubernetes_error(key: str, errors: list[str]) -> None:
    assert validate_label_key(key) == errors


@pytest.mark.parametrize(("value", "errors"), [
    ("", []),
    ("web-1", []),
    ("a.b_c", []),
    ("v" * 63, []),
    ("v" * 64, ["must be no more than 63 characters"]),
    ("-web", [LABEL_VALUE_REGEX]),
    ("a/b", [LABEL_VALUE_REGEX]),
])
def test_label_values_are_validated_like_kubernetes(value: str, errors: list[str]) -> None:
    assert validate_label_value(value) == errors
