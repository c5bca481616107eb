"""describe for any other kind: metadata, spec and status dumped as indented `Key:  value` lines.

Keys are spelled the way kubectl's generic describer spells them: `creationTimestamp`
becomes `Creation Timestamp`.
"""

from __future__ import annotations

import re
from typing import Any

from cli.describers.page import Page, add_events, annotation_entries, label_entries
from cli.three_way import LAST_APPLIED

HIDDEN_METADATA = ("managedFields",)
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def describe_generic(obj: dict[str, Any], events: list[dict[str, Any]]) -> str:
    meta = obj.get("metadata") or {}
    page = Page()
    page.field("Name", meta.get("name"))
    if meta.get("namespace"):
        page.field("Namespace", meta["namespace"])
    page.multiline("Labels", label_entries(meta.get("labels")))
    page.multiline("Annotations", annotation_entries(meta.get("annotations")))
    page.field("API Version", obj.get("apiVersion", ""))
    page.field("Kind", obj.get("kind", ""))
    shown_metadata = {key: value for key, value in meta.items()
                      if key not in ("name", "namespace", "labels", "annotations", *HIDDEN_METADATA)}
    for key, value in [("metadata", shown_metadata)] + [(k, v) for k, v in obj.items()
                                                        if k not in ("apiVersion", "kind", "metadata")]:
        _add_value(page, key, value, level=0)
    add_events(page, events)
    return page.render()


def title(key: str) -> str:
    """`creationTimestamp` -> `Creation Timestamp`, as kubectl's generic describer names fields."""
    words = _WORD_BOUNDARY.sub(" ", key)
    return words[:1].upper() + words[1:]


def _add_value(page: Page, key: str, value: Any, *, level: int) -> None:
    if key == LAST_APPLIED:
        return
    if isinstance(value, dict):
        if not value:
            return
        page.heading(title(key), level=level)
        for child_key, child in value.items():
            _add_value(page, child_key, child, level=level + 1)
    elif isinstance(value, list):
        if not value:
            return
        page.heading(title(key), level=level)
        for item in value:
            if isinstance(item, dict):
                for child_key, child in item.items():
                    _add_value(page, child_key, child, level=level + 1)
            else:
                page.line(str(item), level=level + 1)
    else:
        page.field(title(key), value, level=level)
