"""Output shared by the table-printing commands: the ``--format`` option and its writer."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    import pandas as pd

#: ``--format table|csv|json`` (default table), passed to the command as ``fmt``.
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)


def emit(frame: pd.DataFrame, fmt: str, float_format: str | None = None) -> None:
    """Print ``frame`` to stdout as an aligned table, CSV or a JSON array of records."""
    if fmt == "csv":
        frame.to_csv(sys.stdout, index=False)
    elif fmt == "json":
        click.echo(frame.to_json(orient="records", force_ascii=False, indent=1))
    else:
        import pandas as pd

        options: list[object] = [
            "display.max_rows",
            500,
            "display.max_columns",
            30,
            "display.width",
            220,
            "display.max_colwidth",
            40,
        ]
        if float_format:
            options += ["display.float_format", float_format.format]
        with pd.option_context(*options):
            click.echo(frame.to_string(index=False))
