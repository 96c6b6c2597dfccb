"""Flows from stocks agree with the reference R implementation migest 2.0.x.

The reference values in tests/data/migest_ffs/ were produced by generate_references.R there
(see its README for provenance); nothing here is typed in by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from keruen.models.flows_from_stocks import demographic_accounting, stock_difference

DATA = Path(__file__).parent / "data" / "migest_ffs"
RTOL = 1e-3
ATOL = 1e-6  # cells that are zero in migest must be (numerically) zero here too

CASES = pd.read_csv(DATA / "cases.csv")
STOCKS = pd.read_csv(DATA / "stocks.csv")
VITALS = pd.read_csv(DATA / "vitals.csv")
DEMO = pd.read_csv(DATA / "flows_demo.csv")
DIFF = pd.read_csv(DATA / "flows_diff.csv")


def _inputs(case: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    st = STOCKS[STOCKS["case"] == case]
    mats = [
        st[st["time"] == t].pivot(index="birthplace", columns="residence", values="stock")
        for t in ("start", "end")
    ]
    vit = VITALS[VITALS["case"] == case].set_index("region")
    return mats[0], mats[1], vit["births"], vit["deaths"]


def test_reference_set_covers_documented_examples_and_5_to_15_regions() -> None:
    assert CASES["case"].str.startswith("doc_").sum() >= 7
    sizes = CASES.loc[CASES["case"].str.startswith("random_"), "n"]
    assert len(sizes) >= 20 and sizes.min() == 5 and sizes.max() == 15


@pytest.mark.parametrize("case", CASES["case"].tolist())
@pytest.mark.filterwarnings("ignore::keruen.models.flows_from_stocks.BalanceWarning")
def test_demographic_accounting_matches_migest_ffs_demo(case: str) -> None:
    row = CASES.set_index("case").loc[case]
    s0, s1, b, d = _inputs(case)
    res = demographic_accounting(
        s0, s1, b, d, stayers=bool(row["stayers"]), birthplace_totals=row["birthplace_totals"]
    )
    ref = DEMO[DEMO["case"] == case]
    pos = {r: i for i, r in enumerate(res.regions)}
    got = res.flows[
        ref["orig"].map(pos).to_numpy(),
        ref["dest"].map(pos).to_numpy(),
        ref["birthplace"].map(pos).to_numpy(),
    ]
    np.testing.assert_allclose(got, ref["flow"].to_numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("case", CASES["case"].tolist())
@pytest.mark.parametrize("decrease", ["zero", "return"])
def test_stock_difference_matches_migest_ffs_diff(case: str, decrease: str) -> None:
    s0, s1, _, _ = _inputs(case)
    res = stock_difference(s0, s1, returns=decrease == "return")
    ref = DIFF[(DIFF["case"] == case) & (DIFF["decrease"] == decrease)]
    got = res.od.stack().rename("got").reset_index()
    merged = ref.merge(got, on=["orig", "dest"], validate="one_to_one")
    np.testing.assert_allclose(merged["got"], merged["flow"], rtol=RTOL, atol=ATOL)
