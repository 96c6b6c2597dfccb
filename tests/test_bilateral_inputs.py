"""Bad input is refused with an InputError naming the file, the 1-based data row and the field;
the ``keruen indices`` command prints exactly the documented keys."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.errors import InputError
from keruen.indicators import as_flow_matrix, matrix_from_long
from keruen.sources.tables import load_bilateral

BASE_KEYS = {
    "effectiveness",
    "anmr",
    "preference",
    "velocity",
    "connectivity",
    "inequality_equal",
    "inequality_sim",
    "gini_total",
    "gini_orig_standardized",
    "gini_dest_standardized",
    "mwg_orig",
    "mwg_dest",
    "mwg_mean",
    "acv",
    "cmp",
    "courgeau_k",
}
DISTANCE_KEYS = {"distance_mean", "distance_median", "distance_decay"}

FLOWS = """orig,dest,flow
A,B,10
A,C,5
A,D,7
B,A,3
B,C,8
B,D,2
C,A,6
C,B,4
C,D,9
D,A,1
D,B,12
D,C,3
"""
POP = "region,pop\nA,1000\nB,2500\nC,4000\nD,800\n"
DIST = "".join(
    ["orig,dest,dist\n"]
    + [
        f"{o},{d},{10 + 7 * i + 3 * j}\n"
        for i, o in enumerate("ABCD")
        for j, d in enumerate("ABCD")
    ]
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, flows: str = FLOWS, pop: str = POP, dist: str | None = None):
    f = _write(tmp_path, "flows.csv", flows)
    p = _write(tmp_path, "pop.csv", pop)
    d = _write(tmp_path, "dist.csv", dist) if dist is not None else None
    with pytest.raises(InputError) as info:
        load_bilateral(f, p, d)
    return info.value


def _assert_locates(err: InputError, file: str, row: int | None, field: str) -> None:
    assert err.file is not None and err.file.endswith(file)
    assert err.row == row
    assert err.field == field
    text = str(err)
    assert file in text and repr(field) in text
    if row is not None:
        assert f"row {row}" in text


def test_valid_inputs_load_into_a_square_matrix(tmp_path: Path) -> None:
    f = _write(tmp_path, "flows.csv", FLOWS)
    p = _write(tmp_path, "pop.csv", POP)
    d = _write(tmp_path, "dist.csv", DIST)
    data = load_bilateral(f, p, d)
    assert data.labels == ["A", "B", "C", "D"]
    assert data.flows[0, 1] == 10 and data.flows[3, 1] == 12 and data.flows.trace() == 0
    assert data.population.tolist() == [1000, 2500, 4000, 800]
    assert data.distances is not None and data.distances[1, 2] == 10 + 7 + 6


def test_unknown_region_names_the_flow_row_and_field(tmp_path: Path) -> None:
    err = _error(tmp_path, flows=FLOWS + "A,E,4\n")
    _assert_locates(err, "flows.csv", 13, "dest")
    assert "'E'" in str(err)


def test_negative_flow(tmp_path: Path) -> None:
    err = _error(tmp_path, flows=FLOWS.replace("B,C,8", "B,C,-8"))
    _assert_locates(err, "flows.csv", 5, "flow")
    assert "negative" in str(err)


def test_non_numeric_flow(tmp_path: Path) -> None:
    err = _error(tmp_path, flows=FLOWS.replace("C,D,9", "C,D,nine"))
    _assert_locates(err, "flows.csv", 9, "flow")
    assert "'nine'" in str(err)


def test_missing_flow_value(tmp_path: Path) -> None:
    err = _error(tmp_path, flows=FLOWS.replace("A,C,5", "A,C,"))
    _assert_locates(err, "flows.csv", 2, "flow")


def test_missing_population(tmp_path: Path) -> None:
    err = _error(tmp_path, pop=POP.replace("C,4000", "C,"))
    _assert_locates(err, "pop.csv", 3, "pop")
    assert "missing" in str(err)


def test_region_without_population_row_is_unknown(tmp_path: Path) -> None:
    err = _error(tmp_path, pop=POP.replace("D,800\n", ""))
    _assert_locates(err, "flows.csv", 3, "dest")


def test_zero_population(tmp_path: Path) -> None:
    err = _error(tmp_path, pop=POP.replace("B,2500", "B,0"))
    _assert_locates(err, "pop.csv", 2, "pop")


def test_duplicate_pair(tmp_path: Path) -> None:
    err = _error(tmp_path, flows=FLOWS + "B,C,1\n")
    _assert_locates(err, "flows.csv", 13, "orig,dest")
    assert "first at row 5" in str(err)


def test_duplicate_population_region(tmp_path: Path) -> None:
    err = _error(tmp_path, pop=POP + "A,1200\n")
    _assert_locates(err, "pop.csv", 5, "region")


def test_non_square_matrix_file(tmp_path: Path) -> None:
    wide = "region,A,B,C\nA,0,1,2\nB,3,0,4\n"
    err = _error(tmp_path, flows=wide)
    _assert_locates(err, "flows.csv", 2, "C")
    assert "not square" in str(err)


def test_square_matrix_file_is_read_and_bad_cells_located(tmp_path: Path) -> None:
    wide = "region,A,B,C,D\nA,0,10,5,7\nB,3,0,8,2\nC,6,4,0,9\nD,1,12,3,0\n"
    f = _write(tmp_path, "flows.csv", wide)
    p = _write(tmp_path, "pop.csv", POP)
    long_f = _write(tmp_path, "long.csv", FLOWS)
    np.testing.assert_array_equal(load_bilateral(f, p).flows, load_bilateral(long_f, p).flows)
    err = _error(tmp_path, flows=wide.replace("C,6,4,0,9", "C,6,-4,0,9"))
    _assert_locates(err, "flows.csv", 3, "B")


def test_unknown_region_in_a_matrix_file_names_its_row(tmp_path: Path) -> None:
    wide = "region,A,B,E\nA,0,1,2\nB,3,0,4\nE,1,1,0\n"
    err = _error(tmp_path, flows=wide, pop="region,pop\nA,10\nB,20\n")
    _assert_locates(err, "flows.csv", 1, "region")
    assert "'E'" in str(err)


def test_missing_column(tmp_path: Path) -> None:
    err = _error(tmp_path, pop="region,population\nA,1\n")
    _assert_locates(err, "pop.csv", None, "pop")


def test_bad_distance(tmp_path: Path) -> None:
    err = _error(tmp_path, dist=DIST.replace("B,C,23", "B,C,0"))
    _assert_locates(err, "dist.csv", 7, "dist")
    err = _error(tmp_path, dist=DIST.replace("B,C,23\n", ""))
    _assert_locates(err, "dist.csv", None, "dist")
    assert "'B' -> 'C'" in str(err)


def test_array_inputs_are_checked_too() -> None:
    with pytest.raises(InputError, match="square"):
        as_flow_matrix(np.ones((3, 4)))
    with pytest.raises(InputError) as info:
        as_flow_matrix([[0, 1, 2], [3, 0, -1], [1, 1, 0]])
    assert info.value.row == 2 and info.value.field == "flow"
    with pytest.raises(InputError):
        as_flow_matrix([[0, np.nan], [1, 0]])
    import pandas as pd

    table = pd.DataFrame({"orig": ["A", "B"], "dest": ["B", "A"], "flow": ["1", "x"]})
    with pytest.raises(InputError) as info:
        matrix_from_long(table, source="t.csv")
    assert (info.value.file, info.value.row, info.value.field) == ("t.csv", 2, "flow")


def test_cli_json_has_exactly_the_documented_keys(tmp_path: Path) -> None:
    f = _write(tmp_path, "flows.csv", FLOWS)
    p = _write(tmp_path, "pop.csv", POP)
    d = _write(tmp_path, "dist.csv", DIST)
    runner = CliRunner()
    result = runner.invoke(
        main, ["indices", "--flows", str(f), "--population", str(p), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) == BASE_KEYS
    assert all(isinstance(v, float) for v in out.values())
    result = runner.invoke(
        main, ["indices", "--flows", str(f), "--population", str(p), "--distance", str(d)]
    )
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.output)) == BASE_KEYS | DISTANCE_KEYS


def test_cli_table_format_lists_every_measure(tmp_path: Path) -> None:
    f = _write(tmp_path, "flows.csv", FLOWS)
    p = _write(tmp_path, "pop.csv", POP)
    result = CliRunner().invoke(
        main, ["indices", "--flows", str(f), "--population", str(p), "--format", "table"]
    )
    assert result.exit_code == 0, result.output
    names = {line.split()[0] for line in result.output.splitlines()[1:]}
    assert names == BASE_KEYS


def test_cli_bad_input_is_a_one_line_error_with_exit_code_3(tmp_path: Path) -> None:
    f = _write(tmp_path, "flows.csv", FLOWS.replace("B,C,8", "B,C,-8"))
    p = _write(tmp_path, "pop.csv", POP)
    result = CliRunner().invoke(main, ["indices", "--flows", str(f), "--population", str(p)])
    assert result.exit_code == InputError.exit_code
    assert "flows.csv, data row 5, field 'flow'" in result.output


def _synthetic_csvs(tmp_path: Path, n: int = 40, seed: int = 7) -> dict[str, Path]:
    """SYNTHETIC seeded system written long and wide (flows and distances)."""
    rng = np.random.default_rng(seed)
    labels = [f"R{k:03d}" for k in range(n)]
    xy = rng.uniform(0, 1000, (n, 2))
    d = np.round(np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(axis=2)) + 5, 3)
    m = rng.poisson(4000 / d)
    np.fill_diagonal(m, 0)
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    out = {
        "long": "orig,dest,flow\n"
        + "".join(f"{labels[i]},{labels[j]},{m[i, j]}\n" for i, j in pairs),
        "dist": "orig,dest,dist\n"
        + "".join(f"{labels[i]},{labels[j]},{d[i, j]}\n" for i, j in pairs),
        "wide": "region,"
        + ",".join(labels)
        + "\n"
        + "".join(labels[i] + "," + ",".join(map(str, m[i])) + "\n" for i in range(n)),
        "wide_dist": "region,"
        + ",".join(labels)
        + "\n"
        + "".join(labels[i] + "," + ",".join(map(str, d[i])) + "\n" for i in range(n)),
        # Population file in another order than the flows: it fixes the region order.
        "pop": "region,pop\n"
        + "".join(f"{lab},{1000 + 7 * k}\n" for k, lab in reversed(list(enumerate(labels)))),
    }
    return {k: _write(tmp_path, f"{k}.csv", v) for k, v in out.items()}


def test_long_and_wide_inputs_give_the_same_matrices(tmp_path: Path) -> None:
    f = _synthetic_csvs(tmp_path)
    long = load_bilateral(f["long"], f["pop"], f["dist"])
    wide = load_bilateral(f["wide"], f["pop"], f["wide_dist"])
    assert long.labels == wide.labels == [f"R{k:03d}" for k in reversed(range(40))]
    np.testing.assert_array_equal(long.flows, wide.flows)
    assert long.distances is not None and wide.distances is not None
    np.testing.assert_array_equal(long.distances, wide.distances)
    assert long.flows[0, 1] == int(f["long"].read_text().split("\nR039,R038,")[1].split()[0])


def test_errors_deep_in_a_large_long_file_name_the_right_row(tmp_path: Path) -> None:
    f = _synthetic_csvs(tmp_path)
    lines = f["long"].read_text().splitlines(keepends=True)
    for row, cell, reason in ((1234, "12x", "not a number: '12x'"), (1500, "1_000", "'1_000'")):
        bad = lines.copy()
        o, d, _ = bad[row].rstrip("\n").split(",")
        bad[row] = f"{o},{d},{cell}\n"
        path = _write(tmp_path, "bad.csv", "".join(bad))
        with pytest.raises(InputError) as info:
            load_bilateral(path, f["pop"])
        _assert_locates(info.value, "bad.csv", row, "flow")
        assert reason in str(info.value)
    bad = lines.copy()
    bad[1400] = bad[1400].replace(bad[1400].split(",")[0], "", 1)
    path = _write(tmp_path, "bad.csv", "".join(bad))
    with pytest.raises(InputError) as info:
        load_bilateral(path, f["pop"])
    _assert_locates(info.value, "bad.csv", 1400, "orig")
    assert "empty" in str(info.value)


def test_bad_cells_in_a_wide_matrix_name_row_and_column(tmp_path: Path) -> None:
    f = _synthetic_csvs(tmp_path)
    rows = f["wide"].read_text().splitlines(keepends=True)
    for cell, reason in (("abc", "not a number: 'abc'"), ("", "missing"), ("-3", "non-negative")):
        cells = rows[17].rstrip("\n").split(",")
        cells[5] = cell
        bad = rows.copy()
        bad[17] = ",".join(cells) + "\n"
        path = _write(tmp_path, "w.csv", "".join(bad))
        with pytest.raises(InputError) as info:
            load_bilateral(path, f["pop"])
        _assert_locates(info.value, "w.csv", 17, "R004")
        assert reason in str(info.value)


def test_distance_errors_name_the_original_rows(tmp_path: Path) -> None:
    dist = DIST + "X,A,5\nB,C,40\n"  # a row for an unknown region is ignored; B,C repeated
    err = _error(tmp_path, dist=dist)
    _assert_locates(err, "dist.csv", 18, "orig,dest")
    assert "first at row 7" in str(err)
    err = _error(tmp_path, dist=DIST.replace("C,D,", "C,D,-"))
    _assert_locates(err, "dist.csv", 12, "dist")
    wide = "region,A,B,C,D\nA,0,1,2,3\nB,1,0,4,5\nC,2,4,0,0\nD,3,5,6,0\n"
    err = _error(tmp_path, dist=wide)
    _assert_locates(err, "dist.csv", 3, "D")
    assert "positive" in str(err)


def test_cli_reads_wide_flows_and_distances_like_long_ones(tmp_path: Path) -> None:
    f = _synthetic_csvs(tmp_path, n=12)
    runner = CliRunner()
    outs = []
    for flows, dist in (("long", "dist"), ("wide", "wide_dist")):
        result = runner.invoke(
            main,
            [
                "indices",
                "--flows",
                str(f[flows]),
                "--population",
                str(f["pop"]),
                "--distance",
                str(f[dist]),
            ],
        )
        assert result.exit_code == 0, result.output
        outs.append(json.loads(result.output))
    assert outs[0] == outs[1]
    assert set(outs[0]) == BASE_KEYS | DISTANCE_KEYS


def test_cli_median_option_selects_the_median_definition(tmp_path: Path) -> None:
    from keruen.indicators import median_distance

    f = _write(tmp_path, "flows.csv", FLOWS)
    p = _write(tmp_path, "pop.csv", POP)
    d = _write(tmp_path, "dist.csv", DIST)
    data = load_bilateral(f, p, d)
    runner = CliRunner()
    got = {}
    for method in ("interpolate", "plain"):
        args = ["indices", "--flows", str(f), "--population", str(p), "--distance", str(d)]
        result = runner.invoke(main, [*args, "--median", method])
        assert result.exit_code == 0, result.output
        got[method] = json.loads(result.output)["distance_median"]
        assert got[method] == pytest.approx(
            median_distance(data.flows, data.distances, method=method)  # type: ignore[arg-type]
        )
    default = runner.invoke(main, [*args])
    assert json.loads(default.output)["distance_median"] == got["interpolate"]
    assert got["interpolate"] != got["plain"]


def test_rows_with_too_many_cells_are_refused_with_their_row(tmp_path: Path) -> None:
    # pandas would silently shift such a row into an index and misread every cell of it.
    err = _error(tmp_path, flows=FLOWS.replace("B,A,3\n", "B,A,3,9\n"))
    assert err.file is not None and err.file.endswith("flows.csv")
    assert err.row == 4 and "4 cells" in str(err)
    wide = "region,A,B,C,D\nA,0,10,5,7\nB,3,0,8,2,1\nC,6,4,0,9\nD,1,12,3,0\n"
    err = _error(tmp_path, flows=wide)
    assert err.row == 2 and "\n" not in str(err)


def test_infinite_flows_are_refused(tmp_path: Path) -> None:
    for cell in ("inf", "-Infinity", "1e309"):
        err = _error(tmp_path, flows=FLOWS.replace("A,D,7", f"A,D,{cell}"))
        _assert_locates(err, "flows.csv", 3, "flow")
        assert "np.float64" not in str(err)
