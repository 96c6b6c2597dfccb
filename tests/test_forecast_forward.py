"""Forward-only scoring of the pooled forecast backtest (issue 18, item 5).

The backtest frames here are SYNTHETIC (seeded random scaled errors for two models), built so
that the model which wins over all origins differs from the one that wins on the origins
before the scored one: the old all-origins selection picks the wrong one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from keruen.models import forecast_backtest as fb
from keruen.models.forecast import DEFAULT_MODEL, calibration, forward_scores


def _backtest(seed: int = 7, n_series: int = 40, bad_origin: int = 2014) -> pd.DataFrame:
    """Synthetic rows: drift errs half as much as naive, except at ``bad_origin`` (x 50)."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_series):
        for o in range(2008, 2016):
            for h in (1, 2, 3):
                base = rng.gamma(2.0, 1.0)
                for m, err in (("naive", base), ("drift", base * (50 if o == bad_origin else 0.5))):
                    rows.append(
                        {"series": f"s{s}", "origin": o, "horizon": h, "model": m,
                         "actual": err, "forecast": 0.0, "scale": 1.0, "scaled_error": err,
                         "covered": True}
                    )
    return pd.DataFrame(rows)


def test_selection_at_an_origin_never_uses_that_origin_or_later_errors() -> None:
    bt = _backtest()
    # the old rule: one winner over every origin, the scored one included -> naive
    assert fb.winner(bt) == "naive"
    scored = fb.forward_only(bt, [2014])
    assert set(scored["model"]) == {"drift"}  # chosen on 2008-2013 errors only
    # errors not yet known at 2014 (the origin itself, later origins, targets after 2014)
    # do not move the choice or the interval
    late = (bt["origin"] >= 2014) | (bt["origin"] + bt["horizon"] > 2014)
    moved = bt.copy()
    moved.loc[late & (moved["model"] == "drift"), "scaled_error"] *= 1000.0
    moved.loc[late & (moved["model"] == "naive"), "scaled_error"] /= 1000.0
    again = fb.forward_only(moved, [2014])
    assert set(again["model"]) == {"drift"}
    np.testing.assert_array_equal(again["q"].to_numpy(), scored["q"].to_numpy())
    # while changing an error known at 2014 (origin 2012, horizon 2: target 2014) moves q
    known = (bt["origin"] == 2012) & (bt["horizon"] == 2) & (bt["model"] == "drift")
    shifted = bt.copy()
    shifted.loc[known, "scaled_error"] += 5.0
    q2 = fb.forward_only(shifted, [2014]).query("horizon == 2")["q"]
    assert (q2 > scored.query("horizon == 2")["q"].to_numpy()).all()


def test_known_at_keeps_only_targets_already_observed() -> None:
    bt = _backtest()
    known = fb.known_at(bt, 2012)
    assert (known["origin"] + known["horizon"] <= 2012).all()
    assert known["origin"].max() == 2011 and known.query("origin == 2010")["horizon"].max() == 2


def test_per_horizon_table_has_one_row_per_horizon_and_all() -> None:
    bt = _backtest(bad_origin=1900)
    scored = fb.forward_only(bt, [2013, 2014, 2015])
    table = fb.per_horizon(scored)
    assert list(table.index) == ["1", "2", "3", "all"]
    assert list(table.columns) == ["model", "mase", "naive_mase", "mase_vs_naive", "coverage", "n"]
    assert table.loc["all", "n"] == table.loc[["1", "2", "3"], "n"].sum() == 3 * 3 * 40
    assert table.loc["all", "model"] == "drift (3)"
    assert table["mase_vs_naive"].to_numpy() == pytest.approx(0.5)
    assert ((table["coverage"] >= 0) & (table["coverage"] <= 1)).all()
    naive = fb.per_horizon(fb.forward_only(bt, [2013, 2014, 2015], model="naive"))
    assert naive["mase_vs_naive"].to_numpy() == pytest.approx(1.0)


def test_the_default_falls_back_to_naive_when_it_does_not_beat_naive_forward_only() -> None:
    bt = _backtest(bad_origin=1900)
    assert fb.default_choice(bt, [2013, 2014, 2015]) == "drift"
    worse = bt.copy()
    drift_late = (worse["model"] == "drift") & (worse["origin"] >= 2013)
    worse.loc[drift_late, "scaled_error"] *= 3.0  # drift still wins overall, loses forward
    assert fb.winner(worse) == "drift"
    assert fb.default_choice(worse, [2013, 2014, 2015]) == "naive"


def test_shipped_forward_only_tables_are_per_horizon_and_name_the_target() -> None:
    fw = calibration()["forward_only"]
    assert fw["scored_origins"][0] > calibration()["origins"][0]
    assert list(fw["protocol"]) == ["1", "2", "3", "all"]
    mine = forward_scores(DEFAULT_MODEL)
    assert list(mine.index) == ["1", "2", "3", "all"]
    ratio = float(mine.loc["all", "mase_vs_naive"])
    # the default beats naive forward only, or it is naive
    assert ratio < 1.0 or DEFAULT_MODEL == "naive"
    assert fw["target_ratio"] == fb.TARGET_RATIO == 0.95
