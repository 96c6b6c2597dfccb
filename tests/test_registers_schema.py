"""Malformed registers end in one clear error naming the file and column; the store is kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.errors import ConfigError, InputError
from keruen.registers.checks import resolve_span
from keruen.registers.generate import Spec, generate
from keruen.registers.margins import from_store
from keruen.registers.schema import check_files
from keruen.sources.snapshot import open_store


@pytest.fixture(scope="module")
def pristine(tmp_path_factory, snapshot_store) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("schema") / "reg"
    generate(
        root,
        Spec(persons=600, start_year=2022, end_year=2023, chunk_rows=250),
        from_store(snapshot_store),
    )
    return root


@pytest.fixture()
def reg(pristine: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "reg"
    shutil.copytree(pristine, copy)
    return copy


def _one_file(root: Path, year: int = 2023) -> Path:
    return sorted((root / f"year={year}").glob("*.parquet"))[0]


def _rewrite(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    pq.write_table(change(pq.read_table(path)), path)


def test_a_well_formed_register_passes(pristine: Path) -> None:
    files = check_files(pristine)
    assert len(files.files) >= 2 and files.synthetic


def test_wrong_column_type_names_file_and_column(reg: Path) -> None:
    bad = _one_file(reg)
    _rewrite(
        bad,
        lambda t: t.set_column(
            t.schema.get_field_index("birth_year"),
            "birth_year",
            pc.cast(t["birth_year"], pa.string()),
        ),
    )
    with pytest.raises(InputError) as err:
        check_files(reg)
    assert err.value.file == str(bad) and err.value.field == "birth_year"
    assert "expected integer" in str(err.value)


def test_dates_written_as_text_are_rejected(reg: Path) -> None:
    bad = _one_file(reg)
    _rewrite(
        bad,
        lambda t: t.set_column(
            t.schema.get_field_index("arrival_date"),
            "arrival_date",
            pc.cast(t["arrival_date"], pa.string()),
        ),
    )
    with pytest.raises(InputError, match="expected date") as err:
        check_files(reg)
    assert err.value.field == "arrival_date"


def test_unreadable_parquet_file_is_named(reg: Path) -> None:
    bad = reg / "year=2023" / "part-broken.parquet"
    bad.write_bytes(b"this is not parquet")
    with pytest.raises(InputError, match="not a readable Parquet file") as err:
        check_files(reg)
    assert err.value.file == str(bad)


def test_partition_with_a_different_schema_names_file_and_column(reg: Path) -> None:
    bad = _one_file(reg, 2023)
    _rewrite(bad, lambda t: t.set_column(0, "person_id", pc.cast(t["person_id"], pa.int32())))
    with pytest.raises(InputError, match="schema differs") as err:
        check_files(reg)
    assert err.value.file == str(bad) and err.value.field == "person_id"


def test_missing_column_is_named(reg: Path) -> None:
    bad = _one_file(reg)
    _rewrite(bad, lambda t: t.drop(["permitted_until"]))
    with pytest.raises(InputError, match="missing") as err:
        check_files(reg)
    assert err.value.field == "permitted_until"


def test_a_register_without_a_span_asks_for_one(reg: Path) -> None:
    (reg / "_register.json").unlink()
    with pytest.raises(ConfigError, match="--start and --end"):
        resolve_span(check_files(reg))


def test_cli_prints_one_line_and_leaves_the_store_unchanged(reg: Path, home: Path) -> None:
    with open_store(quiet=True) as store:
        before = store.checksum()
    bad = _one_file(reg)
    _rewrite(
        bad,
        lambda t: t.set_column(
            t.schema.get_field_index("sex"), "sex", pc.cast(pc.equal(t["sex"], "M"), pa.int8())
        ),
    )
    result = CliRunner().invoke(main, ["register", "aggregate", str(reg)])
    assert result.exit_code == 3
    lines = result.output.strip().splitlines()
    assert lines == [f"keruen: error: {bad}, field 'sex': column has type int8, expected string"]
    with open_store(quiet=True) as store:
        assert store.checksum() == before


def test_cli_refuses_too_many_bad_records_and_stores_nothing(
    tmp_path: Path, home: Path, snapshot_store
) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "dirty"
    generate(
        root,
        Spec(persons=500, start_year=2022, end_year=2023, bad_share=0.1),
        from_store(snapshot_store),
    )
    with open_store(quiet=True) as store:
        before = store.checksum()
    result = CliRunner().invoke(
        main,
        [
            "register",
            "aggregate",
            str(root),
            "--max-bad-share",
            "0.01",
            "--quarantine",
            str(tmp_path / "q.parquet"),
        ],
    )
    assert result.exit_code == 3
    assert "break the checks, more than the allowed 1.00%" in result.output
    assert pq.read_table(tmp_path / "q.parquet").num_rows > 0
    with open_store(quiet=True) as store:
        assert store.checksum() == before


def test_the_shipped_country_codes_are_pycountrys() -> None:
    """The register checks read ISO 3166-1 alpha-3 from a shipped list, not pycountry."""
    import pycountry

    from keruen.registers.checks import iso_countries, ref_codes

    assert set(iso_countries()) == {c.alpha_3 for c in pycountry.countries}
    codes = ref_codes()
    assert {"KAZ", "UZB", "RUS"} <= set(codes.loc[codes["kind"] == "country", "code"])
