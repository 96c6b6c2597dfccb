"""Headless Chromium for the report: a print-ready PDF (``keruen report --pdf``).

Debian's ``chromium`` package is driven through Playwright; nothing is downloaded. The page is
opened from disk, its interactive charts are left to render, then Chromium prints it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from keruen.errors import ConfigError
from keruen.writing import write_bytes

#: Arguments for a headless Chromium that never talks to the network on its own.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)


def chromium_path() -> str | None:
    """The Chromium executable: ``chromium`` (or ``chromium-browser``) on the PATH."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def launch(playwright: object) -> object:
    """A headless Chromium browser (Playwright ``Browser``) from :func:`chromium_path`."""
    path = chromium_path()
    if path is None:
        raise ConfigError(
            "--pdf needs Chromium: install it (Debian: apt-get install chromium) so that "
            "'chromium' is on the PATH"
        )
    return playwright.chromium.launch(  # type: ignore[attr-defined]
        executable_path=path, args=list(CHROMIUM_ARGS)
    )


def wait_for_charts(page: object, timeout_ms: int = 30000) -> None:
    """Wait until every interactive chart has replaced its static fallback (or timeout)."""
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => [...document.querySelectorAll('.chart')].every(d => d.dataset.ready === '1')",
        timeout=timeout_ms,
    )


def write_pdf(index: Path, pdf: Path) -> Path:
    """Print ``index`` (a report's index.html) to ``pdf`` (A4, backgrounds on); returns it."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ConfigError("--pdf needs the playwright package: pip install 'keruen[pdf]'") from None

    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 1400})  # type: ignore[attr-defined]
            page.goto(Path(index).resolve().as_uri())
            wait_for_charts(page)
            page.emulate_media(media="print")
            data = page.pdf(
                format="A4",
                print_background=True,
                margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"},
            )
        finally:
            browser.close()  # type: ignore[attr-defined]
    write_bytes(pdf, data)
    return pdf
