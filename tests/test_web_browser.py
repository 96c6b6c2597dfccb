"""The dashboard in headless Chromium: every page, every language, phone and desktop widths.

Uses Debian's /usr/bin/chromium driven by Playwright (Playwright's own browser download does not
work offline); skipped, with the reason, where either is missing. Screenshots are kept in
``$KERUEN_ARTIFACTS`` (default: a temporary folder printed by the test) for a human to look at.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(
        "Debian's chromium package is not installed (/usr/bin/chromium)", allow_module_level=True
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
uvicorn = pytest.importorskip("uvicorn")

from keruen.web.app import create_app  # noqa: E402

ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGES = ["", "country/KAZ", "country/TKM", "bilateral?country=KAZ&role=origin", "sources"]
WIDTHS = [390, 1440]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = create_app(Path(tmp_path_factory.mktemp("browser")) / "keruen.duckdb")
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    folder = Path(os.environ.get("KERUEN_ARTIFACTS") or tempfile.mkdtemp(prefix="keruen-web-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots in {folder}")
    return folder


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_every_page_loads_cleanly_and_fits_the_screen(
    browser,
    base_url: str,
    artifacts: Path,
    lang: str,
    width: int,  # type: ignore[no-untyped-def]
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    for path in PAGES:
        response = page.goto(f"{base_url}/{lang}/{path}", wait_until="networkidle")
        assert response is not None and response.status == 200
        charts = page.locator("div.vega")
        for i in range(charts.count()):
            charts.nth(i).locator("svg").first.wait_for(timeout=30_000)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
        name = (path.split("?")[0].replace("/", "_") or "home") + f"_{lang}_{width}.png"
        page.screenshot(path=str(artifacts / name), full_page=True)
    context.close()
    assert errors == []


def test_chart_answers_hover_with_a_tooltip(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(f"{base_url}/en/country/KAZ", wait_until="networkidle")
    point = page.locator("#chart-remittances svg path[role='graphics-symbol']").first
    point.wait_for(timeout=30_000)
    point.hover(force=True)
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible", timeout=10_000)
    assert "year" in tooltip.inner_text().lower()
    page.close()


def test_choosing_a_country_shows_the_apis_numbers(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    import httpx

    page = browser.new_page()
    page.goto(f"{base_url}/en/", wait_until="networkidle")
    page.select_option("#code", "UZB")
    page.click("button[type=submit]")
    page.wait_for_url("**/en/country/UZB")
    first = page.locator("table tbody tr").first.locator("td")
    year, received = first.nth(0).inner_text(), first.nth(1).inner_text()
    api = httpx.get(
        f"{base_url}/api/v1/indicators", params={"country": "UZB", "start": year, "end": year}
    ).json()
    expected = api["data"][0]["inflow"] / 1e6
    assert float(received.replace(",", "")) == pytest.approx(expected, abs=0.05)
    page.close()


def test_the_world_map_renders_one_shape_per_country(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(
        f"{base_url}/en/bilateral?country=KAZ&role=destination&year=2019", wait_until="networkidle"
    )
    shapes = page.locator("#chart-map svg path[role='graphics-symbol']")
    shapes.first.wait_for(timeout=30_000)
    assert shapes.count() >= 170  # Natural Earth 1:110m has 177 countries
    page.close()
