"""Birthplace × residence stock tables of a closed world of all countries, for flow estimates.

Abel & Cohen (2019) estimate global flows from the UN DESA bilateral stocks over every
country at once, each with its UN WPP births and deaths, instead of a few partners plus a
"rest of the world" box. The stocks and WPP disagree; this module states how the disagreement
is handled:

* **Areas**: those with foreign-born stocks, a start population and WPP births, deaths and net
  migration. Stocks of people born in (or living in) another area are left out and counted
  (``outside_start``/``outside_end``: residents born outside the closed world count with the
  native born of their residence).
* **Residence totals**: the start population ``P0`` as given (World Bank); the end population is
  WPP's own balance ``P1 = P0 + B − D + N`` (``N``: WPP net migration over the period), so the
  accounting closes on each country's WPP net migration. WPP's nets of the areas kept do not
  sum to zero (the areas left out carry the rest): the difference is spread over the areas in
  proportion to ``P0`` (``closing_adjustment``), so the world is closed.
* **Native born**: residence total minus the foreign-born stock held; where the foreign born
  exceed the total, the total is raised to them (``raised_start``/``raised_end``) and that
  area's net no longer equals WPP's.

What remains, the per-birthplace mismatch between the stocks and births and deaths, is left
to the estimator's stated treatment (``birthplace_totals``) and measured per birthplace
(:func:`birthplace_mismatch`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from keruen.errors import InputError


@dataclass(frozen=True)
class ClosedWorld:
    """Stock tables (birthplace × residence) of a closed world and the adjustments made."""

    stock_start: pd.DataFrame
    stock_end: pd.DataFrame
    births: pd.Series
    deaths: pd.Series
    areas: tuple[str, ...]
    left_out: tuple[str, ...]
    adjustments: pd.DataFrame


def _foreign(bilateral: pd.DataFrame, areas: list[str]) -> pd.DataFrame:
    keep = bilateral["orig"].isin(areas) & bilateral["dest"].isin(areas)
    b = bilateral[keep & (bilateral["orig"] != bilateral["dest"])]
    wide = b.pivot_table(index="orig", columns="dest", values="stock", aggfunc="sum")
    return wide.reindex(index=areas, columns=areas).fillna(0.0).astype(float)


def closed_world(
    start: pd.DataFrame, end: pd.DataFrame, population: pd.Series, vitals: pd.DataFrame
) -> ClosedWorld:
    """Stock tables over every area held in all inputs (see the module docstring).

    ``start``/``end``: bilateral stocks ``orig, dest, stock`` (born in ``orig``, living in
    ``dest``); ``population``: start population by area; ``vitals``: ``births``, ``deaths``,
    ``net_migration`` over the period by area (index). Raises :class:`InputError` when no
    area is held in every input.
    """
    held = set(start["dest"]) | set(start["orig"])
    pop = population.dropna()
    pop = pop[pop > 0]
    need = ["births", "deaths", "net_migration"]
    vit = vitals[need].dropna()
    areas = sorted(held & set(pop.index) & set(vit.index))
    if len(areas) < 2:
        raise InputError("fewer than two areas have stocks, population and vital events")
    left_out = tuple(sorted((held | set(vit.index)) - set(areas)))
    f0, f1 = _foreign(start, areas), _foreign(end, areas)
    p0 = pop.reindex(areas).astype(float)
    v = vit.reindex(areas).astype(float)
    net = v["net_migration"]
    closing = -float(net.sum()) * p0 / float(p0.sum())
    p1 = p0 + v["births"] - v["deaths"] + net + closing
    s0, s1 = f0.copy(), f1.copy()
    raised = {}
    for mat, tot, when in ((s0, p0, "start"), (s1, p1, "end")):
        native = tot - mat.sum(axis=0)
        # a foreign-born stock above the population: the residence total is raised to it (no
        # native born), said per area; there the net cannot equal WPP's
        raised[when] = (-native).clip(lower=0.0)
        mat.values[np.diag_indices(len(areas))] = native.clip(lower=0.0).to_numpy()

    def outside(b: pd.DataFrame) -> pd.Series:
        o = b[b["dest"].isin(areas) & ~b["orig"].isin(areas)]
        return o.groupby("dest")["stock"].sum().reindex(areas).fillna(0.0)

    adjustments = pd.DataFrame(
        {
            "start_population": p0,
            "wpp_net_migration": net,
            "closing_adjustment": closing,
            "end_population": p1,
            "outside_start": outside(start),
            "outside_end": outside(end),
            "raised_start": raised["start"],
            "raised_end": raised["end"],
        }
    ).rename_axis("area")
    return ClosedWorld(s0, s1, v["births"], v["deaths"], tuple(areas), left_out, adjustments)


def birthplace_mismatch(world: ClosedWorld) -> pd.DataFrame:
    """Per birthplace: how far the stocks' change departs from births and deaths.

    ``gap = (S1 row − births) − (S0 row − deaths of its people)``, deaths taken in proportion to
    the stocks of each residence (the estimator's assumption); ``share_abroad`` is the gap as a
    share of the birthplace's stock living abroad, the cells a rescaling would have to move.
    """
    s0, s1 = world.stock_start, world.stock_end
    death_rate = world.deaths / s0.sum(axis=0)
    deaths_of = (s0 * death_rate.to_numpy()[None, :]).sum(axis=1)
    gap = (s1.sum(axis=1) - world.births) - (s0.sum(axis=1) - deaths_of)
    abroad = s0.sum(axis=1) - pd.Series(np.diag(s0.to_numpy()), index=s0.index)
    share = gap / abroad.where(abroad > 0)
    return pd.DataFrame({"gap": gap, "abroad": abroad, "share_abroad": share}).rename_axis(
        "birthplace"
    )
