"""The report in a real browser (headless Debian Chromium driven by Playwright).

Each language at 390 px (a phone) and 1440 px (a desktop): no console errors, no horizontal
page scroll, every chart rendered interactively with text of at least 10 px, a tooltip on
hover, and the CSV next to each chart equal to the data the chart draws. Screenshots are kept
under a folder printed at the end of the run. ``--pdf`` prints a PDF that pdftoppm renders and
that contains every section.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from keruen.report.browser import CHROMIUM_ARGS, wait_for_charts
from keruen.report.render import render_report
from keruen.store import Store
from tests.browser import require_chromium

CHROMIUM = require_chromium()
sync_api = pytest.importorskip("playwright.sync_api")

WIDTHS = (390, 1440)
#: Vega-Lite warnings about layout hints are logged at warning level; only errors fail a test.
FAILING = ("error", "pageerror")


@pytest.fixture(scope="module")
def artefacts() -> Path:
    """A stable folder (emptied at the start of a run) for screenshots and the PDF; its path
    is printed, past pytest's output capture, when the module starts and ends."""
    folder = Path(
        os.environ.get("KERUEN_TEST_ARTEFACTS")
        or Path(tempfile.gettempdir()) / "keruen-test-artefacts" / "browser"
    )
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    print(f"\nbrowser test screenshots and PDF go to {folder}", file=sys.__stderr__)
    yield folder
    print(f"\nbrowser test screenshots and PDF kept in {folder}", file=sys.__stderr__)


@pytest.fixture(scope="module")
def reports(snapshot_store: Store, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("browser_reports")
    return {
        lang: render_report(snapshot_store, root / lang, lang, keep_estimates=False)
        for lang in ("en", "ru", "kk")
    }


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        yield b
        b.close()


def _open(browser, index: Path, width: int):
    page = browser.new_page(viewport={"width": width, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in FAILING else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(index.as_uri())
    wait_for_charts(page, 60000)
    return page, problems


SMALLEST_TEXT = """() => {
  let smallest = 1e9;
  document.querySelectorAll('.chart svg text').forEach(t => {
    if (!t.textContent.trim()) return;
    const svg = t.ownerSVGElement, box = svg.getBoundingClientRect();
    const scale = box.width / (svg.width.baseVal.value || box.width);
    smallest = Math.min(smallest, parseFloat(getComputedStyle(t).fontSize) * scale);
  });
  return smallest;
}"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_report_renders_at_phone_and_desktop_width(
    browser, reports: dict[str, Path], artefacts: Path, lang: str, width: int
) -> None:
    page, problems = _open(browser, reports[lang], width)
    try:
        charts = page.eval_on_selector_all(".chart", "els => els.map(e => e.dataset.ready)")
        assert charts and all(r == "1" for r in charts)  # every chart rendered interactively
        scroll, inner = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert scroll <= inner, f"horizontal page scroll: {scroll} > {inner}"
        assert page.evaluate(SMALLEST_TEXT) >= 9.95  # chart text at least 10 px
        if width == 390:  # SWOT in one column on a phone
            cols = page.evaluate(
                "() => getComputedStyle(document.querySelector('.swot')).gridTemplateColumns"
            )
            assert len(cols.split()) == 1
        page.screenshot(path=str(artefacts / f"report_{lang}_{width}.png"), full_page=True)
        assert problems == []
    finally:
        page.close()


def test_every_chart_answers_a_hover_with_a_tooltip(browser, reports: dict[str, Path]) -> None:
    page, problems = _open(browser, reports["ru"], 1440)
    try:
        keys = page.eval_on_selector_all(".chart", "els => els.map(e => e.dataset.spec)")
        for key in keys:
            marks = page.locator(
                f'.chart[data-spec="{key}"] svg .mark-rect path, '
                f'.chart[data-spec="{key}"] svg .mark-symbol path'
            )
            assert marks.count() > 0, key
            hovered = False
            for i in range(min(marks.count(), 6)):
                box = marks.nth(i).bounding_box()
                if not box or box["width"] * box["height"] == 0:
                    continue
                marks.nth(i).scroll_into_view_if_needed()
                box = marks.nth(i).bounding_box()
                page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                page.wait_for_timeout(150)
                if page.evaluate(
                    "() => { const t = document.getElementById('vg-tooltip-element');"
                    " return !!t && t.classList.contains('visible') && t.textContent.length > 0 }"
                ):
                    hovered = True
                    break
            assert hovered, f"no tooltip on {key}"
            page.mouse.move(0, 0)
        assert problems == []
    finally:
        page.close()


def _same(a: object, b: object) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return str(a) == str(b)


def test_csv_next_to_each_chart_equals_the_data_it_draws(browser, reports: dict[str, Path]) -> None:
    page, _problems = _open(browser, reports["kk"], 1440)
    try:
        links = page.eval_on_selector_all(
            ".chart", "els => els.map(e => [e.dataset.spec, e.dataset.csv])"
        )
        for key, csv in links:
            spec = json.loads(page.locator(f"#{key}").text_content())
            frame = pd.read_csv(reports["kk"].parent / csv)
            drawn = frame.drop(columns=["source", "vintage", "unit"])
            # the chart's main dataset is the one whose columns the CSV holds
            datasets = [
                v
                for v in spec["datasets"].values()
                if v
                and set(v[0]) <= set(drawn.columns) | {"label"}
                and len(set(v[0]) & set(drawn.columns)) >= 2
            ]
            assert datasets, key
            rows = max(datasets, key=len)
            assert len(rows) <= len(drawn), key
            cols = list(rows[0])
            for rec in rows:
                match = drawn[
                    [
                        all(_same(rec.get(c), row[c]) for c in cols if c in drawn.columns)
                        for row in drawn.to_dict("records")
                    ]
                ]
                assert len(match) >= 1, (key, rec)
    finally:
        page.close()


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) missing")
def test_pdf_renders_and_contains_every_section(reports: dict[str, Path], artefacts: Path) -> None:
    # in a process of its own, as `keruen report --pdf` runs it (this process already drives a
    # browser through Playwright's sync API, which allows one at a time)
    pdf = artefacts / "report_en.pdf"
    code = (
        "from keruen.report.browser import write_pdf; "
        f"write_pdf({str(reports['en'])!r}, {str(pdf)!r})"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=600)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    pages = subprocess.run(
        ["pdftoppm", "-r", "30", "-png", str(pdf), str(artefacts / "pdf_page")],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert pages.returncode == 0
    assert len(list(artefacts.glob("pdf_page*.png"))) >= 5
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for heading in (
        "Remittances received and paid",
        "among its peers",
        "Remittances received as a share of GDP",
        "Migration balance and remittance balance",
        "Labour migrants, regions, quotas and brain drain",
        "Donor or recipient?",
        "SWOT judged against indicators",
        "Reconciliation with the paper",
        "Estimates: what official statistics do not say",
        "Methods and caveats",
        "How to cite",
        "Sources",
    ):
        assert heading in " ".join(text.split()), heading
