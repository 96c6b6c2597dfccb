"""Issue 8, item 14: ``keruen query`` shows every dataset ``keruen vintages`` lists.

Stored estimates (rows with a breakdown only), publications' figures (held apart from the
observations) and datasets with both totals and breakdowns; dataset names in any letter case.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.store import Store
from keruen.store.estimates import Estimate, store_estimates
from tests.cli_store import built_store, store_home  # noqa: F401

pytestmark = pytest.mark.usefixtures("store_home")


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _query(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["query", *args])
    return result.exit_code, result.stdout, result.stderr


def _store_synthetic_forecast() -> pd.DataFrame:
    """A SYNTHETIC forecast estimate (seeded random numbers, not a model result), stored the
    way `keruen estimate kazakhstan` stores one: every row carries a breakdown."""
    rng = np.random.default_rng(8)
    rows = []
    for year in (2024, 2025):
        mean = float(rng.uniform(1e8, 5e8))
        for bound, value in (("mean", mean), ("lower", 0.8 * mean), ("upper", 1.2 * mean)):
            rows.append(
                {
                    "measure": "remittances_received_forecast",
                    "ref_area": "KAZ",
                    "breakdown": f"model=naive,bound={bound}",
                    "period": str(year),
                    "value": value,
                    "unit": "current USD",
                }
            )
    est = Estimate(
        model="forecast",
        rows=pd.DataFrame(rows),
        method="synthetic test rows",
        assumptions=("synthetic: seeded random numbers for a CLI test",),
        parameters={"seed": 8},
        title="SYNTHETIC forecast for a CLI test",
    )
    with Store(Path(os.environ["KERUEN_HOME"]) / "keruen.duckdb") as store:
        store_estimates(store, [est])
    return est.rows


def test_stored_estimates_are_queryable_with_all_their_breakdowns() -> None:
    rows = _store_synthetic_forecast()
    code, out, err = _query("keruen_estimates_forecast", "--format", "csv")
    assert code == 0, err
    got = _csv(out)
    assert len(got) == len(rows) == 6
    assert {r["dataset"] for r in got} == {"KERUEN_ESTIMATES_FORECAST"}
    assert {r["obs_status"] for r in got} == {"E"}
    assert {r["breakdown"] for r in got} == set(rows["breakdown"])
    assert sorted(float(r["value"]) for r in got) == pytest.approx(sorted(rows["value"]))


def test_one_breakdown_of_an_estimate() -> None:
    rows = _store_synthetic_forecast()
    code, out, err = _query(
        "KERUEN_ESTIMATES_FORECAST", "--breakdown", "model=naive,bound=mean", "--format", "csv"
    )
    assert code == 0, err
    got = _csv(out)
    expected = rows[rows["breakdown"] == "model=naive,bound=mean"]
    assert [r["period"] for r in got] == ["2024", "2025"]
    assert [float(r["value"]) for r in got] == pytest.approx(list(expected["value"]))


def test_the_papers_figures_are_queryable() -> None:
    code, out, err = _query(
        "paper_kelinbayeva_2025", "--measure", "citizens_in_labour_migration", "--format", "json"
    )
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) >= 1
    first = rows[0]
    assert first["dataset"] == "PAPER_KELINBAYEVA_2025" and first["ref_area"] == "KAZ"
    assert first["value"] > 0 and first["where_in_paper"] and first["vintage"]
    assert first["publisher"] and "licence" in first and "url" in first


def test_totals_by_default_breakdowns_on_request() -> None:
    base = ["kz_bns_population", "--area", "KZ", "--period", "2023", "--format", "csv"]
    code, out, _ = _query(*base)
    totals = _csv(out)
    assert code == 0 and [r["breakdown"] for r in totals] == [""]
    code, out, _ = _query(*base, "--breakdown", "*")
    every = _csv(out)
    assert code == 0 and {r["breakdown"] for r in every} == {"", "sex=female", "sex=male"}
    code, out, _ = _query(*base, "--breakdown", "SEX=FEMALE")
    female = _csv(out)
    assert code == 0 and [r["breakdown"] for r in female] == ["sex=female"]


def test_an_unknown_breakdown_or_dataset_suggests_the_held_one() -> None:
    code, _, err = _query("KZ_BNS_POPULATION", "--breakdown", "sex=femal")
    assert code != 0 and "did you mean sex=female" in err
    code, _, err = _query("WB_WDII")
    assert code == 5 and "did you mean WB_WDI" in err
