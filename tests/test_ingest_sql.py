"""Ingest inside DuckDB: files are read and validated by SQL, with file/row/field errors, and a
file larger than DuckDB's memory limit loads while a failure leaves the store unchanged."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.errors import InputError
from keruen.sources.files import stage_file
from keruen.sources.validate import validate_observations
from keruen.store import Store
from keruen.store.schema import OBSERVATION_COLUMNS
from tests.conftest import tidy

HEADER = ",".join(OBSERVATION_COLUMNS)


def write_synthetic(path: Path, rows: int, *, seed: int = 7, dataset: str = "SYN") -> None:
    """A SYNTHETIC tidy CSV (seeded values) with distinct keys: measure × area × period."""
    rng = np.random.default_rng(seed)
    areas = ["KAZ", "UZB", "KGZ", "TJK", "TKM", "RUS", "CHN", "TUR", "DEU", "KOR"]
    values = rng.lognormal(5, 2, size=rows)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(OBSERVATION_COLUMNS)
        for i in range(rows):
            area = areas[i % len(areas)]
            year = 1900 + (i // len(areas)) % 100
            measure = f"m{i // (len(areas) * 100)}"
            out.writerow([dataset, measure, area, "", "", year, f"{values[i]:.6g}", "x", "A"])


def csv_file(tmp_path: Path, lines: list[str], name: str = "obs.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def load(home: Path, path: Path, dataset: str = "SYN", vintage: str = "v1"):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(
        main, ["load", str(path), "--dataset", dataset, "--vintage", vintage, "--publisher", "P"]
    )


GOOD = "SYN,pop,KAZ,,,2020,1.5,persons,A"


@pytest.mark.parametrize("bad", ["inf", "-Infinity", "1e309", "1e999", "Infinity", "+inf"])
def test_infinite_values_are_rejected_in_csv_with_file_row_and_field(
    tmp_path: Path, bad: str
) -> None:
    path = csv_file(tmp_path, [GOOD, f"SYN,pop,UZB,,,2020,{bad},persons,A"])
    with pytest.raises(InputError) as err:
        stage_file(path)
    assert (err.value.file, err.value.row, err.value.field) == (str(path), 2, "value")
    assert "finite" in str(err.value) and repr(bad) in str(err.value)


def test_nan_is_reported_as_not_a_number_not_as_an_empty_value(tmp_path: Path) -> None:
    path = csv_file(tmp_path, [GOOD, "SYN,pop,UZB,,,2020,NaN,persons,A"])
    with pytest.raises(InputError) as err:
        stage_file(path)
    assert err.value.row == 2 and err.value.field == "value"
    assert "not a number" in str(err.value) and "empty value" not in str(err.value)


def test_infinite_values_are_rejected_in_parquet_and_in_pandas_tables(tmp_path: Path) -> None:
    frame = tidy([("pop", "KAZ", "2020", 1.0), ("pop", "UZB", "2020", float("inf"))], "SYN")
    path = tmp_path / "obs.parquet"
    frame.to_parquet(path)
    with pytest.raises(InputError) as err:
        stage_file(path)
    assert (err.value.row, err.value.field) == (2, "value") and "finite" in str(err.value)
    with pytest.raises(InputError) as err:
        validate_observations(frame, "parsed.csv")
    assert (err.value.file, err.value.row, err.value.field) == ("parsed.csv", 2, "value")
    text = frame.astype({"value": object})
    text.loc[1, "value"] = "-Infinity"
    with pytest.raises(InputError, match="finite"):
        validate_observations(text, "parsed.csv")


@pytest.mark.parametrize("field", ["measure", "dataset"])
@pytest.mark.parametrize("bad", ["=1+1", "+cmd", "-2", "@SUM"])
def test_codes_that_a_spreadsheet_reads_as_formulas_are_rejected(
    tmp_path: Path, field: str, bad: str
) -> None:
    frame = tidy([("pop", "KAZ", "2020", 1.0), ("pop", "UZB", "2020", 2.0)], "SYN")
    frame.loc[1, field] = bad
    with pytest.raises(InputError) as err:
        validate_observations(frame, "f.csv")
    assert (err.value.row, err.value.field) == (2, field) and repr(bad) in str(err.value)


def test_a_duplicate_key_names_the_first_occurrence_and_the_duplicate(tmp_path: Path) -> None:
    lines = [
        GOOD,
        "SYN,pop,UZB,,,2020,2,persons,A",
        "SYN,pop,KGZ,,,2020,3,persons,A",
        "SYN,pop,TJK,,,2020,4,persons,A",
        "SYN,pop,UZB,,,2020,5,persons,A",
    ]
    path = csv_file(tmp_path, lines)
    with pytest.raises(InputError) as err:
        stage_file(path)
    assert err.value.row == 5 and "first at data row 2" in str(err.value)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    with pytest.raises(InputError) as err:
        validate_observations(frame, path)
    assert err.value.row == 5 and "first at data row 2" in str(err.value)


def test_a_header_only_file_is_one_clear_error(tmp_path: Path) -> None:
    path = csv_file(tmp_path, [])
    with pytest.raises(InputError) as err:
        stage_file(path)
    assert "no data rows" in str(err.value) and "dtype" not in str(err.value)


def test_empty_ragged_and_non_utf8_files_are_one_line_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty"):
        stage_file(empty)
    ragged = csv_file(tmp_path, [GOOD, GOOD + ",extra"], "ragged.csv")
    with pytest.raises(InputError, match="malformed CSV"):
        stage_file(ragged)
    latin = tmp_path / "latin.csv"
    latin.write_bytes((HEADER + "\nSYN,pop,KAZ,,,2020,1,pers\xf6ns,A\n").encode("latin-1"))
    with pytest.raises(InputError, match="UTF-8"):
        stage_file(latin)


def test_the_first_offending_row_is_found_in_a_file_read_in_parallel(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    write_synthetic(path, 60_000)
    lines = path.read_text().splitlines()
    lines[50_001] = lines[50_001].replace(",A", ",Q")  # data row 50,001: bad obs_status
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as err:
        stage_file(path)
    assert (err.value.row, err.value.field) == (50_001, "obs_status")


def write_synthetic_fast(path: Path, rows: int) -> None:
    """A SYNTHETIC tidy CSV written by DuckDB: values a deterministic function of the row."""
    import duckdb

    areas = "['KAZ','UZB','KGZ','TJK','TKM','RUS','CHN','TUR','DEU','KOR']"
    duckdb.sql(
        f"COPY (SELECT 'SYN' AS dataset, 'm' || (i // 1000) AS measure, "
        f"{areas}[(i % 10) + 1] AS ref_area, NULL AS counterpart_area, NULL AS breakdown, "
        f"(1900 + (i // 10) % 100)::VARCHAR AS period, ((i * 7919) % 100003) / 8.0 AS value, "
        f"'persons' AS unit, 'A' AS obs_status FROM range({rows}) t(i)) "
        f"TO '{path}' (HEADER, DELIMITER ',')"
    )


def test_a_file_larger_than_the_memory_limit_loads(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "large.csv"
    write_synthetic_fast(path, 1_300_000)
    assert CliRunner().invoke(main, ["sources"]).exit_code == 0  # the store, with its snapshot
    monkeypatch.setenv("KERUEN_MEMORY_LIMIT", "32MB")
    assert path.stat().st_size > 32e6, "the file must be larger than the memory limit"
    result = load(home, path)
    assert result.exit_code == 0, result.output
    with Store(home / "keruen.duckdb") as store:
        limit = store.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        assert limit.replace(" ", "") == "30.5MiB", limit
        n, total = store.con.execute(
            "SELECT count(*), sum(value) FROM observations WHERE dataset = 'SYN'"
        ).fetchall()[0]
    assert n == 1_300_000
    assert total == pytest.approx(sum((i * 7919) % 100003 for i in range(1_300_000)) / 8.0)


def test_a_failure_part_way_through_a_file_leaves_the_store_unchanged(
    home: Path, tmp_path: Path
) -> None:
    first = tmp_path / "first.csv"
    write_synthetic(first, 1_000, seed=1)
    assert load(home, first).exit_code == 0
    with Store(home / "keruen.duckdb") as store:
        before = store.checksum()
    bad = tmp_path / "bad.csv"
    write_synthetic(bad, 30_000, seed=2)
    lines = bad.read_text().splitlines()
    lines[29_000] = lines[29_000].replace(",x,", ",x,").rsplit(",", 3)[0] + ",1e999,x,A"
    bad.write_text("\n".join(lines) + "\n")
    result = load(home, bad, vintage="v2")
    assert result.exit_code == 3
    assert "data row 29000, field 'value'" in result.output
    with Store(home / "keruen.duckdb") as store:
        assert store.checksum() == before


def test_queries_match_datasets_ignoring_case_and_filter_before_the_window(
    tmp_path: Path,
) -> None:
    from tests.conftest import provenance

    with Store(tmp_path / "k.duckdb") as store:
        store.ingest(
            tidy([("pop", "KAZ", "2020", 1.0), ("pop", "UZB", "2020", 2.0)]),
            provenance("a" * 64, "v1", "2023-01-01"),
        )
        store.ingest(tidy([("pop", "KAZ", "2020", 3.0)]), provenance("b" * 64, "v2", "2024-01-01"))
        got = store.observations("test", "pop").set_index("ref_area")
        assert got.loc["KAZ", "value"] == 3.0 and got.loc["UZB", "value"] == 2.0
        assert got.loc["UZB", "vintage"] == "v1"
        point = store.observations("Test", "pop", "UZB", period="2020")
        assert list(point["value"]) == [2.0]
        assert store.resolve_dataset("test") == "TEST" and store.resolve_dataset("nope") is None


def test_summarise_groups_in_sql_exactly_as_pandas_groups_the_observations(
    tmp_path: Path,
) -> None:
    from tests.conftest import provenance

    rows = [
        ("pop", a, str(y), float(i))
        for i, (a, y) in enumerate((a, y) for a in ("KAZ", "UZB", "KGZ") for y in range(2000, 2010))
    ]
    with Store(tmp_path / "k.duckdb") as store:
        store.ingest(tidy(rows), provenance("a" * 64, "v1", "2023-01-01"))
        store.ingest(
            tidy([("pop", "KAZ", "2000", 100.0), ("gdp", "KAZ", "2000", 7.0)]),
            provenance("b" * 64, "v2", "2024-01-01"),
        )
        got = store.summarise("test", ["measure", "ref_area"]).set_index(["measure", "ref_area"])
        frame = store.observations("TEST")
    want = frame.groupby(["measure", "ref_area"])["value"].agg(["count", "sum", "mean"])
    assert list(got.index) == list(want.index)
    assert (got["n"].to_numpy() == want["count"].to_numpy()).all()
    assert got["sum"].to_numpy() == pytest.approx(want["sum"].to_numpy())
    assert got.loc[("pop", "KAZ"), "max"] == 100.0  # the newer vintage's value, not the older


def test_the_shipped_area_codes_are_those_keruen_resolves() -> None:
    from keruen.sources.validate import computed_area_codes, known_area_codes

    assert known_area_codes() == computed_area_codes()
    assert {"KAZ", "KZ-10", "WLD", "post_soviet"} <= set(known_area_codes())
