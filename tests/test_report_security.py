"""The report never runs a stored string as markup, never writes through a symlink, and a
failed ``--refresh`` says so once (issue 8, items 1, 3 and 16)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.report.page import http_url
from keruen.report.render import render_report
from keruen.sources.snapshot import open_store
from keruen.store import Provenance, Store
from tests.fakeserver import FakeServer, Reply

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report of Uzbekistan from a store holding a release whose vintage, publisher and URL
    are hostile (it is the newest release, so the report reads and cites it)."""
    store: Store = open_store(tmp_path_factory.mktemp("xss") / "keruen.duckdb", quiet=True)
    frame = pd.DataFrame(
        {
            "dataset": "WB_WDI",
            "measure": "BX.TRF.PWKR.CD.DT",
            "ref_area": "UZB",
            "counterpart_area": None,
            "breakdown": None,
            "period": ["2022", "2023"],
            "value": [1.5e10, 1.4e10],
            "unit": "current USD",
            "obs_status": "A",
        }
    )
    prov = Provenance(
        dataset="WB_WDI",
        vintage=SCRIPT,
        release="2099-01-01",
        publisher=f'P{SCRIPT}"><img src=x onerror=alert(2)>',
        file_name="x.csv",
        sha256="f" * 64,
        url="javascript:alert(3)",
        licence="<b>L</b>",
        origin="<iframe src=javascript:alert(4)>",
    )
    store.ingest(frame, prov)
    out = render_report(store, tmp_path_factory.mktemp("xss_out"), "en", country="UZB").parent
    store.close()
    return out


def test_a_stored_script_never_reaches_the_html_raw(hostile: Path) -> None:
    html = (hostile / "index.html").read_text("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown, escaped, in the sources
    assert "<script>alert" not in html and "<img src=x" not in html and "<iframe" not in html
    assert "<b>L</b>" not in html
    # the only scripts are keruen's: the inlined Vega bundle, its start-up code and JSON specs
    tags = re.findall(r"<script[^>]*>", html)
    assert all(
        t == "<script>" or t.startswith('<script type="application/json" id="spec-') for t in tags
    )
    assert sum(t == "<script>" for t in tags) == 2
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
        assert "<" not in block  # JSON specs cannot close their element


def test_a_javascript_url_is_never_a_link(hostile: Path) -> None:
    html = (hostile / "index.html").read_text("utf-8")
    assert 'href="javascript:' not in html.lower()
    assert "javascript:alert(3)" not in html  # not even as text beside the publisher
    assert http_url("javascript:alert(1)") is None
    assert http_url(" JavaScript:alert(1)") is None
    assert http_url("data:text/html,<script>") is None
    assert http_url("https://data.worldbank.org/") == "https://data.worldbank.org/"


def test_figures_carry_hostile_text_only_as_escaped_text(hostile: Path) -> None:
    for svg in (hostile / "figures").glob("*.svg"):
        text = svg.read_text("utf-8")
        assert "<script" not in text and "onerror=" not in text.replace("onerror=alert", "")


def test_report_replaces_symlinks_instead_of_writing_through_them(
    snapshot_store: Store, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    (out / "figures").mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (out / "index.html").symlink_to(victim)
    (out / "numbers.json").symlink_to(victim)
    (out / "figures" / "01_tkm_remittances.png").symlink_to(victim)
    (out / "figures" / "03_peer_inflows.png").symlink_to(victim)
    render_report(snapshot_store, out, "en", country="TKM", keep_estimates=False)
    assert victim.read_text() == "keep me"
    for path in (out / "index.html", out / "numbers.json", out / "figures" / "03_peer_inflows.png"):
        assert not path.is_symlink() and path.stat().st_size > 100
    assert not list(out.rglob("*.tmp"))  # no temporary file left behind


def test_refresh_offline_warns_once_and_names_the_release_used(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, home: Path, tmp_path: Path
) -> None:
    monkeypatch.setenv("KERUEN_WORLDBANK_URL", server.url + "/v2")
    server.route("/v2/", Reply("down", status=503))
    result = CliRunner().invoke(
        main, ["report", "--refresh", "--country", "TKM", "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1, result.stderr
    assert "StaleDataWarning" not in result.stderr and ".py:" not in result.stderr
    # remittances come from WDI 2025-07-01, not the newest vintage of the dataset (a GDP file)
    assert "BX.TRF.PWKR.CD.DT WDI 2025-07-01" in warnings[0]
    assert "NY.GDP.MKTP.CD datahub NY.GDP.MKTP.CD 2026-03" in warnings[0]


def test_report_csv_neutralises_every_formula_start_and_keeps_numbers() -> None:
    """The report's CSV uses the CLI's one definition: = + - @ tab and CR are all neutralised."""
    import io

    from keruen.report.output import data_csv
    from keruen.writing import FORMULA_STARTS

    cells = [f"{c}cmd|' /C calc'!A0" for c in FORMULA_STARTS]
    frame = pd.DataFrame({"name": [*cells, "-5", "Kazakhstan"], "value": [1.0] * 8})
    sources = [{"publisher": "\tWorld Bank", "vintage": "=HYPERLINK(1)"}]
    text = data_csv(frame, "persons", sources)
    back = pd.read_csv(io.StringIO(text), keep_default_na=False)
    assert list(back["name"]) == [f"'{c}" for c in cells] + ["-5", "Kazakhstan"]
    assert set(back["source"]) == {"'\tWorld Bank"} and set(back["vintage"]) == {"'=HYPERLINK(1)"}
    assert (back["value"] == 1.0).all()
