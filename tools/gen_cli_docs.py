"""Write docs/cli.md from the ``--help`` of every keruen command (the CLI reference).

    python tools/gen_cli_docs.py          # rewrite docs/cli.md
    python tools/gen_cli_docs.py --check  # exit 1 if docs/cli.md is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from keruen.cli import main

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def _help(command: click.Command, path: list[str]) -> list[str]:
    with click.Context(command, info_name=" ".join(path), terminal_width=100) as ctx:
        text = command.get_help(ctx)
    out = [f"## `{' '.join(path)}`", "", "```text", text, "```", ""]
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                out += _help(sub, [*path, name])
    return out


def render() -> str:
    """The CLI reference as Markdown."""
    lines = ["# Command-line reference", "",
             "Generated from `--help` by `tools/gen_cli_docs.py`; do not edit by hand.", ""]
    return "\n".join(lines + _help(main, ["keruen"]))


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        sys.exit(0 if DOC.exists() and DOC.read_text("utf-8") == text else 1)
    DOC.write_text(text, encoding="utf-8")
