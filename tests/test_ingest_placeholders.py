"""A value a publisher writes for "not reported" is stored as missing (status M), never as 0.

The rules are data (``keruen/data/not_reported.toml``) applied where a release is read into the
store, so every route (the Python API, /api/v1/series, /api/v1/indicators) agrees.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import keruen.api as kr
from keruen.sources.placeholders import mark_frame, rules
from keruen.store import Store

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from keruen.web.app import create_app  # noqa: E402

TKM_YEARS = range(2015, 2024)


def test_every_rule_names_its_source() -> None:
    for rule in rules():
        assert rule.dataset and rule.measures and rule.why and len(rule.source) > 40


def test_turkmenistan_is_not_reported_through_the_python_api(snapshot_store: Store) -> None:
    """WDI 2025-07-01 writes 0 for TKM 2005-2023: no route may serve it as a value of 0."""
    frame = kr.series("remittances_received", "TKM", TKM_YEARS, store=snapshot_store)
    assert not (frame["value"] == 0).any(), frame
    stored = snapshot_store.observations(
        "WB_WDI", "BX.TRF.PWKR.CD.DT", "TKM", period=[str(y) for y in TKM_YEARS],
        vintage="WDI 2025-07-01", include_missing=True,
    )
    assert len(stored) == len(TKM_YEARS)
    assert stored["value"].isna().all() and set(stored["obs_status"]) == {"M"}


def test_series_and_indicators_routes_agree_on_turkmenistan(snapshot_store: Store) -> None:
    client = TestClient(create_app(Path(snapshot_store.path), query_timeout=300, warm=False))
    series = client.get(
        "/api/v1/series",
        params={"measure": "remittances_received", "area": "TKM", "start": 2015, "end": 2023},
    )
    assert series.status_code == 200, series.text
    served = {row["period"]: row for row in series.json()["data"]}
    indicators = client.get(
        "/api/v1/indicators", params={"country": "TKM", "start": 2015, "end": 2023}
    )
    assert indicators.status_code == 200, indicators.text
    for row in indicators.json()["data"]:
        inflow = row["inflow"]
        value = served.get(str(row["year"]), {}).get("value")
        assert value == inflow, (row["year"], value, inflow)
    assert all(row["value"] != 0 for row in served.values())


def test_the_rule_applies_to_its_measures_only() -> None:
    frame = pd.DataFrame(
        {
            "dataset": ["WB_WDI", "WB_WDI", "WB_WDI", "OTHER"],
            "measure": ["BX.TRF.PWKR.CD.DT", "BX.TRF.PWKR.CD.DT", "SP.POP.TOTL",
                        "BX.TRF.PWKR.CD.DT"],
            "value": [0.0, 5.0, 0.0, 0.0],
            "obs_status": ["A", "A", "A", "A"],
        }
    )
    out = mark_frame(frame)
    assert out["obs_status"].tolist() == ["M", "A", "A", "A"]
    assert out["value"].isna().tolist() == [True, False, False, False]


def test_a_wdi_bulk_file_and_a_loaded_csv_store_the_placeholder_as_missing(
    tmp_path: Path,
) -> None:
    from keruen.sources.files import stage_file
    from keruen.sources.wdi_bulk import parse_bulk_csv
    from keruen.sources.validate import validate_observations

    bulk = tmp_path / "WDICSV.csv"
    bulk.write_text(
        "Country Name,Country Code,Indicator Name,Indicator Code,2020,2021\n"
        "Turkmenistan,TKM,\"Personal remittances, received (current US$)\","
        "BX.TRF.PWKR.CD.DT,0,0\n"
        "Kazakhstan,KAZ,\"Personal remittances, received (current US$)\","
        "BX.TRF.PWKR.CD.DT,178000000,0\n"
    )
    frame = validate_observations(parse_bulk_csv(bulk), bulk)
    assert frame["obs_status"].tolist().count("M") == 3
    assert frame.loc[frame["obs_status"] != "M", "value"].tolist() == [178000000.0]

    tidy = tmp_path / "tidy.csv"
    tidy.write_text(
        "dataset,measure,ref_area,counterpart_area,breakdown,period,value,unit,obs_status\n"
        "WB_WDI,BX.TRF.PWKR.CD.DT,TKM,,,2020,0,USD,A\n"
        "WB_WDI,NY.GDP.MKTP.CD,TKM,,,2020,0,USD,A\n"
    )
    staged = stage_file(tidy, in_memory=True)
    try:
        rows = staged.con.execute(
            "SELECT measure, value, obs_status FROM observations ORDER BY measure"
        ).fetchall()
    finally:
        staged.close()
    assert rows == [("BX.TRF.PWKR.CD.DT", None, "M"), ("NY.GDP.MKTP.CD", 0.0, "A")]
