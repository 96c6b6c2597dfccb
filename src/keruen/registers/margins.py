"""Published margins a synthetic register is calibrated to, read from the store.

* origins: labour immigrants who arrived in Kazakhstan in 2022 by citizenship, as stated in
  Kelinbayeva et al. (2025), Figure 5 (``paper_figures``, dataset PAPER_KELINBAYEVA_2025);
  the part of the total not attributed to a named country is split equally among
  :data:`OTHER_ORIGINS` (an assumption: the paper names no further origins);
* regions: shares of international labour migrants by region in 2023 (same paper, Results);
  the share not attributed to a named region is split among the other regions in proportion
  to their resident population (BNS, dataset KZ_BNS_POPULATION, latest year held);
* quota: the foreign-worker quota by year (same paper), linear between stated years and
  constant beyond them; it sets the number of quota work permits per year, as a share of the
  paper's 400,000 yearly labour immigrants.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from keruen.areas import group_members
from keruen.errors import DataNotAvailableError
from keruen.store import Store

PAPER = "PAPER_KELINBAYEVA_2025"
POPULATION = "KZ_BNS_POPULATION"
#: Origins beside those the paper names, sharing the rest of the total equally (assumption).
OTHER_ORIGINS: tuple[str, ...] = (
    "RUS", "CHN", "TUR", "AZE", "UKR", "IND", "KOR", "BLR", "ARM", "MNG", "AFG", "PAK",
)  # fmt: skip


@dataclass(frozen=True)
class Margins:
    """Target margins: yearly arrivals by citizenship, regional shares, quota by year."""

    citizenship: pd.Series  # persons per year, index: ISO alpha-3
    region: pd.Series  # shares summing to 1, index: ISO 3166-2:KZ
    quota: dict[int, float]  # quota work permits per year (persons)
    eaeu: tuple[str, ...]  # citizenships that need no permit
    inputs: tuple[dict[str, str], ...] = field(default=())

    @property
    def yearly_total(self) -> float:
        """Labour immigrants per year (the paper's total)."""
        return float(self.citizenship.sum())

    def quota_share(self, year: int) -> float:
        """Share of a year's arrivals holding a quota work permit (quota ÷ yearly total)."""
        years = sorted(self.quota)
        value = float(np.interp(year, years, [self.quota[y] for y in years]))
        return value / self.yearly_total


def _paper_values(store: Store, measure: str) -> pd.DataFrame:
    figures = store.paper_figures()
    rows = figures[figures["measure"] == measure]
    if rows.empty:
        raise DataNotAvailableError(f"the store holds no paper figure {measure!r} ({PAPER})")
    return rows


def from_store(store: Store) -> Margins:
    """Read the calibration margins (see the module docstring) from ``store``."""
    arrived = _paper_values(store, "labour_immigrants_arrived")
    by_origin = arrived.set_index("counterpart_area")["value"].astype(float)
    total = float(by_origin.pop("WLD"))
    rest = total - float(by_origin.sum())
    others = [c for c in OTHER_ORIGINS if c not in by_origin.index]
    citizenship = pd.concat(
        [by_origin, pd.Series(rest / len(others), index=others, dtype=float)]
    ).sort_index()

    shares = _paper_values(store, "labour_migrants_regional_share")
    named = shares.set_index("ref_area")["value"].astype(float) / 100.0
    pop = store.observations(POPULATION, "population")
    pop = pop[pop["ref_area"].str.startswith("KZ-")]
    if pop.empty:
        raise DataNotAvailableError(f"the store holds no regional population ({POPULATION})")
    latest = pop["period"].max()
    pop = pop[pop["period"] == latest].set_index("ref_area")["value"].astype(float)
    others_r = pop.drop(index=[r for r in named.index if r in pop.index])
    region = pd.concat([named, others_r / others_r.sum() * (1.0 - named.sum())]).sort_index()

    quota_rows = _paper_values(store, "foreign_workers_quota")
    quota = {
        int(p): float(v) for p, v in zip(quota_rows["period"], quota_rows["value"], strict=True)
    }

    vint = store.sources()
    vint = vint[vint["dataset"].isin([PAPER, POPULATION])]
    inputs = [
        {"dataset": str(r.dataset), "vintage": str(r.vintage), "release": str(r.release)}
        for r in vint.itertuples()
    ]
    eaeu = tuple(c for c in group_members("eaeu") if c != "KAZ")
    return Margins(citizenship, region, quota, eaeu, tuple(inputs))
