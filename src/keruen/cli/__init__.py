"""The ``keruen`` command line: a thin layer that turns domain errors into one-line messages.

Each command lives in its own module of this package and is registered in ``COMMANDS``; heavy
libraries are imported inside the commands, so ``keruen --help`` stays fast.
"""

from __future__ import annotations

import importlib
import io
import os
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
    "serve": "keruen.cli.serve:serve",
}


class SuggestingGroup(click.Group):
    """A command group that answers an unknown command with the nearest known ones."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """As click's, but an unknown command is answered with the nearest known ones."""
        name = click.utils.make_str(args[0])
        if self.get_command(ctx, name) is None and not name.startswith("-"):
            import difflib

            near = difflib.get_close_matches(name.lower(), self.list_commands(ctx), n=3)
            hint = f" Did you mean {' or '.join(repr(n) for n in near)}?" if near else ""
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)


class _LazyGroup(SuggestingGroup):
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
        except BrokenPipeError:
            # the reader went away (`keruen query … | head`): stop quietly, as Unix tools do
            try:
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except (OSError, ValueError, io.UnsupportedOperation):
                pass
            sys.exit(1)
        except OSError as exc:
            # a file the user named cannot be written or read (read-only folder, disk full…)
            if exc.filename is None and exc.errno is None:
                raise
            where = f"{exc.filename}: " if exc.filename is not None else ""
            reason = exc.strerror or str(exc)
            click.echo(f"keruen: error: {where}{reason}", err=True)
            sys.exit(3)


@click.group(cls=_LazyGroup)
@click.version_option(__version__, prog_name="keruen")
def main() -> None:
    """keruen: an observatory of international labour migration (Kazakhstan and beyond)."""
