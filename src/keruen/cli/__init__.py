"""The ``keruen`` command line: a thin layer that turns domain errors into one-line messages.

Each command lives in its own module of this package and is registered in ``COMMANDS``. A
command's module is imported only when that command runs: ``keruen --help`` reads each
command's one-line summary from its module's source (:func:`summary`) without importing it, so
the list of commands costs no import of pandas, DuckDB or the models.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import io
import os
import re
import sys
import textwrap
from functools import cache
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
    "serve": "keruen.cli.serve:serve",
    "export": "keruen.cli.export:export",
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


@cache
def summary(name: str, limit: int = 45) -> str:
    """The one-line help of command ``name``, read from its module's source (nothing imported).

    The docstring of the function ``COMMANDS`` names, shortened as click shortens it; empty if
    the source cannot be read (the listing then imports the command).
    """
    module_name, attr = COMMANDS[name].split(":")
    spec = importlib.util.find_spec(module_name)
    if spec is None or spec.origin is None:
        return ""
    try:
        with open(spec.origin, encoding="utf-8") as fh:
            source = fh.read()
        # parse the function alone (compiling whole modules cost --help a third of its time)
        found = re.search(rf"^def {attr}\(", source, re.MULTILINE)
        if found:
            rest = source[found.start() :]
            after = re.search(r"^(?:def |class |@)", rest[1:], re.MULTILINE)
            source = rest[: after.start() + 1] if after else rest
        tree = ast.parse(source)
    except (OSError, SyntaxError):
        return ""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == attr:
            text = ast.get_docstring(node) or ""
            return _short_help(text, limit)
    return ""


def _short_help(text: str, limit: int) -> str:
    """The docstring's first sentence, shortened at a word to ``limit`` characters with "...",
    as ``--help`` lists commands (click's public helper for this is deprecated)."""
    words = [w for w in text.partition("\n\n")[0].split() if w != "\b"]
    for i, word in enumerate(words):  # a period ends the sentence unless lowercase follows
        if word.endswith(".") and (i == len(words) - 1 or not words[i + 1][0].islower()):
            words = words[: i + 1]
            break
    line = " ".join(words)
    if len(line) <= limit:
        return line
    return textwrap.shorten(line, max(limit, 3), placeholder="...", break_on_hyphens=False)


class _LazyGroup(SuggestingGroup):
    """Loads a command's module only when that command is run (or its summary cannot be read)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of ``keruen --help``, from :func:`summary` (no command imported)."""
        limit = formatter.width - 6 - max(len(n) for n in COMMANDS)
        rows = []
        for name in self.list_commands(ctx):
            text = summary(name, limit)
            if not text:  # unreadable source: ask the command itself
                command = self.get_command(ctx, name)
                text = command.get_short_help_str(limit) if command is not None else ""
            rows.append((name, text))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]

    def invoke(self, ctx: click.Context) -> Any:
        import warnings

        shown = warnings.showwarning

        def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
            if category.__name__ == "ImplausibleValueWarning":  # a value left out: one line
                click.echo(f"keruen: warning: {message}", err=True)
            else:
                shown(message, category, *args, **kwargs)

        warnings.showwarning = show
        try:
            from keruen import settings

            settings.check()  # a command runs: every setting is checked before it starts
            return super().invoke(ctx)
        except KeruenError as exc:
            click.echo(f"keruen: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:  # Ctrl-C where no command said more (click says "Aborted!")
            click.echo("keruen: error: interrupted (Ctrl-C)", err=True)
            sys.exit(130)
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
        finally:
            warnings.showwarning = shown


@click.group(cls=_LazyGroup)
@click.version_option(__version__, prog_name="keruen")
def main() -> None:
    """keruen: an observatory of international labour migration (Kazakhstan and beyond)."""
