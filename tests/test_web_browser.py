"""The dashboard in headless Chromium: every page, every language, phone and desktop widths.

Uses Debian's /usr/bin/chromium driven by Playwright (Playwright's own browser download does not
work offline); skipped, with the reason, where either is missing. Screenshots are kept in
``$KERUEN_ARTIFACTS`` (default: a temporary folder printed by the test) for a human to look at.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import require_chromium  # noqa: E402

CHROMIUM = require_chromium()
sync_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

from keruen.web.app import create_app  # noqa: E402
from tests.web_pages import PAGES  # noqa: E402  (one page list for every language check)

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
WIDTHS = [390, 1440]


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("browser")) / "keruen.duckdb"


@pytest.fixture(scope="module")
def base_url(store_path: Path) -> Iterator[str]:
    # the server warms Kazakhstan's report build at start-up, as `keruen serve` does
    app = create_app(store_path, query_timeout=300)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    import httpx

    # let the start-up warm-up (Kazakhstan's report build) finish before pages are timed
    httpx.get(f"{url}/en/country/KAZ", timeout=600)
    yield url
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
        name = (
            path.replace("?", "_").replace("&", "_").replace("=", "-").replace("/", "_") or "home"
        ) + f"_{lang}_{width}.png"
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
    page.click("form[action$='/country'] button[type=submit]")
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


def test_the_regions_map_draws_every_region(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(f"{base_url}/ru/regions", wait_until="networkidle")
    shapes = page.locator("#chart-regions svg path[role='graphics-symbol']")
    shapes.first.wait_for(timeout=30_000)
    # a grey layer of all 20 (17 regions, 3 cities) and a coloured one of the regions reported
    assert shapes.count() > 20
    page.close()


@pytest.mark.parametrize("lang", ["en", "kk"])
def test_the_systems_map_colours_every_country_of_the_period(
    browser, base_url: str, lang: str
) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 390, "height": 900})
    page.goto(f"{base_url}/{lang}/systems?period=2019", wait_until="networkidle")
    shapes = page.locator("#chart-systems-map svg path[role='graphics-symbol']")
    shapes.first.wait_for(timeout=30_000)
    assert shapes.count() >= 177 + 150  # a grey layer of every country, a coloured one on top
    lines = page.locator("#chart-system-sizes svg path[role='graphics-symbol']")
    lines.first.wait_for(timeout=30_000)
    page.close()


def test_the_systems_csv_download_equals_the_apis_answer(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    import io

    import httpx
    import pandas as pd

    page = browser.new_page()
    page.goto(f"{base_url}/ru/systems?period=2005&network=post_soviet", wait_until="networkidle")
    link = page.locator("section a.dl").first
    href = link.get_attribute("href")
    assert href is not None and "format=csv" in href
    csv = page.request.get(base_url + href)  # what the browser downloads
    assert csv.ok and csv.headers["content-type"].startswith("text/csv")
    got = pd.read_csv(io.StringIO(csv.text()), dtype={"period": str})
    api = httpx.get(
        f"{base_url}/api/v1/systems",
        params={"start": 2005, "end": 2005, "network": "post_soviet"},
        timeout=120,
    ).json()
    expected = pd.DataFrame(api["data"])
    assert len(got) == api["meta"]["total"] == len(expected) > 0
    assert list(got["country"]) == list(expected["country"])
    assert list(got["system"]) == list(expected["system"])
    assert got["in_strength"].tolist() == pytest.approx(expected["in_strength"].tolist())
    # the table on the page lists the same systems
    rows = page.locator("#systems-table tbody tr")
    assert rows.count() == expected["system"].nunique()
    page.close()


def test_the_profile_shows_the_report_sections_numbers(
    browser, base_url: str, store_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from keruen.analysis import run
    from keruen.analysis.scope import peer_group
    from keruen.store import Store

    store = Store(store_path, read_only=True)
    try:
        sections = run(store, peer_group("KAZ"))
    finally:
        store.close()
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(f"{base_url}/en/country/KAZ", wait_until="networkidle")
    page.locator("#sections-held").wait_for(timeout=120_000)
    rank, n = sections["cis"].values["rank_inflow_latest"]
    shown = page.locator("#rank_inflow_latest").inner_text()
    assert f": {rank} of {n}" in shown
    dri = sections["position"].values["dri_last"]
    assert page.locator("#dri-last strong").inner_text() == f"{dri:.2f}"
    held = page.locator("#sections-held li")
    from keruen.web.profile import SECTIONS

    assert held.count() == len(SECTIONS)  # one line per section the profile knows
    if "forecasts" in sections:
        ahead = sections["forecasts"].tables["series"].dropna(subset=["lower", "upper"])
        first = page.locator("#forecasts tbody tr").first.locator("td")
        assert first.nth(1).inner_text() == str(int(ahead.iloc[0]["year"]))
        assert float(first.nth(3).inner_text().replace(",", "")) == pytest.approx(
            ahead.iloc[0]["lower"] / 1e6, abs=0.05
        )
    page.close()


def _axis_and_legend(page, chart: str) -> dict:  # type: ignore[no-untyped-def]
    """Rendered axis labels and legend entries (label → fill colour) of one chart."""
    return page.evaluate(
        """(chart) => {
          const root = document.querySelector(chart);
          const texts = (sel) => Array.from(root.querySelectorAll(sel)).map(t => t.textContent);
          const labels = texts('.role-legend-label text');
          const fills = Array.from(root.querySelectorAll('.role-legend-symbol path'))
            .map(p => p.getAttribute('fill') || getComputedStyle(p).fill);
          const legend = {};
          labels.forEach((l, i) => { legend[l] = fills[i]; });
          return {ticks: texts('.role-axis-label text'), legend: legend};
        }""",
        chart,
    )


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_ticks_and_tooltips_are_written_in_the_language(browser, base_url: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    """Issue 19.1: an axis tick reads "1 000" (not "1,000") and a tooltip "2 809,0" under
    translated titles (not "year | series | value … 374.4")."""
    import re

    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(f"{base_url}/{lang}/country/KAZ", wait_until="networkidle")
    point = page.locator("#chart-remittances svg path[role='graphics-symbol']").first
    point.wait_for(timeout=30_000)
    ticks = _axis_and_legend(page, "#chart-remittances")["ticks"]
    grouped = [t for t in ticks if re.fullmatch(r"\d{1,3}(\u00a0\d{3})+", t)]
    assert grouped, ticks  # thousands grouped by a no-break space
    assert not [t for t in ticks if "," in t or re.search(r"\d\.\d", t)], ticks
    point.hover(force=True)
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible", timeout=10_000)
    text = tooltip.inner_text()
    assert {"ru": "год", "kk": "жыл"}[lang] in text.lower()
    assert not re.search(r"\b(year|series|value)\b", text), text
    assert re.search(r"\d,\d\b", text) and not re.search(r"\d\.\d", text), text
    page.close()


def test_received_and_paid_keep_their_colour_in_every_language(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    """Issue 19.4: the drawn legend gives "received" one colour and "paid" another, the same
    in en, ru and kk (it was blue for paid in en and for received in kk)."""
    from keruen.web.views import labels

    seen: dict[str, set[str]] = {"received": set(), "paid": set()}
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    for lang in ("en", "ru", "kk"):
        page.goto(f"{base_url}/{lang}/country/KAZ", wait_until="networkidle")
        page.locator("#chart-remittances svg").first.wait_for(timeout=30_000)
        legend = _axis_and_legend(page, "#chart-remittances")["legend"]
        for series in seen:
            seen[series].add(legend[labels()[lang][series]])
    page.close()
    assert all(len(c) == 1 for c in seen.values()), seen
    assert seen["received"] != seen["paid"]


def test_the_bilateral_slider_lands_on_held_years_only(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(f"{base_url}/en/bilateral?country=KAZ&role=origin", wait_until="networkidle")
    slider = page.locator("#year-slider")
    assert slider.is_visible() and not page.locator("select#year").is_visible()
    held = slider.get_attribute("data-years").split(",")  # type: ignore[union-attr]
    seen = []
    for i in range(len(held)):
        slider.evaluate(
            "(s, i) => { s.value = i; s.dispatchEvent(new Event('input')); }", i
        )
        seen.append(page.locator("#year-value").inner_text())
        assert page.locator("select#year").input_value() == seen[-1]
    assert seen == held
    page.close()


def test_the_search_box_finds_a_country_without_javascript(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base_url}/kk/", wait_until="networkidle")
    page.fill("#q", "Өзбекстан")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**/kk/country/UZB")
    context.close()
