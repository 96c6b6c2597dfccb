"""``keruen indices``: system-wide bilateral migration measures of one flow table."""

from __future__ import annotations

import json
import math
from typing import cast

import click


@click.command("indices")
@click.option(
    "--flows",
    "flows_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="CSV of flows: orig,dest,flow, or a square matrix with a label column.",
)
@click.option(
    "--population",
    "population_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="CSV of populations: region,pop.",
)
@click.option(
    "--distance",
    "distance_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="CSV of distances: orig,dest,dist, or a square matrix with a label column (adds mean, "
    "median distance and distance decay).",
)
@click.option(
    "--median",
    "median",
    type=click.Choice(["interpolate", "plain", "migest"]),
    default="interpolate",
    show_default=True,
    help="Median distance: the interpolated weighted median (matrixStats' definition, equal "
    "distances by decreasing flow), the plain median distance of one migrant, or migest's own "
    "number (matrixStats' order of equal distances; slow: seconds at 1,000 regions).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "table"]),
    default="json",
    show_default=True,
    help="One JSON object, or an aligned two-column table.",
)
def indices(
    flows_path: str, population_path: str, distance_path: str | None, median: str, fmt: str
) -> None:
    """Print migration impact, focusing, intensity (and distance) measures (Bell et al. 2002)."""
    from keruen.cli.output import significant
    from keruen.cli.params import naming_inputs
    from keruen.indicators.distance import MedianMethod
    from keruen.indicators.summary import bilateral_summary
    from keruen.sources.tables import load_bilateral

    data = load_bilateral(flows_path, population_path, distance_path)
    method = cast(MedianMethod, median)  # the choices are the method names
    files = {
        "flow": flows_path,
        "region": flows_path,
        "orig": flows_path,
        "dest": flows_path,
        "pop": population_path,
        "population": population_path,
        "dist": distance_path,
        "distance": distance_path,
    }
    with naming_inputs(files):
        values = bilateral_summary(data.flows, data.population, data.distances, median=method)
    if fmt == "json":
        clean = {k: (v if math.isfinite(v) else None) for k, v in values.items()}
        click.echo(json.dumps(clean))
        return
    width = max(len(k) for k in values)
    click.echo(f"{'measure':<{width}}  value")
    for key, value in values.items():
        click.echo(f"{key:<{width}}  {significant(value)}".rstrip())
