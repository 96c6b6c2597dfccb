"""``keruen indicators``: remittance and labour-migration measures per country and year."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from keruen.cli.output import emit, format_option
from keruen.cli.params import AreaList, YearRange, Years, closest, did_you_mean, flat

if TYPE_CHECKING:
    import pandas as pd

    from keruen.store import Store


#: Units of the indicator columns (shown in the table's headers).
UNITS = {
    "inflow": "US$",
    "outflow": "US$",
    "net": "US$",
    "ratio": "outflow/inflow",
    "dri": "index",
    "share_gdp": "% of GDP",
    "inflow_per_capita": "US$ per person",
    "outflow_per_migrant": "US$ per immigrant",
    "inflow_growth_pct": "%",
    "outflow_growth_pct": "%",
}


def _held_years(store: Store, countries: list[str]) -> list[int]:
    """Years with a remittance inflow or outflow held for any of ``countries``."""
    from keruen.store.concepts import concept_series

    years: set[int] = set()
    for concept in ("remittances_received", "remittances_paid"):
        series = concept_series(store, concept, countries)
        years.update(int(p) for p in series["period"] if str(p).isdigit())
    return sorted(years)


def _provenance(store: Store, countries: list[str], years: list[int]) -> pd.DataFrame:
    """Per country and year, where each input value came from.

    Columns ``<input>_source`` (dataset/measure), ``_vintage``, ``_unit``, ``_publisher``,
    ``_licence``, ``_url`` for each input of the panel (inflow, outflow, gdp, population,
    migrant_stock), as chosen by :func:`keruen.store.concepts.concept_series`.
    """
    import pandas as pd

    from keruen.store.concepts import concept_series
    from keruen.store.panels import PANEL_CONCEPTS

    index = pd.MultiIndex.from_product([countries, years], names=["ref_area", "year"])
    out = pd.DataFrame(index=index).reset_index()
    for column, concept in PANEL_CONCEPTS.items():
        series = concept_series(store, concept, countries, [str(y) for y in years])
        part = pd.DataFrame(
            {
                "ref_area": series["ref_area"],
                "year": series["period"].astype(int),
                f"{column}_source": series["dataset"] + "/" + series["measure"],
                f"{column}_vintage": series["vintage"],
                f"{column}_unit": series["unit"],
                f"{column}_publisher": series["publisher"],
                f"{column}_licence": series["licence"],
                f"{column}_url": series["url"],
            }
        )
        out = out.merge(part, on=["ref_area", "year"], how="left")
    return out


@click.command()
@click.option(
    "--country",
    "countries",
    multiple=True,
    type=AreaList(("country", "aggregate"), expand_groups=True),
    default=["KAZ"],
    show_default=True,
    help="Countries: ISO alpha-3 (or alpha-2) codes, any case, comma-separated or repeated; "
    "a group name (cis) stands for its members.",
)
@click.option(
    "--years",
    type=YearRange(),
    default="2010:",
    show_default=True,
    help="FIRST:LAST (an open end means the first/last year held), a year or a list.",
)
@click.option(
    "--group",
    default="cis_and_former",
    show_default=True,
    help="Group for the ranks: post_soviet, cis, cis_and_former, central_asia, eaeu, "
    "or a comma-separated list of ISO alpha-3 codes.",
)
@format_option
def indicators(countries: tuple[tuple[str, ...], ...], years: Years, group: str, fmt: str) -> None:
    """Remittance measures of countries by year, with their sources.

    Inflow, outflow, net, ratio, donor–recipient index, % of GDP, per capita, per immigrant,
    growth and rank within a group.
    """
    import json

    from keruen.areas import group_members, groups
    from keruen.errors import UnknownAreaError
    from keruen.indicators.remittances import growth_rate, rank_within, remittance_measures
    from keruen.sources.snapshot import open_store
    from keruen.store.panels import remittance_panel

    chosen = flat(countries)
    if "," in group or group.lower() not in groups():
        try:
            group_list = list(AreaList(("country", "aggregate")).convert(group, None, None))
        except UnknownAreaError as exc:
            near = closest(group, groups())
            reason = f"unknown group {group!r}{did_you_mean(near)}" if near else str(exc)
            raise UnknownAreaError(
                f"--group: {reason.removeprefix('value: ')} (groups: {', '.join(sorted(groups()))})"
            ) from None
    else:
        group_list = list(group_members(group.lower()))
    members = list(dict.fromkeys([*group_list, *chosen]))
    with open_store() as store:
        year_list = years.resolve(_held_years(store, chosen), "--years")
        panel, sources = remittance_panel(store, members, year_list)
        provenance = _provenance(store, chosen, year_list) if fmt != "table" else None
    measures = remittance_measures(panel)
    for col in ("inflow", "outflow"):
        measures[f"{col}_rank"] = measures.groupby("year")[col].transform(rank_within)
        measures[f"{col}_growth_pct"] = measures.groupby("ref_area", group_keys=False)[col].apply(
            lambda s: growth_rate(s.set_axis(measures.loc[s.index, "year"])).set_axis(s.index)
        )
    out = measures[measures["ref_area"].isin(chosen)].drop(columns=["period"])
    cols = [
        "ref_area",
        "year",
        "inflow",
        "outflow",
        "net",
        "ratio",
        "dri",
        "share_gdp",
        "inflow_per_capita",
        "outflow_per_migrant",
        "inflow_growth_pct",
        "outflow_growth_pct",
        "inflow_rank",
        "outflow_rank",
    ]
    out = out[cols].sort_values(["ref_area", "year"]).reset_index(drop=True)
    if provenance is not None:
        out = out.merge(provenance, on=["ref_area", "year"], how="left")
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "group": group,
                    "rows": json.loads(out.to_json(orient="records")),
                    "sources": json.loads(sources.to_json(orient="records")),
                },
                ensure_ascii=False,
                indent=1,
            )
        )
    else:
        emit(out, fmt, units=UNITS)
        if fmt == "csv":
            return
        click.echo(f"\nRanks within group {group!r} ({len(members)} countries).")
        for r in sources.drop_duplicates(["column", "dataset", "vintage"]).itertuples():
            click.echo(
                f"  {r.column}: {r.publisher}, {r.dataset} {r.measure}, {r.vintage} ({r.licence})"
            )
