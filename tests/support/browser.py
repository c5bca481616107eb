"""A real Chromium for tests, driven by Playwright for Python: Debian's `chromium`, never a downloaded browser.

Playwright's pip package carries only its driver; `executable_path` points it at
the browser scripts/test installs, so nothing is fetched from the network.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
VIEWPORT = {"width": 1400, "height": 900}


def chromium_path() -> str | None:
    """The browser to drive: $TINYKUBE_CHROMIUM, else the first of CHROMIUM_NAMES on PATH."""
    configured = os.environ.get("TINYKUBE_CHROMIUM")
    if configured:
        return configured
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium browser, closed (with every page it opened) on the way out, pass or fail."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        pytest.skip("no chromium on PATH (scripts/test installs Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser, *, viewport: dict[str, int] | None = None):
    """A page in a fresh context (its own cookies), so one test's dashboard session never leaks into another's."""
    context = browser.new_context(viewport=viewport or VIEWPORT)
    return context.new_page()


class Screenshots:
    """A test's screenshots: each saved in `directory` and, when $TINYKUBE_SCREENSHOTS names a directory, there
    too (how docs/images/dashboard.png is made); every path is printed, so `pytest -s` lists them."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        shared = os.environ.get("TINYKUBE_SCREENSHOTS")
        self.shared = Path(shared) if shared and Path(shared).is_dir() else None

    def take(self, page, name: str) -> Path:
        path = self.directory / f"{name}.png"
        page.screenshot(path=str(path))
        print(f"screenshot: {path}")
        if self.shared is not None:
            copy = self.shared / path.name
            shutil.copyfile(path, copy)
            print(f"screenshot: {copy}")
        return path
