"""Remittance measures (pure functions) and the store-backed ``keruen indicators`` command."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from keruen.cli import main
from keruen.indicators.remittances import (
    donor_recipient_index,
    growth_rate,
    outflow_inflow_ratio,
    rank_within,
    ratio_summary,
    remittance_measures,
)

# amounts in currency units: exactly zero or at least a thousandth (no denormal floats)
money = st.one_of(st.just(0.0), st.floats(min_value=1e-3, max_value=1e12))


@given(money, money, st.floats(min_value=1e-3, max_value=1e3))
def test_donor_recipient_index_is_bounded_antisymmetric_and_scale_free(o, i, k) -> None:
    d = donor_recipient_index(o, i)
    if o + i == 0:
        assert np.isnan(d)
        return
    assert -1.0 <= d <= 1.0
    assert donor_recipient_index(i, o) == pytest.approx(-d)
    assert donor_recipient_index(k * o, k * i) == pytest.approx(d, abs=1e-9)


def test_ratio_is_undefined_without_inflows() -> None:
    ratio = outflow_inflow_ratio(pd.Series([10.0, 5.0]), pd.Series([2.0, 0.0]))
    assert ratio.iloc[0] == 5.0 and np.isnan(ratio.iloc[1])


def test_measures_table() -> None:
    panel = pd.DataFrame(
        {
            "ref_area": ["A", "B"],
            "period": ["2020", "2020"],
            "inflow": [100.0, 900.0],
            "outflow": [300.0, 100.0],
            "gdp": [1e4, 3e3],
            "population": [10.0, 30.0],
            "migrant_stock": [3.0, 0.0],
        }
    )
    out = remittance_measures(panel).set_index("ref_area")
    # net paid = paid − received: positive for a country that pays out (A), as its index is
    assert out.loc["A", "net_paid"] == 200 and out.loc["B", "net_paid"] == -800
    assert out.loc["A", "ratio"] == 3
    assert out.loc["A", "dri"] == pytest.approx(0.5) and out.loc["B", "dri"] == pytest.approx(-0.8)
    assert out.loc["B", "share_gdp"] == pytest.approx(30.0)
    assert out.loc["B", "inflow_per_capita"] == 30 and out.loc["A", "outflow_per_migrant"] == 100


def test_growth_rank_and_ratio_summary() -> None:
    series = pd.Series([100.0, 110.0, 99.0], index=[2021, 2022, 2023])
    assert growth_rate(series).round(6).tolist()[1:] == [10.0, -10.0]
    assert rank_within(pd.Series([5.0, 9.0, 5.0])).tolist() == [2, 1, 2]
    s = ratio_summary(pd.Series([10.0, 30.0], index=[1, 2]), pd.Series([1.0, 2.0], index=[1, 2]))
    assert s["mean_of_ratios"] == 12.5 and s["ratio_of_sums"] == pytest.approx(40 / 3)


def test_indicators_command_json_carries_sources(home: Path) -> None:
    result = CliRunner().invoke(
        main, ["indicators", "--country", "KAZ", "--years", "2021:2022", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    rows = {r["year"]: r for r in body["rows"]}
    assert set(rows) == {2021, 2022}
    assert rows[2022]["outflow_rank"] == 2  # after Russia, among CIS and former members
    assert rows[2022]["dri"] == pytest.approx(
        (rows[2022]["outflow"] - rows[2022]["inflow"])
        / (rows[2022]["outflow"] + rows[2022]["inflow"])
    )
    assert {s["column"] for s in body["sources"]} >= {"inflow", "outflow", "gdp"}


def test_indicators_command_accepts_a_list_of_codes_as_group(home: Path) -> None:
    result = CliRunner().invoke(
        main, ["indicators", "--years", "2022", "--group", "KAZ,UZB,TJK,KGZ", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert frame.loc[0, "outflow_rank"] == 1  # Kazakhstan pays out most within Central Asia


def test_indicators_command_rejects_bad_years_and_codes(home: Path) -> None:
    bad_years = CliRunner().invoke(main, ["indicators", "--years", "2023:2010"])
    assert bad_years.exit_code == 2 and "FIRST:LAST" in bad_years.output
    bad_code = CliRunner().invoke(main, ["indicators", "--country", "KZX"])
    assert bad_code.exit_code == 2 and "'KZX'" in bad_code.output


def test_measures_label_the_immigrant_stock_by_its_own_year(snapshot_store) -> None:
    """(18.14) The 2022 measures carry UN DESA's 2020 stock and say so, row by row."""
    from keruen.analysis.runner import run
    from keruen.analysis.scope import peer_group

    sec = run(snapshot_store, peer_group("UZB"), only=["measures"])["measures"]
    table = sec.tables["measures"]
    stock = snapshot_store.observations("UNDESA_IMS", "migrant_stock", ref_area="UZB")
    stock_years = sorted(int(p) for p in stock["period"] if p.isdigit())
    assert int(table["year"].max()) > stock_years[-1]  # the table's year has no stock of its own
    uzb = table[table["ref_area"] == "UZB"].iloc[0]
    assert uzb["migrant_stock_year"] == sec.values["stock_year"] == stock_years[-1]
    held = table.dropna(subset=["migrant_stock"])
    assert (held["migrant_stock_year"] <= held["year"]).all()
    assert held["migrant_stock_year"].notna().all()
