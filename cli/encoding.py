"""Write objects the way kubectl's Go encoders do, so tkctl's output and annotations match byte for byte.

Go's encoding/json sorts map keys, keeps non-ASCII as UTF-8 and escapes `&`, `<`,
`>` (and U+2028/U+2029) as `\\u0026`-style sequences; a YAML-decoded `1.0` is a
float64 that Go prints as `1`. The last-applied annotation is compared as a
string by kubectl, so these details decide whether a re-apply is "unchanged".

The YAML writer follows go-yaml: sorted keys, sequences not indented under
their key, multi-line strings as literal blocks, double quotes where quoting is
needed, lines folded at 80 columns.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

_GO_HTML_ESCAPES = {"&": "\\u0026", "<": "\\u003c", ">": "\\u003e", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _go_numbers(value: Any) -> Any:
    """Integral floats become ints, as Go prints float64(1) as `1`."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {k: _go_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_go_numbers(v) for v in value]
    return value


def _escape_html(text: str) -> str:
    # These characters can only occur inside JSON strings, so a plain replace is safe.
    for char, escaped in _GO_HTML_ESCAPES.items():
        text = text.replace(char, escaped)
    return text


def compact_json(value: Any) -> str:
    """json.Marshal: one line, no spaces, sorted keys."""
    return _escape_html(json.dumps(_go_numbers(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def indented_json(value: Any, *, sort_keys: bool = True) -> str:
    """`kubectl get -o json`: four-space indent, sorted keys, trailing newline."""
    return _escape_html(json.dumps(_go_numbers(value), sort_keys=sort_keys, indent=4, ensure_ascii=False)) + "\n"


class _GoStyleEmitter(yaml.emitter.Emitter):
    def choose_scalar_style(self):
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


class _GoStyleDumper(_GoStyleEmitter, yaml.serializer.Serializer, yaml.representer.SafeRepresenter,
                     yaml.resolver.Resolver):
    def __init__(self, stream, **kwargs):
        _GoStyleEmitter.__init__(self, stream, canonical=kwargs.get("canonical"), indent=kwargs.get("indent"),
                                 width=kwargs.get("width"), allow_unicode=kwargs.get("allow_unicode"),
                                 line_break=kwargs.get("line_break"))
        yaml.serializer.Serializer.__init__(self, encoding=kwargs.get("encoding"),
                                            explicit_start=kwargs.get("explicit_start"),
                                            explicit_end=kwargs.get("explicit_end"),
                                            version=kwargs.get("version"), tags=kwargs.get("tags"))
        yaml.representer.SafeRepresenter.__init__(self, default_style=kwargs.get("default_style"),
                                                  default_flow_style=kwargs.get("default_flow_style"),
                                                  sort_keys=kwargs.get("sort_keys", True))
        yaml.resolver.Resolver.__init__(self)


def _represent_str(dumper: yaml.representer.SafeRepresenter, text: str) -> yaml.Node:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_GoStyleDumper.add_representer(str, _represent_str)


def go_yaml(value: Any) -> str:
    """`kubectl get -o yaml`."""
    return yaml.dump(_go_numbers(value), Dumper=_GoStyleDumper, sort_keys=True, default_flow_style=False,
                     allow_unicode=True)
