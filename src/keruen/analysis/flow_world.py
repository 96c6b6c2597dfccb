"""Migrant flows of the whole world, estimated once per store from UN DESA bilateral stocks.

Every consecutive pair of UN DESA periods with country-to-country stocks is turned into a closed
world of all countries (:func:`keruen.models.closed_world.closed_world`: World Bank start
population, UN WPP 2024 births, deaths and net migration) and estimated by demographic
accounting (:func:`keruen.models.flows_from_stocks.demographic_accounting`). Each country's
``flows`` section reads its rows and columns; the whole run takes some 15 s per period.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from keruen.analysis.stocks import bilateral_periods, bilateral_stocks
from keruen.errors import InputError
from keruen.models.closed_world import birthplace_mismatch, closed_world
from keruen.models.flows_from_stocks import (
    BalanceWarning,
    FlowsFromStocksResult,
    demographic_accounting,
)
from keruen.models.pseudo_bayes import pseudo_bayes_accounting
from keruen.store import Store
from keruen.store.concepts import concept_series
from keruen.store.vitals import vital_events


#: Estimators of the closed world: minimum migration (default) or pseudo-Bayes.
WorldMethod = Literal["demo", "pseudo-bayes"]


@dataclass(frozen=True)
class WorldPeriod:
    """One period of the world estimate: flows, the stocks' foreign-born change, adjustments."""

    label: str
    years: str
    od: pd.DataFrame
    growth: pd.DataFrame
    adjustments: pd.DataFrame
    mismatch: pd.DataFrame
    parameters: dict[str, object]


@dataclass(frozen=True)
class FlowWorld:
    """The closed-world flow estimate of every period, with what it was made from."""

    periods: tuple[WorldPeriod, ...]
    method: str
    assumptions: tuple[str, ...]
    left_out: tuple[str, ...]
    used: tuple[pd.DataFrame, ...]


def world_flows(store: Store, method: WorldMethod = "demo") -> FlowWorld:
    """Closed-world demographic accounting of every UN DESA period pair held (see module doc).

    ``method``: ``demo`` (default, minimum migration) or ``pseudo-bayes`` (Azose & Raftery
    2019, :func:`keruen.models.pseudo_bayes.pseudo_bayes_accounting`; twice the run time).
    docs/models.md compares the two and says why ``demo`` is the default.
    """
    if method not in ("demo", "pseudo-bayes"):
        raise InputError(f"unknown method {method!r}; use demo or pseudo-bayes", field="method")
    estimator: Callable[..., FlowsFromStocksResult] = (
        pseudo_bayes_accounting if method == "pseudo-bayes" else demographic_accounting
    )
    periods = sorted(p for p in bilateral_periods(store) if p.isdigit())
    out: list[WorldPeriod] = []
    used: list[pd.DataFrame] = []
    described, assumptions, left_out = "", (), ()
    stocks = {p: bilateral_stocks(store, p) for p in periods}
    used += list(stocks.values())
    for start, end in zip(periods[:-1], periods[1:], strict=True):
        ev = vital_events(store, None, int(start), int(end))
        areas = sorted(set(stocks[start]["orig"]) | set(stocks[start]["dest"]))
        pop = concept_series(store, "population", areas, [start])
        used += [pop, ev]
        world = closed_world(
            stocks[start], stocks[end], pop.set_index("ref_area")["value"], ev.set_index("ref_area")
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BalanceWarning)  # measured in the parameters
            res = estimator(world.stock_start, world.stock_end, world.births, world.deaths)
        f0, f1 = world.stock_start.to_numpy(), world.stock_end.to_numpy()
        growth = pd.DataFrame(f1 - f0, index=world.areas, columns=world.areas)
        np.fill_diagonal(growth.values, 0.0)
        out.append(
            WorldPeriod(
                label=f"{start}-{end}",
                years=str(ev["years"].iloc[0]),
                od=res.od,
                growth=growth,
                adjustments=world.adjustments,
                mismatch=birthplace_mismatch(world),
                parameters=dict(res.parameters) | {"areas": len(world.areas)},
            )
        )
        described, assumptions, left_out = res.method, res.assumptions, world.left_out
    return FlowWorld(tuple(out), described, tuple(assumptions), tuple(left_out), tuple(used))
