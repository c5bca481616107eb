"""The string formats Kubernetes checks names against, with its own explanations.

Each `is_*` function returns why a value is not in the format (empty when it
is), so a caller can turn every reason into its own cause, as the apiserver
does. Label keys and values come from `objects.selectors`, which owns them.
"""

from __future__ import annotations

import re

from objects.selectors import (
    is_dns1123_subdomain, max_len_error, regex_error, validate_label_key, validate_label_value,
)

is_qualified_name = validate_label_key
is_label_value = validate_label_value

DNS1123_LABEL_MAX = 63
PORT_NAME_MAX = 15

_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_LABEL = re.compile(_DNS1123_LABEL_FMT)
_DNS1123_SUBDOMAIN = re.compile(_DNS1123_SUBDOMAIN_FMT)
_DNS1123_LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                      "and must start and end with an alphanumeric character")

_PORT_NAME_CHARSET = re.compile("[-a-z0-9]+")
_PERCENT_FMT = "[0-9]+%"
_PERCENT = re.compile(_PERCENT_FMT)
_PERCENT_MSG = "a valid percent string must be a numeric string followed by an ending '%'"

_RELAXED_ENV_VAR_MSG = "a valid environment variable name must consist only of printable ASCII characters other than '='"


def inclusive_range_error(low: int, high: int) -> str:
    return f"must be between {low} and {high}, inclusive"


def is_dns1123_label(value: str) -> list[str]:
    errors = []
    if len(value) > DNS1123_LABEL_MAX:
        errors.append(max_len_error(DNS1123_LABEL_MAX))
    if not _DNS1123_LABEL.fullmatch(value):
        if _DNS1123_SUBDOMAIN.fullmatch(value):
            errors.append("must not contain dots")  # a valid subdomain whose only fault is its dots
        else:
            errors.append(regex_error(_DNS1123_LABEL_MSG, _DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errors


def name_is_dns_subdomain(name: str, *, prefix: bool = False) -> list[str]:
    """Object names of most kinds. A generateName `prefix` may end in '-': a suffix follows it."""
    return is_dns1123_subdomain(_mask_trailing_dash(name) if prefix else name)


def name_is_dns_label(name: str, *, prefix: bool = False) -> list[str]:
    """Namespace names: one DNS label, at most 63 characters."""
    return is_dns1123_label(_mask_trailing_dash(name) if prefix else name)


def is_valid_port_num(port: int) -> list[str]:
    return [] if 1 <= port <= 65535 else [inclusive_range_error(1, 65535)]


def is_valid_port_name(name: str) -> list[str]:
    """An IANA service name: what a named port (`http`, `metrics`) must look like."""
    errors = []
    if len(name) > PORT_NAME_MAX:
        errors.append(max_len_error(PORT_NAME_MAX))
    if not _PORT_NAME_CHARSET.fullmatch(name):
        errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search("[a-z]", name):
        errors.append("must contain at least one letter (a-z)")
    if "--" in name:
        errors.append("must not contain consecutive hyphens")
    if name and (name[0] == "-" or name[-1] == "-"):
        errors.append("must not begin or end with a hyphen")
    return errors


def is_valid_percent(value: str) -> list[str]:
    return [] if _PERCENT.fullmatch(value) else [regex_error(_PERCENT_MSG, _PERCENT_FMT, "1%", "93%")]


def is_env_var_name(name: str) -> list[str]:
    """The relaxed rule kube-apiserver 1.32 applies by default: printable ASCII except '='."""
    if not name:
        return ["environment variable name must be non-empty"]
    if any(not (" " <= ch <= "~") or ch == "=" for ch in name):
        return [_RELAXED_ENV_VAR_MSG]
    return []


def _mask_trailing_dash(name: str) -> str:
    # Kubernetes drops two characters here, not one; kept so the same prefixes pass.
    return name[:-2] + "a" if len(name) > 1 and name.endswith("-") else name
