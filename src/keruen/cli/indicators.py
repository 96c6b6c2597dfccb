"""``keruen indicators``: remittance and labour-migration measures per country and year."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from keruen.cli.output import emit, format_option
from keruen.cli.params import AreaList, YearRange, Years, closest, did_you_mean, flat

if TYPE_CHECKING:
    from keruen.store import Store


#: Units of the indicator columns (shown in the table's headers).
UNITS = {
    "inflow": "US$",
    "outflow": "US$",
    "net_paid": "US$",
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

    Inflow, outflow, net paid (outflow − inflow), ratio, donor–recipient index, % of GDP, per capita, per immigrant,
    growth and rank within a group.
    """
    import json

    import pandas as pd

    from keruen.api import indicators as indicator_table
    from keruen.areas import group_members, groups
    from keruen.errors import UnknownAreaError
    from keruen.sources.snapshot import open_store

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
    with open_store() as store:
        year_list = years.resolve(_held_years(store, chosen), "--years")
        # one definition: the Python API, the REST API and this command compute the same table
        out = indicator_table(chosen, year_list, group_list, provenance=fmt != "table", store=store)
    members = out.attrs["group"]
    sources = pd.DataFrame(out.attrs["sources"])
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "group": group,
                    "rows": json.loads(out.to_json(orient="records")),
                    "sources": out.attrs["sources"],
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
        if sources.empty:
            return
        for r in sources.drop_duplicates(["column", "dataset", "vintage"]).itertuples():
            click.echo(
                f"  {r.column}: {r.publisher}, {r.dataset} {r.measure}, {r.vintage} ({r.licence})"
            )
