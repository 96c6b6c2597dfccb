"""Backtest: forecast models pooled over every KNOMAD remittance series of the real snapshot.

Run on demand (not part of the default test run; ``tests/test_forecast_backtest.py``, in the
``sweep`` group, recomputes it):

    PYTHONPATH=src python benchmarks/bench_forecast.py [--limit N] [--write]

Data: REAL, World Bank/KNOMAD remittance inflows and outflows (dataset WB_KNOMAD_REMITTANCES of
the bundled snapshot, vintage KNOMAD 2023-06), every economy with at least 15 years. Origins
2008-2019, horizons 1-3; each model fitted on the trailing run of consecutive years up to the
origin. Origins 2012-2019 are scored forward only (``forecast_backtest.forward_only``): at each
the model and the conformal interval are chosen from the errors known at that origin (target
year at or before it). Prints the per-horizon table (model, MASE / naive, coverage of the 80 %
interval), the same for each model held fixed, and the coverage per scored origin.
``--write`` stores the default (``default_choice``), every row's scores, the conformal
quantiles (all rows: everything known now) and the forward-only tables in
``src/keruen/data/forecast_calibration.json``, which ``keruen.models.forecast`` reads.
``--limit`` uses the first N series only (a quick look).  ``--candidates`` adds the models
tried and not shipped (``forecast_engines.CANDIDATE_MODELS``) to the set the protocol chooses
from; it cannot be combined with ``--write`` (a candidate has no labels or calibration yet).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd

from keruen.models import forecast_backtest as fb
from keruen.models.forecast_engines import ALL_MODELS, CANDIDATE_MODELS
from keruen.sources.snapshot import open_store

OUT = Path(__file__).resolve().parents[1] / "src" / "keruen" / "data" / "forecast_calibration.json"
LEVEL = 0.8


def knomad_series(store: object, min_years: int = 15) -> tuple[dict, dict]:
    """(series by id, provenance) of the snapshot's KNOMAD inflows and outflows."""
    frame = store.observations(  # type: ignore[attr-defined]
        "WB_KNOMAD_REMITTANCES", ["remittance_inflow", "remittance_outflow"]
    )
    prov = frame[["vintage", "publisher", "licence", "url"]].drop_duplicates().iloc[0].to_dict()
    return fb.series_from_observations(frame, min_years), prov


def run(limit: int | None = None, candidates: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "snap.duckdb", quiet=True)
        series, prov = knomad_series(store)
        store.close()
    if limit:
        series = dict(list(series.items())[:limit])
    t0 = time.perf_counter()
    models = (*ALL_MODELS, *CANDIDATE_MODELS) if candidates else ALL_MODELS
    bt = fb.pooled_backtest(series, origins=fb.ORIGINS, models=models)
    seconds = time.perf_counter() - t0
    return {
        "backtest": bt,
        "table": fb.summarise(bt),
        "default": fb.default_choice(bt),
        "quantiles": fb.calibrate(bt),
        "forward": fb.forward_tables(bt, fb.SCORED, LEVEL),
        "provenance": prov,
        "seconds": seconds,
        "n_series": len(series),
    }


def _records(table: pd.DataFrame) -> dict:
    return {
        str(h): {k: (v if isinstance(v, str) else float(v)) for k, v in row.items()}
        for h, row in table.iterrows()
    }


def payload(res: dict) -> dict:
    """The JSON shipped as ``keruen/data/forecast_calibration.json``."""
    fw = res["forward"]
    return {
        "description": "pooled rolling-origin backtest of keruen.models.forecast_backtest "
        "on REAL World Bank/KNOMAD remittance series; written by benchmarks/bench_forecast.py",
        "data": {
            **res["provenance"],
            "dataset": "WB_KNOMAD_REMITTANCES",
            "series": res["n_series"],
            "min_years": 15,
        },
        "origins": list(fb.ORIGINS),
        "horizons": [1, 2, 3],
        "winner": res["default"],
        "scores": {m: {k: float(v) for k, v in row.items()} for m, row in res["table"].iterrows()},
        "levels": list(fb.LEVELS),
        "quantiles": {m: {str(h): q for h, q in qs.items()} for m, qs in res["quantiles"].items()},
        "forward_only": {
            "scored_origins": list(fb.SCORED),
            "level": LEVEL,
            "target_ratio": fb.TARGET_RATIO,
            "protocol": _records(fw["protocol"]),
            "by_model": {m: _records(t) for m, t in fw["by_model"].items()},
            "coverage_by_origin": {str(o): float(c) for o, c in fw["by_origin"].items()},
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--candidates", action="store_true")
    args = ap.parse_args()
    if args.write and args.candidates:
        ap.error("--candidates is a trial: it cannot be written as the shipped calibration")
    res = run(args.limit, args.candidates)
    bt, fw = res["backtest"], res["forward"]
    print(
        f"REAL data: KNOMAD remittances ({res['provenance']['vintage']}), {res['n_series']} "
        f"series, origins {fb.ORIGINS[0]}-{fb.ORIGINS[-1]}, horizons 1-3, "
        f"{len(bt) // bt['model'].nunique()} forecasts per model, {res['seconds']:.0f} s"
    )
    print(f"forward only, scored origins {fb.SCORED[0]}-{fb.SCORED[-1]}: the protocol")
    print(fw["protocol"].round(3).to_string())
    print("each model held fixed (MASE / naive, 80 % coverage):")
    for m, t in fw["by_model"].items():
        print(
            f"  {m:22s}",
            " ".join(f"h{h} {r.mase_vs_naive:.3f} {r.coverage:.3f}" for h, r in t.iterrows()),
        )
    print("coverage per scored origin:", fw["by_origin"].round(3).to_dict())
    print(f"default: {res['default']}")
    if args.write:
        OUT.write_text(json.dumps(payload(res), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
