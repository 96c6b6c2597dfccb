"""The ``keruen`` command line: a thin layer that turns domain errors into one-line messages.

Each command lives in its own module of this package and is registered in ``COMMANDS``; heavy
libraries are imported inside the commands, so ``keruen --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from keruen import __version__
from keruen.errors import KeruenError

#: command name -> "module:attribute" of the click command implementing it.
COMMANDS: dict[str, str] = {
    "indices": "keruen.cli.indices:indices",
    "report": "keruen.cli.report:report",
    "sources": "keruen.cli.store_cmds:sources",
    "query": "keruen.cli.store_cmds:query",
    "load": "keruen.cli.store_cmds:load",
    "indicators": "keruen.cli.indicators:indicators",
    "estimate": "keruen.cli.estimate:estimate",
    "update": "keruen.cli.update:update",
    "import": "keruen.cli.update:import_",
    "diff": "keruen.cli.update:diff",
    "vintages": "keruen.cli.update:vintages",
    "register": "keruen.cli.register:register",
}


class _LazyGroup(click.Group):
    """Loads a command's module only when that command is run or listed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeruenError as exc:
            click.echo(f"keruen: error: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=_LazyGroup)
@click.version_option(__version__, prog_name="keruen")
def main() -> None:
    """keruen: an observatory of international labour migration (Kazakhstan and beyond)."""
