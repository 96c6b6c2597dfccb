"""``keruen indicators``: remittance and labour-migration measures per country and year."""

from __future__ import annotations

import click

from keruen.cli.output import emit, format_option


def _years(text: str) -> list[int]:
    from keruen.errors import ConfigError

    try:
        if ":" in text:
            first, last = (int(x) for x in text.split(":", 1))
            if last < first:
                raise ValueError
            return list(range(first, last + 1))
        return [int(y) for y in text.split(",")]
    except ValueError:
        raise ConfigError(
            f"--years {text!r}: expected FIRST:LAST (e.g. 2010:2023) or a "
            "comma-separated list of years"
        ) from None


@click.command()
@click.option(
    "--country",
    "countries",
    multiple=True,
    default=["KAZ"],
    show_default=True,
    help="ISO alpha-3 code(s); repeat for several.",
)
@click.option("--years", default="2010:2024", show_default=True, help="FIRST:LAST or a list.")
@click.option(
    "--group",
    default="cis_and_former",
    show_default=True,
    help="Group for the ranks: post_soviet, cis, cis_and_former, central_asia, eaeu, "
    "or a comma-separated list of ISO alpha-3 codes.",
)
@format_option
def indicators(countries: tuple[str, ...], years: str, group: str, fmt: str) -> None:
    """Remittance measures of countries by year, with their sources.

    Inflow, outflow, net, ratio, donor–recipient index, % of GDP, per capita, per immigrant,
    growth and rank within a group.
    """
    import json

    from keruen.areas import area, group_members
    from keruen.indicators.remittances import growth_rate, rank_within, remittance_measures
    from keruen.sources.snapshot import open_store
    from keruen.store.panels import remittance_panel

    for code in countries:
        area(code)  # unknown codes fail here with the valid forms named
    group_list = (
        [area(c.strip()).code for c in group.split(",")]
        if "," in group
        else list(group_members(group))
    )
    members = list(dict.fromkeys([*group_list, *countries]))
    year_list = _years(years)
    with open_store() as store:
        panel, sources = remittance_panel(store, members, year_list)
    measures = remittance_measures(panel)
    for col in ("inflow", "outflow"):
        measures[f"{col}_rank"] = measures.groupby("year")[col].transform(rank_within)
        measures[f"{col}_growth_pct"] = measures.groupby("ref_area", group_keys=False)[col].apply(
            lambda s: growth_rate(s.set_axis(measures.loc[s.index, "year"])).set_axis(s.index)
        )
    out = measures[measures["ref_area"].isin(countries)].drop(columns=["period"])
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
    out = out[cols].sort_values(["ref_area", "year"])
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
        emit(out, fmt, float_format="{:,.3f}")
        if fmt == "csv":
            return
        click.echo(f"\nRanks within group {group!r} ({len(members)} countries).")
        for r in sources.drop_duplicates(["column", "dataset", "vintage"]).itertuples():
            click.echo(
                f"  {r.column}: {r.publisher}, {r.dataset} {r.measure}, {r.vintage} ({r.licence})"
            )
