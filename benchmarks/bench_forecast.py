"""Backtest: forecast models pooled over every KNOMAD remittance series of the real snapshot.

Run on demand (not part of the test suite; ``tests/test_forecast_backtest.py`` recomputes it):

    PYTHONPATH=src python benchmarks/bench_forecast.py [--limit N] [--write]

Data: REAL, World Bank/KNOMAD remittance inflows and outflows (dataset WB_KNOMAD_REMITTANCES of
the bundled snapshot), every economy with at least 15 years. Origins 2015, 2017, 2019;
horizons 1-3; each model fitted on the trailing run of consecutive years up to the origin.
Prints the pooled MASE of every model (lower is better; the naive forecast is the baseline),
the coverage of the models' own 80 % intervals, and the coverage of split-conformal intervals
calibrated on the other origins (leave one origin out). ``--write`` stores the winner and the
calibrated quantiles (all origins) in ``src/keruen/data/forecast_calibration.json``, which
``keruen.models.forecast`` reads. ``--limit`` uses the first N series only (a quick look).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from keruen.models import forecast_backtest as fb
from keruen.sources.snapshot import open_store

ORIGINS = (2015, 2017, 2019)
OUT = Path(__file__).resolve().parents[1] / "src" / "keruen" / "data" / "forecast_calibration.json"


def knomad_series(store: object, min_years: int = 15) -> tuple[dict, dict]:
    """(series by id, provenance) of the snapshot's KNOMAD inflows and outflows."""
    frame = store.observations(  # type: ignore[attr-defined]
        "WB_KNOMAD_REMITTANCES", ["remittance_inflow", "remittance_outflow"]
    )
    prov = frame[["vintage", "publisher", "licence", "url"]].drop_duplicates().iloc[0].to_dict()
    return fb.series_from_observations(frame, min_years), prov


def run(limit: int | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "snap.duckdb", quiet=True)
        series, prov = knomad_series(store)
        store.close()
    if limit:
        series = dict(list(series.items())[:limit])
    t0 = time.perf_counter()
    bt = fb.pooled_backtest(series, origins=ORIGINS)
    seconds = time.perf_counter() - t0
    table = fb.summarise(bt)
    held = fb.held_out_coverage(bt).groupby("model")[["raw", "calibrated"]].mean()
    table = table.join(
        held.rename(columns={"calibrated": "held_out_calibrated_coverage"})[
            ["held_out_calibrated_coverage"]
        ]
    )
    return {
        "backtest": bt,
        "table": table,
        "winner": fb.winner(bt),
        "quantiles": fb.calibrate(bt),
        "provenance": prov,
        "seconds": seconds,
        "n_series": len(series),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    res = run(args.limit)
    bt, table = res["backtest"], res["table"]
    print(
        f"REAL data: KNOMAD remittances ({res['provenance']['vintage']}), {res['n_series']} "
        f"series, origins {ORIGINS}, horizons 1-3, {len(bt) // bt['model'].nunique()} "
        f"forecasts per model, {res['seconds']:.0f} s"
    )
    naive = table.loc["naive", "mase"]
    print(table.assign(mase_vs_naive=table["mase"] / naive).round(3).to_string())
    print(f"winner (default): {res['winner']}")
    held = fb.held_out_coverage(bt)
    print("80 % coverage per held-out origin (model's own interval / conformal, calibrated on")
    print("the other origins):")
    print(held.pivot(index="model", columns="origin", values=["raw", "calibrated"]).round(3))
    if args.write:
        payload = {
            "description": "pooled rolling-origin backtest of keruen.models.forecast_backtest "
            "on REAL World Bank/KNOMAD remittance series; written by benchmarks/bench_forecast.py",
            "data": {
                **res["provenance"],
                "dataset": "WB_KNOMAD_REMITTANCES",
                "series": res["n_series"],
                "min_years": 15,
            },
            "origins": list(ORIGINS),
            "horizons": [1, 2, 3],
            "winner": res["winner"],
            "scores": {m: {k: float(v) for k, v in row.items()} for m, row in table.iterrows()},
            "levels": list(fb.LEVELS),
            "quantiles": {
                m: {str(h): q for h, q in qs.items()} for m, qs in res["quantiles"].items()
            },
        }
        OUT.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
