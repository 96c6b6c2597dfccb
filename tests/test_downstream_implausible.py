"""What `load` accepted, every command survives (issue #22 item 27, the report side).

After a stored value of 1.7e308, a period 9999 or a remittance outflow of -1, `keruen
indicators --years 2015:` failed ("year 2101 is outside 1900-2100"), the report failed (a
traceback formatting 1.7e308; "data row 14, field 'outflows'" of no file) and /en/country/KAZ
answered 500. Concept series now leave out a value no computation can use, with a warning
naming the series (`keruen.store.concepts.plausible`); ingest may refuse such rows too (its
own ranges), which these tests do not rely on: they write the rows with the store's own
ingest and skip a row the store refuses.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.errors import KeruenError
from keruen.sources.snapshot import open_store
from keruen.store import Provenance
from keruen.store.concepts import ImplausibleValueWarning, plausible

#: (dataset, measure, area, counterpart, period, value, unit): a year far out, a value near the
#: largest double, a negative outflow (concept series); the same faults in series read directly
#: (vital events, bilateral stocks, regional population)
BAD_ROWS = [
    ("WB_WDI", "BX.TRF.PWKR.CD.DT", "KAZ", None, "9999", 1e9, "current USD"),
    ("WB_WDI", "BX.TRF.PWKR.CD.DT", "KAZ", None, "2024", 1.7e308, "current USD"),
    ("WB_WDI", "BM.TRF.PWKR.CD.DT", "KAZ", None, "2023", -1.0, "current USD"),
    ("UN_WPP", "net_migration", "KAZ", None, "2020", 1.7e308, "thousand persons"),
    ("UNDESA_IMS", "migrant_stock", "KAZ", "UZB", "2020", -1.0, "persons"),
    ("KZ_BNS_POPULATION", "population", "KZ-75", None, "9999", 1e6, "persons"),
]


@pytest.fixture(scope="module")
def spoiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple]]:
    """A snapshot store plus each of :data:`BAD_ROWS` the store accepts (its own vintage)."""
    home = tmp_path_factory.mktemp("spoiled")
    held = []
    with open_store(home / "keruen.duckdb", quiet=True) as store:
        for i, (dataset, measure, area, other, period, value, unit) in enumerate(BAD_ROWS):
            frame = pd.DataFrame([{
                "dataset": dataset, "measure": measure, "ref_area": area,
                "counterpart_area": other, "breakdown": None, "period": period, "value": value,
                "unit": unit, "obs_status": "A",
            }])  # fmt: skip
            prov = Provenance(
                dataset=dataset, vintage=f"adversarial {i}", release=date.today().isoformat(),
                publisher="keruen tests", file_name=f"bad{i}.csv",
                sha256=hashlib.sha256(f"bad{i}".encode()).hexdigest(),
            )  # fmt: skip
            try:
                store.ingest(frame, prov)
            except KeruenError:  # refused at ingest: nothing downstream to survive
                continue
            held.append(BAD_ROWS[i])
    if not held:
        pytest.skip("the store refuses every implausible row at ingest")
    return home, held


def test_plausible_leaves_out_what_no_computation_can_use_and_names_it() -> None:
    rows = [
        ("remittances_received", "2020", 1.0e9, "ok"),
        ("remittances_received", "9999", 1.0e9, "year"),
        ("remittances_received", "2021", 1.7e308, "huge"),
        ("remittances_paid", "2021", -1.0, "negative"),
        ("population", "2021", float("inf"), "infinite"),
        ("population", "2022", float("nan"), "nan"),
        ("population", "2021-Q1", 5.0, "not a year"),
        ("gdp", "2022", 1.0e12, "ok"),
    ]
    frame = pd.DataFrame(
        [{"concept": c, "ref_area": "KAZ", "period": p, "value": v, "dataset": "D",
          "measure": f"M-{why}", "vintage": "v"} for c, p, v, why in rows]
    )  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kept = plausible(frame)
    assert kept["measure"].tolist() == ["M-ok", "M-ok"]
    (warning,) = [w for w in caught if w.category is ImplausibleValueWarning]
    text = str(warning.message)
    assert "left out 6 stored value(s)" in text
    assert "D M-year KAZ 9999 (vintage 'v')" in text and "M-negative" in text
    with warnings.catch_warnings(record=True) as again:  # warned once per row per process,
        warnings.simplefilter("always")  # left out every time
        assert plausible(frame)["measure"].tolist() == ["M-ok", "M-ok"]
    assert not [w for w in again if w.category is ImplausibleValueWarning]


def test_indicators_survive_a_stored_year_9999(
    spoiled: tuple[Path, list[tuple]], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, held = spoiled
    monkeypatch.setenv("KERUEN_HOME", str(home))
    res = CliRunner().invoke(main, ["indicators", "--years", "2015:", "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert "year 2101" not in res.output
    years = pd.read_csv(io.StringIO(res.stdout))["year"]
    assert years.min() == 2015 and years.max() <= 2100


def test_the_report_and_the_profile_page_survive(
    spoiled: tuple[Path, list[tuple]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from keruen.report.render import render_report
    from keruen.store import Store
    from keruen.web.app import create_app

    home, held = spoiled
    monkeypatch.setenv("KERUEN_HOME", str(home))
    store = Store(home / "keruen.duckdb", read_only=True)
    try:
        index = render_report(store, tmp_path / "rep", "en", country="KAZ", keep_estimates=False)
    finally:
        store.close()
    html = index.read_text("utf-8")
    assert html.rstrip().endswith("</html>")
    client = TestClient(create_app(home / "keruen.duckdb", query_timeout=400, warm=False))
    page = client.get("/en/country/KAZ")
    assert page.status_code == 200
    assert 'id="report-pending"' not in page.text


def test_a_number_too_large_to_write_out_is_written_in_scientific_notation() -> None:
    from keruen.i18n import format_number

    assert format_number(1.7e308, "en") == "1.70E308"
    assert format_number(float("inf"), "ru") == "∞" and format_number(float("nan"), "kk") == "–"
    assert format_number(1234.56, "en", 1) == "1,234.6"


def test_load_of_a_year_9999_then_indicators_as_a_user_types_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's own steps: `keruen load` of a period 9999 row, then `keruen indicators
    --years 2015:`. When `load` refuses the row (ingest's plausible ranges), that is fine too."""
    monkeypatch.setenv("KERUEN_HOME", str(tmp_path / "home"))
    csv = tmp_path / "far.csv"
    csv.write_text(
        "dataset,measure,ref_area,counterpart_area,breakdown,period,value,unit,obs_status\n"
        "WB_WDI,BX.TRF.PWKR.CD.DT,KAZ,,,9999,1000000000,current USD,A\n",
        "utf-8",
    )
    runner = CliRunner()
    loaded = runner.invoke(main, ["load", str(csv), "--dataset", "WB_WDI", "--vintage",
                                  "far", "--publisher", "test"])  # fmt: skip
    assert loaded.exit_code in (0, 3), loaded.output
    res = runner.invoke(main, ["indicators", "--years", "2015:"])
    assert res.exit_code == 0, res.output
    assert "outside 1900-2100" not in res.output
    if loaded.exit_code == 0:
        assert "keruen: warning: left out 1 stored value(s)" in res.output
        assert "WB_WDI BX.TRF.PWKR.CD.DT KAZ 9999 (vintage 'far')" in res.output
