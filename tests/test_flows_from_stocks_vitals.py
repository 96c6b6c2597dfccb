"""Flows from stocks need real vital events: zeros that contradict the stocks are refused.

Real data: UN DESA bilateral stocks (2010, 2015) of Kazakhstan and four partners, World Bank
populations, UN WPP 2024 births and deaths, all from the bundled snapshot.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.errors import DataNotAvailableError, InputError
from keruen.models.flows_from_stocks import (
    BalanceWarning,
    demographic_accounting,
    flows_from_stocks,
)
from keruen.models.synthetic import stocks_from_flows
from keruen.store import Store
from keruen.store.vitals import vital_events

REGIONS = ["KAZ", "RUS", "UZB", "KGZ", "TJK"]


def _stocks(store: Store, year: str) -> pd.DataFrame:
    obs = store.observations(
        "UNDESA_IMS", "migrant_stock", ref_area=REGIONS, counterpart_area=REGIONS, period=year
    )
    mat = obs.pivot_table(
        index="counterpart_area", columns="ref_area", values="value", aggfunc="sum"
    )
    mat = mat.reindex(index=REGIONS, columns=REGIONS).fillna(0.0)
    pop = store.observations("WB_WDI", "SP.POP.TOTL", ref_area=REGIONS, period=year)
    pop = pop.set_index("ref_area")["value"]
    for c in REGIONS:
        mat.loc[c, c] = pop[c] - mat[c].drop(c).sum()
    return mat


def test_vital_events_read_un_wpp_with_provenance(snapshot_store: Store) -> None:
    ev = vital_events(snapshot_store, ["kaz", "RUS"], 2010, 2015)
    assert list(ev["ref_area"]) == ["KAZ", "RUS"]
    kaz = snapshot_store.observations("UN_WPP", "births", "KAZ", period=["2010", "2011"])
    assert len(kaz) == 2
    # five calendar years summed, thousands turned into persons
    assert ev.loc[0, "births"] > 5 * 0.8 * kaz["value"].min() * 1000
    assert set(ev["vintage"]) == {"WPP 2024"} and set(ev["licence"]) == {"CC BY 3.0 IGO"}
    assert ev["publisher"].str.contains("Population Division").all()
    world = vital_events(snapshot_store, ["KAZ"], 2010, 2015, rest="ROW")
    every = vital_events(snapshot_store, None, 2010, 2015)
    assert list(world["ref_area"]) == ["KAZ", "ROW"]
    assert world["births"].sum() == pytest.approx(every["births"].sum())
    with pytest.raises(DataNotAvailableError, match="XXK"):
        vital_events(snapshot_store, ["XXK"], 2010, 2015)
    with pytest.raises(InputError, match="end after it starts"):
        vital_events(snapshot_store, ["KAZ"], 2015, 2015)


def test_zero_births_and_deaths_that_contradict_the_stocks_are_refused(
    snapshot_store: Store,
) -> None:
    s0, s1 = _stocks(snapshot_store, "2010"), _stocks(snapshot_store, "2015")
    zeros = pd.Series(0.0, index=REGIONS)
    with pytest.raises(InputError, match="contradict the stocks"):
        demographic_accounting(s0, s1, zeros, zeros)
    with pytest.raises(InputError, match="contradict the stocks"):
        flows_from_stocks(s0, s1)  # no vital events at all means zeros too


def test_un_wpp_vital_events_give_the_corridors_zeros_erased(snapshot_store: Store) -> None:
    s0, s1 = _stocks(snapshot_store, "2010"), _stocks(snapshot_store, "2015")
    ev = vital_events(snapshot_store, REGIONS, 2010, 2015).set_index("ref_area")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BalanceWarning)  # five countries are not a closed world
        res = flows_from_stocks(s0, s1, ev["births"], ev["deaths"])
    od = res.od
    for orig in ("UZB", "KAZ", "TJK"):
        assert od.loc[orig, "RUS"] > 10_000, orig
    gap = res.parameters["balance_gap"]
    assert abs(gap) < 0.02 * s0.to_numpy().sum()


def test_a_balance_that_cannot_be_reconciled_warns() -> None:
    syn = stocks_from_flows(3, n_regions=5, vital=True)
    assert syn.stock_start.attrs["synthetic"]
    births = syn.births * 5.0  # far more births than the stocks' change allows
    with pytest.warns(BalanceWarning, match="differ by"):
        demographic_accounting(syn.stock_start, syn.stock_end, births, syn.deaths)
    with warnings.catch_warnings():
        warnings.simplefilter("error", BalanceWarning)  # consistent events: no warning
        demographic_accounting(syn.stock_start, syn.stock_end, syn.births, syn.deaths)


def test_cli_uses_un_wpp_when_no_vital_events_are_given(
    snapshot_store: Store, home: Path, tmp_path: Path
) -> None:
    for name, year in (("s0", "2010"), ("s1", "2015")):
        long = _stocks(snapshot_store, year).stack().rename("stock")
        long.rename_axis(["birthplace", "residence"]).reset_index().to_csv(
            tmp_path / f"{name}.csv", index=False
        )
    args = ["estimate", "flows-from-stocks", "--stock-start", str(tmp_path / "s0.csv")]
    args += ["--stock-end", str(tmp_path / "s1.csv")]
    res = CliRunner().invoke(main, [*args, "--period", "2010:2015"])
    assert res.exit_code == 0, res.output
    assert "births and deaths: United Nations" in res.stderr and "WPP 2024" in res.stderr
    flows = pd.read_csv(pd.io.common.StringIO(res.stdout))
    uzb_rus = flows[(flows["orig"] == "UZB") & (flows["dest"] == "RUS")]["flow"]
    assert np.all(uzb_rus > 10_000)
    missing = CliRunner().invoke(main, args)
    assert missing.exit_code == 2 and "--period" in missing.stderr


def test_cli_refuses_zero_files_that_contradict_the_stocks(
    snapshot_store: Store, tmp_path: Path
) -> None:
    for name, year in (("s0", "2010"), ("s1", "2015")):
        long = _stocks(snapshot_store, year).stack().rename("stock")
        long.rename_axis(["birthplace", "residence"]).reset_index().to_csv(
            tmp_path / f"{name}.csv", index=False
        )
    for what in ("births", "deaths"):
        pd.DataFrame({"region": REGIONS, what: 0}).to_csv(tmp_path / f"{what}.csv", index=False)
    args = ["estimate", "flows-from-stocks", "--stock-start", str(tmp_path / "s0.csv")]
    args += ["--stock-end", str(tmp_path / "s1.csv"), "--births", str(tmp_path / "births.csv")]
    res = CliRunner().invoke(main, [*args, "--deaths", str(tmp_path / "deaths.csv")])
    assert res.exit_code == 3
    assert res.stderr.startswith("keruen: error:") and "contradict the stocks" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_cli_accepts_the_reports_rest_of_world_region(
    snapshot_store: Store, home: Path, tmp_path: Path
) -> None:
    """(18.13) The report's regions, ROW included, run from the command line with --period."""
    from keruen.analysis.flows_from_stocks import REST, stock_matrix
    from keruen.analysis.stocks import bilateral_stocks
    from keruen.store.concepts import concept_series

    regions = ["KAZ", "RUS", "UZB", "DEU"]
    pops = concept_series(snapshot_store, "population", [*regions, "WLD"], ["2010", "2015"])
    pop = pops.pivot(index="period", columns="ref_area", values="value")
    mats = {}
    for name, year in (("s0", "2010"), ("s1", "2015")):
        mats[name] = stock_matrix(bilateral_stocks(snapshot_store, year), pop.loc[year], regions)
        long = mats[name].stack().rename("stock").rename_axis(["birthplace", "residence"])
        long.reset_index().to_csv(tmp_path / f"{name}.csv", index=False)
    args = ["estimate", "flows-from-stocks", "--stock-start", str(tmp_path / "s0.csv")]
    args += ["--stock-end", str(tmp_path / "s1.csv"), "--period", "2010:2015"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.stderr
    got = pd.read_csv(pd.io.common.StringIO(res.stdout)).set_index(["orig", "dest"])["flow"]
    ev = vital_events(snapshot_store, regions, 2010, 2015, rest=REST).set_index("ref_area")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BalanceWarning)
        want = flows_from_stocks(mats["s0"], mats["s1"], ev["births"], ev["deaths"]).to_frame()
    want = want.set_index(["orig", "dest"])["flow"]
    assert (REST, "KAZ") in got.index and got[(REST, "KAZ")] > 0
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), rtol=1e-6)
