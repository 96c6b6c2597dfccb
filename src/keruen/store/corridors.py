"""Inputs of the remittance-corridor comparison, read from the store for one year.

World Bank bilateral migrant stocks (``orig`` = country of birth, the receiver of remittances;
``dest`` = host, the sender), remittances received and paid (concepts ``remittances_received``,
``remittances_paid``; a zero is WDI's placeholder for "not reported" and is left out), income
per head (GDP / population) and the World Bank bilateral remittance matrix (US$) to compare
with.  Countries without an income per head are left out and listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from keruen.store.concepts import concept_series
from keruen.store.database import Store


@dataclass(frozen=True)
class CorridorInputs:
    """Allocation inputs and the reference matrix of one year, with the frames used."""

    stocks: pd.DataFrame
    received: pd.Series
    income: pd.Series
    paid: pd.Series
    reference: pd.Series
    used: tuple[pd.DataFrame, ...]
    dropped_no_income: tuple[str, ...]


#: Reads a concept's values: ``(store, concept, areas, periods) -> rows of concept_series``.
SeriesReader = Callable[[Store, str, list[str], list[str]], pd.DataFrame]


def corridor_inputs(
    store: Store, year: str = "2017", remittances: SeriesReader = concept_series
) -> CorridorInputs:
    """Stocks ``orig, dest, stock``, receipts, income per head and the WB matrix for ``year``.

    ``reference`` is indexed by ``(sender, receiver)`` in US$ (the matrix is held in US$
    million); ``used`` ends with the reference matrix. ``remittances`` reads the receipts and
    payments (default: the concept series, newest release; the analysis passes its release
    choice, :func:`keruen.analysis.releases.held_series`).
    """
    wb = store.observations("WB_BILATERAL_MIGRANT_STOCKS", "migrant_stock", period=year)
    stocks = wb.rename(columns={"counterpart_area": "orig", "ref_area": "dest", "value": "stock"})
    countries = sorted(set(stocks["orig"]) | set(stocks["dest"]))
    gdp = concept_series(store, "gdp", countries, [year])
    pop = concept_series(store, "population", countries, [year])
    inc = gdp.set_index("ref_area")["value"] / pop.set_index("ref_area")["value"]
    inc = inc.dropna()
    inc = inc[inc > 0]
    dropped = tuple(sorted(set(countries) - set(inc.index)))
    stocks = stocks[stocks["orig"].isin(inc.index) & stocks["dest"].isin(inc.index)]
    rec = remittances(store, "remittances_received", sorted(set(stocks["orig"])), [year])
    rec = rec[rec["value"].notna() & (rec["value"] != 0)]
    paid = remittances(store, "remittances_paid", sorted(set(stocks["dest"])), [year])
    paid = paid[paid["value"].notna() & (paid["value"] != 0)]
    ref = store.observations("WB_BILATERAL_REMITTANCES", "bilateral_remittances", period=year)
    reference = pd.Series(
        ref["value"].to_numpy() * 1e6,
        index=pd.MultiIndex.from_arrays(
            [ref["counterpart_area"], ref["ref_area"]], names=["sender", "receiver"]
        ),
        name="remittances",
    )
    return CorridorInputs(
        stocks=stocks[["orig", "dest", "stock"]].reset_index(drop=True),
        received=rec.set_index("ref_area")["value"],
        income=inc,
        paid=paid.set_index("ref_area")["value"],
        reference=reference,
        used=(wb, gdp, pop, rec, paid, ref),
        dropped_no_income=dropped,
    )
