"""A phone's width (390 px) in Chromium: the systems page, a profile, the report (issue 19.11).

At 390 px: the page never scrolls sideways (``scrollWidth <= 391``); a table wider than the
screen scrolls inside a box of its own (``overflow-x: auto``) that stays on screen; every chart
is at most as wide as the screen, with its title inside it and no two axis labels overlapping;
a world map fills its chart rather than floating in a tall blank box; the systems page shows
each system's members on screen, with no row stretched tall by a squeezed column, and is not
much longer than at 1440 px.

Uses Debian's /usr/bin/chromium driven by Playwright; skipped, with the reason, where either is
missing. Screenshots go to ``$KERUEN_ARTIFACTS`` (default ``artifacts/screenshots``, where CI
keeps them).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import require_chromium  # noqa: E402

CHROMIUM = require_chromium()
sync_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

from keruen.report.browser import CHROMIUM_ARGS, wait_for_charts  # noqa: E402
from keruen.web.app import create_app  # noqa: E402

PHONE = 390
#: What a page measures of itself: sideways scroll, tables, charts (see the module's text).
LAYOUT = """() => {
  const vw = window.innerWidth, doc = document.documentElement;
  const box = el => el.getBoundingClientRect();
  const apart = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) <= 1
    || Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) <= 1;
  const scroller = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX)) return a;
    }
    return null;
  };
  const span = rects => rects.length ? {
    w: Math.max(...rects.map(r => r.right)) - Math.min(...rects.map(r => r.left)),
    h: Math.max(...rects.map(r => r.bottom)) - Math.min(...rects.map(r => r.top)),
  } : null;
  const out = {vw, scrollWidth: doc.scrollWidth, height: doc.scrollHeight, tables: [], charts: []};
  document.querySelectorAll('table').forEach(t => {
    if (!t.getClientRects().length) return;  // inside a closed <details>
    const wrap = scroller(t);
    out.tables.push({
      name: t.id || t.querySelector('th')?.textContent || '?',
      right: box(t).right, wide: box(t).width > vw,
      scrolls: !!wrap, boxRight: wrap ? box(wrap).right : null,
    });
  });
  document.querySelectorAll('svg.marks').forEach(svg => {
    const s = box(svg);
    const titles = [...svg.querySelectorAll('.role-title text')].map(box);
    const clash = [...svg.querySelectorAll('g.role-axis')].some(axis => {
      const labels = [...axis.querySelectorAll('.role-axis-label text')]
        .filter(t => t.textContent.trim() && getComputedStyle(t).opacity !== '0').map(box);
      return labels.some((a, i) => labels.slice(i + 1).some(b => !apart(a, b)));
    });
    const shapes = [...svg.querySelectorAll('g.mark-shape path')].map(box);
    out.charts.push({
      name: svg.closest('[id]')?.id || '?',
      left: s.left, right: s.right, width: s.width, height: s.height,
      titleOut: titles.some(t => t.left < s.left - 1 || t.right > s.right + 1),
      clash, map: shapes.length > 0, mapBox: span(shapes),
    });
  });
  return out;
}"""


def _check(page: Any, where: str) -> dict[str, Any]:
    """Measure the page and assert what every page must keep at a phone's width."""
    got = page.evaluate(LAYOUT)
    vw = got["vw"]
    assert vw == PHONE
    assert got["scrollWidth"] <= vw + 1, f"{where}: scrolls sideways ({got['scrollWidth']}px)"
    for t in got["tables"]:
        if t["wide"] or t["right"] > vw + 1:  # wider than the screen: it scrolls in its own box
            assert t["scrolls"], f"{where}: table {t['name']!r}, wider than the screen, unwrapped"
            assert t["boxRight"] <= vw + 1, f"{where}: the box of {t['name']!r} leaves the screen"
    assert got["charts"], f"{where}: no chart drawn"
    for c in got["charts"]:
        assert c["width"] <= vw and c["left"] >= -1 and c["right"] <= vw + 1, (where, c)
        assert not c["titleOut"], f"{where}: the title of {c['name']} is clipped"
        assert not c["clash"], f"{where}: axis labels of {c['name']} overlap"
        if c["map"] and c["mapBox"]:  # the shapes fill the chart: no tall blank box around them
            assert c["mapBox"]["w"] >= 0.8 * c["width"], (where, c)
            assert c["mapBox"]["h"] >= 0.5 * c["height"], (where, c)
    return got


