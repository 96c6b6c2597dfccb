"""Issue 8, items 10 and 12 (command-line side): files the user names.

``estimate … --out`` into a missing folder creates the folder (like ``mkdir -p``); an ``--out``
that cannot be written (read-only place, a folder) is a one-line error before the model runs.
Model errors name the input file they concern.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from keruen.cli import main


def _series(path: Path, years: range) -> Path:
    """A small deterministic yearly series (synthetic, generated here)."""
    lines = ["year,value", *(f"{y},{100 + 3 * (y - years[0]) + (y % 3)}" for y in years)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _read_only_folder(tmp_path: Path) -> Path:
    """A folder this process cannot write into (root ignores permission bits: use /sys)."""
    if os.geteuid() == 0:
        try:
            (Path("/sys") / "keruen-probe").touch()
        except OSError:
            return Path("/sys")
        pytest.skip("no read-only folder available to root here")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    return folder


def _forecast(series: Path, out: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main,
        ["estimate", "forecast", "--series", str(series), "--model", "naive", "--out", str(out)],
    )
    return result.exit_code, result.stdout, result.stderr


def test_out_into_a_missing_folder_creates_it(tmp_path: Path) -> None:
    series = _series(tmp_path / "s.csv", range(2000, 2016))
    out = tmp_path / "new" / "deeper" / "forecast.csv"
    code, _, err = _forecast(series, out)
    assert code == 0, err
    assert out.read_text().splitlines()[0] == "year,mean,lower,upper"


def test_out_in_a_read_only_folder_is_one_line(tmp_path: Path) -> None:
    series = _series(tmp_path / "s.csv", range(2000, 2016))
    out = _read_only_folder(tmp_path) / "forecast.csv"
    code, stdout, err = _forecast(series, out)
    assert code == 2 and stdout == ""
    assert err == f"keruen: error: --out {out}: cannot write there: Permission denied\n"


def test_out_that_is_a_folder_is_one_line(tmp_path: Path) -> None:
    series = _series(tmp_path / "s.csv", range(2000, 2016))
    code, _, err = _forecast(series, tmp_path)
    assert code == 2 and err == f"keruen: error: --out {tmp_path}: is a folder; give a file name\n"


def test_a_forecast_model_error_names_the_series_file(tmp_path: Path) -> None:
    series = _series(tmp_path / "gappy.csv", range(2000, 2016))
    lines = series.read_text().splitlines()
    series.write_text("\n".join(lines[:5] + lines[6:]) + "\n")  # drop 2004: years not consecutive
    code, _, err = _forecast(series, tmp_path / "f.csv")
    assert code == 3
    assert err.startswith(f"keruen: error: {series}, field 'year': ")


def test_a_flows_model_error_names_the_births_file(tmp_path: Path) -> None:
    s0, s1 = tmp_path / "s0.csv", tmp_path / "s1.csv"
    s0.write_text("birthplace,residence,stock\nA,A,100\nA,B,10\nB,A,5\nB,B,200\n")
    s1.write_text("birthplace,residence,stock\nA,A,110\nA,B,12\nB,A,6\nB,B,190\n")
    births, deaths = tmp_path / "births.csv", tmp_path / "deaths.csv"
    births.write_text("region,births\nA,1\nC,2\n")  # C is not a region of the stock tables
    deaths.write_text("region,deaths\nA,1\nB,2\n")
    args = [
        "estimate",
        "flows-from-stocks",
        "--stock-start",
        str(s0),
        "--stock-end",
        str(s1),
        "--births",
        str(births),
        "--deaths",
        str(deaths),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 3
    assert result.stderr.startswith(f"keruen: error: {births}, field 'births': ")


def test_an_indices_model_error_names_the_flow_file(tmp_path: Path) -> None:
    flows, pop = tmp_path / "flows.csv", tmp_path / "pop.csv"
    flows.write_text("orig,dest,flow\nA,B,10\nB,A,5\n")
    pop.write_text("region,pop\nA,100\nB,200\n")
    result = CliRunner().invoke(main, ["indices", "--flows", str(flows), "--population", str(pop)])
    assert result.exit_code == 3
    assert result.stderr.startswith(f"keruen: error: {flows}, field 'region': ")
