"""International migrant stock as a share of the population, over time and by sex where held."""

from __future__ import annotations

import pandas as pd

from keruen.analysis.provenance import merge_sources, source_line
from keruen.analysis.scope import Scope, peer_group
from keruen.analysis.section import Section, not_held
from keruen.store import Store
from keruen.store.concepts import concept_series

#: Breakdowns of the UN DESA totals by sex, as stored, and their columns.
SEXES = {"sex=female": "female", "sex=male": "male"}
#: Columns of the section's ``shares`` table.
COLUMNS = [
    "year", "migrant_stock", "population", "share", "female", "male", "female_pct",
]  # fmt: skip


def _by_year(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    held = frame.dropna(subset=["value"])
    return pd.DataFrame(
        {"year": held["period"].astype(int).to_numpy(), column: held["value"].astype(float)}
    )


def _by_sex(store: Store, country: str) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """The UN DESA migrant stock of ``country`` by sex: ``year, female, male`` and sources."""
    rows = store.observations(
        "UNDESA_IMS", "migrant_stock", country, "WLD", breakdown="*"
    )
    rows = rows[rows["breakdown"].isin(list(SEXES))].dropna(subset=["value"])
    if rows.empty:
        return pd.DataFrame(columns=["year", "female", "male"]), []
    wide = rows.assign(year=rows["period"].astype(int), sex=rows["breakdown"].map(SEXES))
    table = wide.pivot_table(index="year", columns="sex", values="value", aggfunc="first")
    table = table.reindex(columns=list(SEXES.values())).reset_index()
    table.columns.name = None
    return table, source_line(rows)


def migrant_share(store: Store, scope: Scope) -> Section:
    """International migrant stock as a percentage of the population, by year.

    ``share = 100 × migrant_stock / population``, where the migrant stock is UN DESA's
    International Migrant Stock (concept ``migrant_stock``: foreign-born or foreign citizens
    living in the country, mid-year) and the population is the World Bank's SP.POP.TOTL
    (concept ``population``), in the years both are held. Where UN DESA gives the stock by sex,
    ``female`` and ``male`` are the migrants of each sex and
    ``female_pct = 100 × female / (female + male)`` the women's share of the migrants.
    """
    country = scope.country
    stock = concept_series(store, "migrant_stock", [country])
    population = concept_series(store, "population", [country])
    if stock.dropna(subset=["value"]).empty:
        return not_held("migrant_share", country, "migrant_stock")
    if population.dropna(subset=["value"]).empty:
        return not_held("migrant_share", country, "population")
    shares = _by_year(stock, "migrant_stock").merge(
        _by_year(population, "population"), on="year", how="inner"
    )
    if shares.empty:
        return not_held("migrant_share", country, "population")
    shares["share"] = 100.0 * shares["migrant_stock"] / shares["population"]
    sexes, sex_sources = _by_sex(store, country)
    shares = shares.merge(sexes, on="year", how="left")
    shares["female_pct"] = 100.0 * shares["female"] / (shares["female"] + shares["male"])
    shares = shares[COLUMNS].sort_values("year").reset_index(drop=True)
    first, last = shares.iloc[0], shares.iloc[-1]
    values: dict[str, object] = {
        "country": country,
        "first_year": int(first["year"]),
        "first_share": float(first["share"]),
        "last_year": int(last["year"]),
        "last_share": float(last["share"]),
        "last_stock": float(last["migrant_stock"]),
        "by_sex": bool(shares["female_pct"].notna().any()),
        "last_female_pct": None if pd.isna(last["female_pct"]) else float(last["female_pct"]),
    }
    sources = merge_sources(source_line(stock), sex_sources, source_line(population))
    return Section("migrant_share", {"shares": shares}, values, sources)


def shares_of(store: Store, countries: list[str]) -> pd.DataFrame:
    """The ``shares`` table of :func:`migrant_share` for each of ``countries``, stacked.

    Columns ``ref_area`` + :data:`COLUMNS`; a country whose stock or population is not held
    has no row. ``attrs["sources"]`` lists the sources of every country's rows.
    """
    parts, sources = [], []
    for country in countries:
        section = migrant_share(store, peer_group(country))
        if section.held:
            parts.append(section.tables["shares"].assign(ref_area=country))
            sources.append(section.sources)
    if not parts:
        frame = pd.DataFrame(columns=["ref_area", *COLUMNS])
    else:
        frame = pd.concat(parts, ignore_index=True)[["ref_area", *COLUMNS]]
    frame.attrs["sources"] = merge_sources(*sources)
    return frame
