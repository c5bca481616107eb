"""Label selectors and label validation, with Kubernetes' grammar and Kubernetes' error messages.

Three ways in, one expression type out:

- `parse_label_selector("app=web,tier in (a,b),!canary")`: the string form of
  `?labelSelector=` and `kubectl get -l`.
- `selector_from_label_selector({"matchLabels": ..., "matchExpressions": ...})`:
  the metav1.LabelSelector a Deployment, ReplicaSet or DaemonSet carries.
- `format_label_selector(obj)`: that same JSON as kubectl prints it.

A `LabelSelectorExpr` is an AND of `Requirement`s, sorted by key as Kubernetes
sorts them, so `str()` of an expression is the canonical string the apiserver
would print. Errors are `ValueError`s whose text is exactly what kube-apiserver
1.32 says, because clients show that text to people.

Everything here is pure: no I/O, no pydantic.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any


# --- label key and value validation (apimachinery util/validation) ---------------------------

_QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QUALIFIED_NAME_RE = re.compile(_QUALIFIED_NAME_FMT)
_QUALIFIED_NAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_QUALIFIED_NAME_MAX = 63

_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_RE = re.compile(_DNS1123_SUBDOMAIN_FMT)
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_MAX = 253

_LABEL_VALUE_FMT = "(" + _QUALIFIED_NAME_FMT + ")?"
_LABEL_VALUE_RE = re.compile(_LABEL_VALUE_FMT)
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, "
    "'-', '_' or '.', and must start and end with an alphanumeric character"
)
_LABEL_VALUE_MAX = 63


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    # The doubled space in "'MyName',  or" is Kubernetes' own; clients compare these strings.
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    listed = " or ".join(f"'{example}', " for example in examples)
    return f"{msg} (e.g. {listed}regex used for validation is '{fmt}')"


def max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


def is_dns1123_subdomain(value: str) -> list[str]:
    """Why `value` is not a lowercase RFC 1123 subdomain, in the apiserver's words; empty when it is."""
    errors = []
    if len(value) > _DNS1123_SUBDOMAIN_MAX:
        errors.append(max_len_error(_DNS1123_SUBDOMAIN_MAX))
    if not _DNS1123_SUBDOMAIN_RE.fullmatch(value):
        errors.append(regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errors


def validate_label_key(key: str) -> list[str]:
    """Why `key` is not a valid label key (`[prefix/]name`); empty when it is."""
    parts = key.split("/")
    errors: list[str] = []
    if len(parts) > 2:
        return [
            "a qualified name "
            + regex_error(_QUALIFIED_NAME_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors.extend("prefix part " + msg for msg in is_dns1123_subdomain(prefix))
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > _QUALIFIED_NAME_MAX:
        errors.append("name part " + max_len_error(_QUALIFIED_NAME_MAX))
    if not _QUALIFIED_NAME_RE.fullmatch(name):
        errors.append(
            "name part "
            + regex_error(_QUALIFIED_NAME_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
        )
    return errors


def validate_label_value(value: str) -> list[str]:
    """Why `value` is not a valid label value; empty when it is ("" is valid)."""
    errors = []
    if len(value) > _LABEL_VALUE_MAX:
        errors.append(max_len_error(_LABEL_VALUE_MAX))
    if not _LABEL_VALUE_RE.fullmatch(value):
        errors.append(regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errors


# --- Go-style error text --------------------------------------------------------------------


def _go_quote(text: str) -> str:
    """Close enough to Go's %q for label keys and values."""
    return json.dumps(text, ensure_ascii=False)


def _go_slice(values: Iterable[str]) -> str:
    """Go's %#v of a []string, as field.Invalid prints a bad value list."""
    return "[]string{" + ", ".join(_go_quote(v) for v in values) + "}"


def _invalid(path: str, bad_value: str, detail: str) -> str:
    """field.Invalid(path, value, detail).Error(); a nil path prints as `<nil>`."""
    return f"{path}: Invalid value: {bad_value}: {detail}"


def _aggregate(messages: list[str]) -> str:
    """utilerrors.NewAggregate(...).Error(): one message bare, several deduplicated in brackets."""
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


# --- the expression -------------------------------------------------------------------------


class Operator(StrEnum):
    """selection.Operator; the value is how Kubernetes spells it in messages."""

    IN = "in"
    NOT_IN = "notin"
    EQUALS = "="
    DOUBLE_EQUALS = "=="
    NOT_EQUALS = "!="
    EXISTS = "exists"
    DOES_NOT_EXIST = "!"
    GREATER_THAN = "gt"
    LESS_THAN = "lt"


_SET_OPERATORS = (Operator.IN, Operator.NOT_IN)
_EXACT_OPERATORS = (Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.NOT_EQUALS)
_UNARY_OPERATORS = (Operator.EXISTS, Operator.DOES_NOT_EXIST)
_ORDER_OPERATORS = (Operator.GREATER_THAN, Operator.LESS_THAN)
_BINARY_OPERATOR_NAMES = "in, notin, =, ==, !=, gt, lt"
_INT64 = re.compile(r"[+-]?[0-9]+")


def _parse_int64(text: str) -> int | None:
    if not _INT64.fullmatch(text):
        return None
    number = int(text)
    return number if -(2**63) <= number < 2**63 else None


@dataclass(frozen=True)
class Requirement:
    """One `key <op> values` term of a selector."""

    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key, "")
        match self.operator:
            case Operator.IN | Operator.EQUALS | Operator.DOUBLE_EQUALS:
                return present and value in self.values
            case Operator.NOT_IN | Operator.NOT_EQUALS:
                return not present or value not in self.values
            case Operator.EXISTS:
                return present
            case Operator.DOES_NOT_EXIST:
                return not present
            case Operator.GREATER_THAN | Operator.LESS_THAN:
                have, want = _parse_int64(value), _parse_int64(self.values[0])
                if not present or have is None or want is None:
                    return False
                return have > want if self.operator is Operator.GREATER_THAN else have < want
        return False

    def __str__(self) -> str:
        if self.operator is Operator.EXISTS:
            return self.key
        if self.operator is Operator.DOES_NOT_EXIST:
            return "!" + self.key
        values = ",".join(sorted(self.values)) if len(self.values) > 1 else self.values[0]
        match self.operator:
            case Operator.IN | Operator.NOT_IN:
                return f"{self.key} {self.operator.value} ({values})"
            case Operator.GREATER_THAN:
                return f"{self.key}>{values}"
            case Operator.LESS_THAN:
                return f"{self.key}<{values}"
        return f"{self.key}{self.operator.value}{values}"


def _value_count_error(operator: Operator, values: tuple[str, ...]) -> str | None:
    if operator in _SET_OPERATORS and not values:
        return "for 'in', 'notin' operators, values set can't be empty"
    if operator in _EXACT_OPERATORS and len(values) != 1:
        return "exact-match compatibility requires one single value"
    if operator in _UNARY_OPERATORS and values:
        return "values set must be empty for exists and does not exist"
    if operator in _ORDER_OPERATORS and len(values) != 1:
        return "for 'Gt', 'Lt' operators, exactly one value is required"
    return None


def new_requirement(key: str, operator: Operator, values: Iterable[str]) -> Requirement:
    """labels.NewRequirement: build one term, or raise ValueError with Kubernetes' aggregate message."""
    values = tuple(values)
    errors: list[str] = []
    if key_errors := validate_label_key(key):
        errors.append(_invalid("key", _go_quote(key), "; ".join(key_errors)))
    if count_error := _value_count_error(operator, values):
        errors.append(_invalid("values", _go_slice(values), count_error))
    if operator in _ORDER_OPERATORS:
        for index, value in enumerate(values):
            if _parse_int64(value) is None:
                detail = "for 'Gt', 'Lt' operators, the value must be an integer"
                errors.append(_invalid(f"values[{index}]", _go_quote(value), detail))
    for index, value in enumerate(values):
        if value_errors := validate_label_value(value):
            errors.append(_invalid(f"values[{index}][{key}]", _go_quote(value), "; ".join(value_errors)))
    if errors:
        raise ValueError(_aggregate(errors))
    return Requirement(key, operator, values)


@dataclass(frozen=True)
class LabelSelectorExpr:
    """An AND of requirements. `matches_nothing` is the nil metav1.LabelSelector, which selects nothing."""

    requirements: tuple[Requirement, ...] = ()
    matches_nothing: bool = False

    @classmethod
    def of(cls, requirements: Iterable[Requirement]) -> LabelSelectorExpr:
        # Kubernetes keeps requirements sorted by key so the string form is deterministic.
        return cls(tuple(sorted(requirements, key=lambda r: r.key)))

    @property
    def empty(self) -> bool:
        """True when the selector does not restrict anything (`""`, or `{}` as JSON)."""
        return not self.requirements and not self.matches_nothing

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self.matches_nothing:
            return False
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


EVERYTHING = LabelSelectorExpr()
NOTHING = LabelSelectorExpr(matches_nothing=True)


# --- the string grammar (apimachinery labels.Parse) ----------------------------------------


class _Token(Enum):
    END = "end of string"
    IDENTIFIER = "identifier"
    IN = "in"
    NOT_IN = "notin"
    BANG = "!"
    EQUALS = "="
    DOUBLE_EQUALS = "=="
    NOT_EQUALS = "!="
    GREATER_THAN = ">"
    LESS_THAN = "<"
    OPEN_PAREN = "("
    CLOSE_PAREN = ")"
    COMMA = ","


_SPECIAL_CHARS = "=!(),<>"
_WHITESPACE = " \t\r\n"
_SYMBOLS = {t.value: t for t in _Token if all(ch in _SPECIAL_CHARS for ch in t.value)}
_KEYWORDS = {"in": _Token.IN, "notin": _Token.NOT_IN}
_OPERATOR_TOKENS = {
    _Token.IN: Operator.IN,
    _Token.NOT_IN: Operator.NOT_IN,
    _Token.EQUALS: Operator.EQUALS,
    _Token.DOUBLE_EQUALS: Operator.DOUBLE_EQUALS,
    _Token.NOT_EQUALS: Operator.NOT_EQUALS,
    _Token.GREATER_THAN: Operator.GREATER_THAN,
    _Token.LESS_THAN: Operator.LESS_THAN,
}


def _lex(text: str) -> list[tuple[_Token, str]]:
    """Split a selector into tokens; whitespace separates, `=!(),<>` are operators, the rest identifiers."""
    tokens: list[tuple[_Token, str]] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos] in _WHITESPACE:
            pos += 1
        if pos == len(text):
            tokens.append((_Token.END, ""))
            return tokens
        if text[pos] in _SPECIAL_CHARS:
            symbol = text[pos:pos + 2] if text[pos:pos + 2] in _SYMBOLS else text[pos]
            tokens.append((_SYMBOLS[symbol], symbol))
            pos += len(symbol)
            continue
        start = pos
        while pos < len(text) and text[pos] not in _SPECIAL_CHARS and text[pos] not in _WHITESPACE:
            pos += 1
        word = text[start:pos]
        tokens.append((_KEYWORDS.get(word, _Token.IDENTIFIER), word))


class _Parser:
    """A port of Kubernetes' recursive-descent selector parser, error texts included.

    `in` and `notin` are keywords only where an operator may stand; where a key
    or value is expected they are ordinary identifiers (`x in (in)` is legal).
    """

    def __init__(self, text: str) -> None:
        self.tokens = _lex(text)
        self.position = 0

    def _peek(self, *, as_value: bool = True) -> tuple[_Token, str]:
        return self._as(self.tokens[self.position], as_value)

    def _next(self, *, as_value: bool = True) -> tuple[_Token, str]:
        self.position += 1
        return self._as(self.tokens[self.position - 1], as_value)

    @staticmethod
    def _as(item: tuple[_Token, str], as_value: bool) -> tuple[_Token, str]:
        token, literal = item
        if as_value and token in (_Token.IN, _Token.NOT_IN):
            return _Token.IDENTIFIER, literal
        return token, literal

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            token, literal = self._peek()
            if token is _Token.END:
                return requirements
            if token not in (_Token.IDENTIFIER, _Token.BANG):
                raise ValueError(f"found '{literal}', expected: !, identifier, or 'end of string'")
            try:
                requirements.append(self._requirement())
            except ValueError as err:
                raise ValueError(f"unable to parse requirement: {err}") from None
            token, literal = self._next()
            if token is _Token.END:
                return requirements
            if token is not _Token.COMMA:
                raise ValueError(f"found '{literal}', expected: ',' or 'end of string'")
            after, after_literal = self._peek()
            if after not in (_Token.IDENTIFIER, _Token.BANG):
                raise ValueError(f"found '{after_literal}', expected: identifier after ','")

    def _requirement(self) -> Requirement:
        key, operator = self._key_and_inferred_operator()
        if operator in _UNARY_OPERATORS:
            return new_requirement(key, operator, ())
        operator = self._operator()
        values = self._value_set() if operator in _SET_OPERATORS else self._exact_value()
        return new_requirement(key, operator, sorted(values))

    def _key_and_inferred_operator(self) -> tuple[str, Operator | None]:
        operator = None
        token, literal = self._next()
        if token is _Token.BANG:
            operator = Operator.DOES_NOT_EXIST
            token, literal = self._next()
        if token is not _Token.IDENTIFIER:
            raise ValueError(f"found '{literal}', expected: identifier")
        if errors := validate_label_key(literal):
            raise ValueError(_invalid("<nil>", _go_quote(literal), "; ".join(errors)))
        if self._peek()[0] in (_Token.END, _Token.COMMA) and operator is None:
            operator = Operator.EXISTS
        return literal, operator

    def _operator(self) -> Operator:
        token, literal = self._next(as_value=False)
        if token not in _OPERATOR_TOKENS:
            raise ValueError(f"found '{literal}', expected: {_BINARY_OPERATOR_NAMES}")
        return _OPERATOR_TOKENS[token]

    def _value_set(self) -> set[str]:
        token, literal = self._next()
        if token is not _Token.OPEN_PAREN:
            raise ValueError(f"found '{literal}' expected: '('")
        token, literal = self._peek()
        if token is _Token.CLOSE_PAREN:  # "()" is the set holding only the empty value
            self._next()
            return {""}
        if token not in (_Token.IDENTIFIER, _Token.COMMA):
            raise ValueError(f"found '{literal}', expected: ',', ')' or identifier")
        values = self._identifier_list()
        if self._next()[0] is not _Token.CLOSE_PAREN:
            raise ValueError(f"found '{literal}', expected: ')'")
        return values

    def _identifier_list(self) -> set[str]:
        # Empty entries are legal values: "(a,,b)", "(,a)" and "(a,)" all contain "".
        values: set[str] = set()
        while True:
            token, literal = self._next()
            if token is _Token.IDENTIFIER:
                values.add(literal)
                after, after_literal = self._peek()
                if after is _Token.CLOSE_PAREN:
                    return values
                if after is not _Token.COMMA:
                    raise ValueError(f"found '{after_literal}', expected: ',' or ')'")
            elif token is _Token.COMMA:
                if not values:
                    values.add("")
                after = self._peek()[0]
                if after is _Token.CLOSE_PAREN:
                    values.add("")
                    return values
                if after is _Token.COMMA:
                    values.add("")
            else:
                raise ValueError(f"found '{literal}', expected: ',', or identifier")

    def _exact_value(self) -> set[str]:
        if self._peek()[0] in (_Token.END, _Token.COMMA):
            return {""}
        token, literal = self._next()
        if token is not _Token.IDENTIFIER:
            raise ValueError(f"found '{literal}', expected: identifier")
        return {literal}


def parse_label_selector(text: str) -> LabelSelectorExpr:
    """Parse `?labelSelector=` syntax; raise ValueError with the apiserver's message when invalid.

    `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a` (exists), `!a`
    (does not exist), `a>1`, `a<1`; a comma means AND. `""` selects everything.
    """
    return LabelSelectorExpr.of(_Parser(text).parse())


# --- metav1.LabelSelector -------------------------------------------------------------------

_EXPRESSION_OPERATORS = {
    "In": Operator.IN,
    "NotIn": Operator.NOT_IN,
    "Exists": Operator.EXISTS,
    "DoesNotExist": Operator.DOES_NOT_EXIST,
}


def selector_from_label_selector(obj: Mapping[str, Any] | None) -> LabelSelectorExpr:
    """metav1.LabelSelectorAsSelector: None selects nothing, `{}` selects everything."""
    if obj is None:
        return NOTHING
    match_labels: Mapping[str, str] = obj.get("matchLabels") or {}
    expressions: list[Mapping[str, Any]] = obj.get("matchExpressions") or []
    requirements = [new_requirement(k, Operator.EQUALS, [v]) for k, v in sorted(match_labels.items())]
    for expression in expressions:
        operator_name = expression.get("operator", "")
        if operator_name not in _EXPRESSION_OPERATORS:
            raise ValueError(f"{_go_quote(operator_name)} is not a valid label selector operator")
        requirements.append(new_requirement(
            expression.get("key", ""), _EXPRESSION_OPERATORS[operator_name], expression.get("values") or []
        ))
    return LabelSelectorExpr.of(requirements)


def format_label_selector(obj: Mapping[str, Any] | None) -> str:
    """metav1.FormatLabelSelector: the selector as kubectl shows it, `<none>` when empty."""
    try:
        text = str(selector_from_label_selector(obj))
    except ValueError:
        return "<error>"
    return text or "<none>"


def format_labels(labels: Mapping[str, str] | None) -> str:
    """labels.FormatLabels: `k=v` pairs sorted and comma-joined, `<none>` when there are none."""
    return ",".join(sorted(f"{k}={v}" for k, v in (labels or {}).items())) or "<none>"