@pytest.fixture(scope="module")
def artifacts() -> Path:
    root = Path(__file__).resolve().parents[1]
    folder = Path(os.environ.get("KERUEN_ARTIFACTS") or root / "artifacts" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store_path = Path(tmp_path_factory.mktemp("phone")) / "keruen.duckdb"
    # a generous limit: a profile waits a quarter of it for its report's build
    app = create_app(store_path, query_timeout=800, warm=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        yield b
        b.close()


def _page(browser: Any, url: str, width: int = PHONE) -> Any:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(url, wait_until="networkidle", timeout=600_000)
    charts = page.locator("div.vega")
    for i in range(charts.count()):
        charts.nth(i).locator("svg").first.wait_for(timeout=60_000)
    return page


def test_the_systems_page_fits_a_phone(browser: Any, base_url: str, artifacts: Path) -> None:
    wide = _page(browser, f"{base_url}/en/systems?period=2019", 1440)
    desktop = wide.evaluate("document.documentElement.scrollHeight")
    wide.close()
    page = _page(browser, f"{base_url}/en/systems?period=2019")
    try:
        got = _check(page, "systems")
        # every cell of the systems table, members included, is on screen (no column left
        # off-screen), and no row is stretched tall by a squeezed column
        cells = page.evaluate(
            """() => [...document.querySelectorAll('#systems-table tbody td')].map(td => {
                 const r = td.getBoundingClientRect(), inner = document.createRange();
                 inner.selectNodeContents(td);
                 const text = inner.getBoundingClientRect().height;
                 return {right: r.right, height: r.height, text};
               })"""
        )
        assert cells and all(c["right"] <= PHONE + 1 for c in cells)
        assert all(c["height"] <= c["text"] + 40 for c in cells)  # no tall blank cell
        assert got["height"] <= 2.5 * desktop, (got["height"], desktop)
        page.screenshot(path=str(artifacts / f"phone_systems_{PHONE}.png"), full_page=True)
    finally:
        page.close()


def test_a_profile_fits_a_phone(browser: Any, base_url: str, artifacts: Path) -> None:
    page = _page(browser, f"{base_url}/en/country/TKM")
    try:
        assert page.locator("#report-pending").count() == 0  # the report's part is shown
        got = _check(page, "profile")
        assert any(t["wide"] and t["scrolls"] for t in got["tables"])  # a wide table scrolls
        page.screenshot(path=str(artifacts / f"phone_profile_TKM_{PHONE}.png"), full_page=True)
    finally:
        page.close()


def test_the_world_map_fills_its_chart_on_a_phone(
    browser: Any, base_url: str, artifacts: Path
) -> None:
    explore = "explore?measure=remittances_received_pct_gdp&year=2019"
    page = _page(browser, f"{base_url}/en/{explore}")
    try:
        got = _check(page, "explore")
        assert any(c["map"] for c in got["charts"])
        page.screenshot(path=str(artifacts / f"phone_explore_{PHONE}.png"), full_page=True)
    finally:
        page.close()


def test_the_report_fits_a_phone(
    browser: Any, built_report: Callable[[str, str], Path], artifacts: Path
) -> None:
    index = built_report("KAZ", "en") / "index.html"
    page = browser.new_page(viewport={"width": PHONE, "height": 900})
    try:
        page.goto(index.as_uri())
        wait_for_charts(page, 120_000)
        got = _check(page, "report")
        # the reconciliation's tables (their Paper and Note columns) scroll in their own box
        for name in ("Figure",):
            shown = [t for t in got["tables"] if t["name"] == name]
            assert shown and all(t["scrolls"] for t in shown)
        page.screenshot(path=str(artifacts / f"phone_report_KAZ_{PHONE}.png"), full_page=True)
    finally:
        page.close()
