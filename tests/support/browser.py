"""A real headless Chromium for tests: Debian's `chromium`, driven by Playwright.

Playwright's own browser download cannot be fetched here, so it drives the system browser that
`make test` installs (the Makefile's `$(BROWSER_INSTALLED)`). A missing browser fails the test
with what to install; it is never a reason to skip.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import BrowserContext, Error, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)  # Playwright adds --headless itself
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@contextmanager
def chromium(viewport: dict[str, int] = LAPTOP) -> Iterator[BrowserContext]:
    """A headless Chromium with a fresh profile, closed (and its profile removed) on exit."""
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: `make test` installs it as root (apt-get install -y chromium)"
    )
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=list(FLAGS),
            viewport=viewport,
        )
        try:
            yield context
        finally:
            context.close()


def evaluate(page: Page, script: str) -> object:
    """`page.evaluate`, or None while the page is between two documents (it reloads itself)."""
    try:
        return page.evaluate(script)
    except Error:
        return None
