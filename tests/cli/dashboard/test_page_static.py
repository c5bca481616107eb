"""The dashboard page's static files, read as files: what must hold without a browser.

The page is shipped as it is written (no bundler checks it), so these catch what would
otherwise show up only in a browser: a fetch from another origin (the page must work
offline and leak nothing), an import of a module that is not shipped, a module the
page forgets to preload, HTML built from data, or an id the tests rely on gone missing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[3] / "cli" / "dashboard" / "static"
MODULES = sorted(STATIC.glob("*.js"))
INDEX = STATIC / "index.html"

# The DOM contract's fixed ids (docs: the "The page's DOM"); tests and the bench find them.
CONTRACT_IDS = ("map", "pending-lane", "deployments", "panel", "panel-close", "panel-message", "api-status",
                "timeline", "scrubber", "step-back", "play", "step-forward", "live", "scrubber-revision",
                "timeline-entries")
URL = re.compile(r"""\b(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}""", re.IGNORECASE)
IMPORT = re.compile(r"""^\s*import\s[^;]*?from\s+["'](?P<path>[^"']+)["']""", re.MULTILINE)
HTML_FROM_STRINGS = re.compile(r"\.(?:innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write")


def test_the_page_names_no_other_origin():
    for path in [INDEX, STATIC / "dashboard.css", *MODULES]:
        found = URL.findall(path.read_text())
        assert not found, f"{path.name} refers to another origin: {found}"


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_every_import_is_a_shipped_module(module):
    for match in IMPORT.finditer(module.read_text()):
        target = match["path"]
        assert target.startswith("./"), f"{module.name} imports {target!r}: only the page's own modules"
        assert (STATIC / target[2:]).is_file(), f"{module.name} imports {target}, which is not shipped"


def test_the_page_preloads_every_module_it_loads():
    html = INDEX.read_text()
    loaded = set(re.findall(r'src="/static/([^"]+\.js)"', html)) | set(re.findall(r'rel="modulepreload" href="/static/([^"]+)"', html))
    assert loaded == {module.name for module in MODULES}


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_no_module_builds_html_from_strings(module):
    """Data reaches the DOM as text (textContent, text nodes), so a pod named <b>x</b> stays text."""
    assert not HTML_FROM_STRINGS.search(module.read_text())


def test_the_contract_ids_are_in_the_page():
    html = INDEX.read_text()
    missing = [name for name in CONTRACT_IDS if f'id="{name}"' not in html]
    assert not missing, f"index.html lacks {missing}"
    assert '<input id="scrubber" type="range" aria-label="revision"' in html
    assert 'role="status"' in html and 'aria-live="polite"' in html


def test_before_the_first_snapshot_the_page_claims_nothing_about_the_cluster():
    """Until the stream's snapshot (which a refused or dead API never sends) nothing is known: the empty
    lists say so rather than "No pod is waiting", the Pending count is hidden, and the timeline's buttons,
    with no entries to step to, start disabled."""
    html = INDEX.read_text()
    empty_texts = re.findall(r'class="(?:lane-empty|deployments-empty)[^"]*">([^<]*)<|id="nodes-empty"[^>]*>([^<]*)<', html)
    assert len(empty_texts) == 3
    for text in ("".join(groups) for groups in empty_texts):
        assert text.startswith("Waiting for"), text
    assert re.search(r'class="pending-count[^"]*" hidden', html)
    for button in ("step-back", "play", "step-forward"):
        assert re.search(rf'<button id="{button}"[^>]* disabled', html), button
