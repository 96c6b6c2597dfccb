"""Births, deaths and net migration of countries over a period, from UN WPP 2024 in the store.

One definition for every caller (``keruen estimate flows-from-stocks``, the report's flow
estimates): the calendar-year events of UN World Population Prospects (dataset ``UN_WPP``,
measures ``births``, ``deaths``, ``net_migration`` in thousand persons) summed over the years
``start_year <= year < end_year`` and returned in persons, with the provenance of the values.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from keruen.errors import DataNotAvailableError, InputError
from keruen.store.database import Store

DATASET = "UN_WPP"
MEASURES: tuple[str, ...] = ("births", "deaths", "net_migration")
#: The "rest of the world" region of the flow estimates: every country held but the listed ones.
REST_OF_WORLD = "ROW"
_UNIT_FACTORS = {"thousand persons": 1_000.0, "persons": 1.0}


def vital_events(
    store: Store,
    countries: Sequence[str] | None,
    start_year: int,
    end_year: int,
    *,
    rest: str | None = None,
) -> pd.DataFrame:
    """Births, deaths and net migration per country over ``[start_year, end_year)``, in persons.

    Returns one row per country (``ref_area, births, deaths, net_migration``) and the columns
    ``years``, ``dataset``, ``vintage``, ``publisher``, ``licence`` and ``url`` of the values
    used; ``countries=None`` means every country held.  With ``rest`` (e.g. ``"ROW"``) one more
    row sums every other country held, for a "rest of the world" region; ``REST_OF_WORLD``
    (``"ROW"``) among ``countries`` is read as that region.  Raises
    :class:`InputError` for an empty period and :class:`DataNotAvailableError` naming the
    countries and years not held.
    """
    if int(end_year) <= int(start_year):
        raise InputError(
            f"the period must end after it starts (got {start_year}-{end_year})", field="period"
        )
    years = [str(y) for y in range(int(start_year), int(end_year))]
    wanted = None if countries is None else [str(c).upper() for c in countries]
    if rest is None and wanted is not None and REST_OF_WORLD in wanted:
        rest = REST_OF_WORLD
    if rest is not None and wanted is not None:
        listed = [c for c in wanted if c != rest.upper()]
        inside = vital_events(store, listed, start_year, end_year)
        world = vital_events(store, None, start_year, end_year)
        others = world[~world["ref_area"].isin(listed)]
        row = others[list(MEASURES)].sum().to_frame().T.assign(ref_area=rest)
        return pd.concat(
            [inside, row.assign(**inside.iloc[0][list(inside.columns[4:])])], ignore_index=True
        )
    if not store.vintages(DATASET):
        raise DataNotAvailableError(
            "the store holds no UN WPP births and deaths (dataset UN_WPP, part of the bundled "
            "snapshot); give vital events explicitly"
        )
    obs = store.observations(DATASET, list(MEASURES), ref_area=wanted, period=years)
    unknown_units = sorted(set(obs["unit"]) - set(_UNIT_FACTORS))
    if unknown_units:
        raise DataNotAvailableError(f"UN_WPP values in unexpected units {unknown_units}")
    obs = obs.assign(value=obs["value"] * obs["unit"].map(_UNIT_FACTORS))
    areas = sorted(set(obs["ref_area"])) if wanted is None else wanted
    counts = obs.groupby(["ref_area", "measure"])["period"].nunique().to_dict()
    lacking = [
        f"{a}/{m}"
        for a in areas
        for m in ("births", "deaths")
        if counts.get((a, m), 0) < len(years)
    ]
    if lacking:
        raise DataNotAvailableError(
            f"UN WPP lacks births or deaths for {', '.join(lacking[:8])}"
            f"{' …' if len(lacking) > 8 else ''} in {start_year}-{end_year - 1}"
        )
    table = obs.pivot_table(index="ref_area", columns="measure", values="value", aggfunc="sum")
    table = table.reindex(index=areas, columns=list(MEASURES)).rename_axis(None, axis=1)
    prov = obs[["vintage", "publisher", "licence", "url"]].drop_duplicates()
    out = table.reset_index().assign(
        years=f"{start_year}-{end_year - 1}",
        dataset=DATASET,
        vintage="; ".join(sorted(set(prov["vintage"]))),
        publisher="; ".join(sorted(set(prov["publisher"]))),
        licence="; ".join(sorted(set(prov["licence"]))),
        url="; ".join(sorted(set(prov["url"]))),
    )
    return out
