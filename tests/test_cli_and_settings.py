"""The command line and settings: clean one-line errors, documented settings."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from keruen.cli import COMMANDS, main
from keruen.settings import SETTINGS

DOCS = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text("utf-8")
    for setting in SETTINGS:
        assert f"`{setting.env}`" in text, f"{setting.env} missing from docs/settings.md"


def test_every_registered_command_loads_and_has_help() -> None:
    for name in COMMANDS:
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)


def test_the_command_list_is_read_without_importing_any_command() -> None:
    """``keruen --help`` lists each command with its own summary and loads no command module."""
    import click

    from keruen.cli import summary

    ctx = click.Context(main)
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert command is not None
        for limit in (45, 80):
            assert summary(name, limit) == command.get_short_help_str(limit), name
    code = (
        "import sys\n"
        "from keruen.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('keruen.') and m != 'keruen.cli'"
        " and m != 'keruen.errors')\n"
        "heavy = sorted(m for m in ('pandas', 'duckdb', 'numpy') if m in sys.modules)\n"
        "print(loaded, heavy, file=sys.stderr)\n"
    )
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Commands:" in done.stdout
    assert done.stderr.strip() == "[] []", done.stderr


def test_a_bad_file_gives_one_line_and_a_non_zero_exit(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "dataset,measure,ref_area,counterpart_area,breakdown,period,value,unit,"
        "obs_status\nX,pop,KAZ,,,2020,1,persons,A\nX,pop,ZZZ,,,2020,2,persons,A\n"
    )
    result = CliRunner().invoke(
        main, ["load", str(bad), "--dataset", "X", "--vintage", "v1", "--publisher", "me"]
    )
    assert result.exit_code == 3
    assert "Traceback" not in result.output
    line = result.output.strip()
    assert line.count("\n") == 0
    assert "bad.csv, data row 2, field 'ref_area': invalid value 'ZZZ'" in line


def test_load_then_query_shows_the_new_vintage(home: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(
        "dataset,measure,ref_area,counterpart_area,breakdown,period,value,unit,"
        "obs_status\nMYDATA,arrivals,KZ-75,UZB,,2023,1234,persons,A\n"
    )
    runner = CliRunner()
    args = ["load", str(good), "--dataset", "MYDATA", "--vintage", "2024-06", "--publisher", "me"]
    first = runner.invoke(main, args)
    assert first.exit_code == 0 and "added 1 observations" in first.output
    second = runner.invoke(main, args)
    assert second.exit_code == 0 and "already in the store" in second.output
    shown = runner.invoke(main, ["query", "MYDATA", "--format", "csv"])
    assert "MYDATA,arrivals,KZ-75,UZB,2023,1234.0,persons,A,2024-06,me" in shown.output


def test_query_of_an_unknown_dataset_names_the_held_ones(home: Path) -> None:
    result = CliRunner().invoke(main, ["query", "NOPE"])
    assert result.exit_code == 5 and "WB_WDI" in result.output


def test_the_cli_reference_is_generated_from_the_current_help() -> None:
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "tools" / "gen_cli_docs.py"
    spec = importlib.util.spec_from_file_location("gen_cli_docs", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    assert module.DOC.read_text("utf-8") == module.render(), (
        "docs/cli.md is stale: run python tools/gen_cli_docs.py")


def test_serve_prints_the_dashboards_address_and_says_what_it_serves(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Issue 19 item 19: a newcomer is told where the dashboard is, not only the API docs."""
    import uvicorn

    import keruen.web.app

    started = {}
    monkeypatch.setattr(keruen.web.app, "create_app", lambda: "app")
    def run(server: uvicorn.Server) -> None:  # the server `keruen serve` runs, not started
        started.update(app=server.config.app, port=server.config.port, http=server.config.http)

    monkeypatch.setattr(uvicorn.Server, "run", run)
    result = CliRunner().invoke(main, ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert started["app"] == "app" and started["port"] == 8123
    assert started["http"].header_timeout == 10  # with the slow-client deadlines (22.29)
    assert "http://127.0.0.1:8123/en/" in result.output
    assert "http://127.0.0.1:8123/api/v1/docs" in result.output
    text = CliRunner().invoke(main, ["serve", "--help"]).output
    for what in ("dashboard", "/en/", "/api/v1", "profiles", "CSV"):
        assert what in text, what


def test_the_quick_start_says_the_pdf_needs_its_extra() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "pip install '.[pdf]'" in start and "--pdf" in start
    import tomllib

    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text("utf-8")
    extras = tomllib.loads(pyproject)["project"]["optional-dependencies"]
    assert any(d.startswith("playwright") for d in extras["pdf"])
