"""The store: atomic and idempotent ingest, vintages, and clear errors on bad files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from keruen.errors import InputError
from keruen.sources.files import read_table, sha256_of
from keruen.sources.validate import validate_observations
from keruen.store import Store
from tests.conftest import provenance, tidy


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "k.duckdb")
    yield s
    s.close()


def test_ingest_adds_rows_with_their_provenance(store: Store) -> None:
    result = store.ingest(tidy([("pop", "KAZ", "2020", 1.0), ("pop", "UZB", "2020", 2.0)]),
                          provenance("a" * 64))
    assert result.rows_added == 2 and not result.already_present
    got = store.observations("TEST", "pop")
    assert list(got["ref_area"]) == ["KAZ", "UZB"]
    assert set(got["publisher"]) == {"keruen tests"} and set(got["vintage"]) == {"v1"}


def test_the_same_file_twice_adds_nothing(store: Store) -> None:
    frame = tidy([("pop", "KAZ", "2020", 1.0)])
    store.ingest(frame, provenance("a" * 64))
    before = store.checksum()
    again = store.ingest(frame, provenance("a" * 64))
    assert again.already_present and again.rows_added == 0
    assert store.checksum() == before


def test_a_new_release_is_a_new_vintage_and_queries_use_the_latest(store: Store) -> None:
    store.ingest(tidy([("pop", "KAZ", "2020", 1.0), ("pop", "KAZ", "2021", 5.0)]),
                 provenance("a" * 64, "2023 release", "2023-05-01"))
    store.ingest(tidy([("pop", "KAZ", "2020", 1.5)]),
                 provenance("b" * 64, "2024 release", "2024-05-01"))
    assert store.vintages("TEST") == ["2023 release", "2024 release"]
    latest = store.observations("TEST", "pop").set_index("period")
    assert latest.loc["2020", "value"] == 1.5 and latest.loc["2020", "vintage"] == "2024 release"
    # a value only the older release holds is still served, from that release
    assert latest.loc["2021", "value"] == 5.0 and latest.loc["2021", "vintage"] == "2023 release"
    old = store.observations("TEST", "pop", vintage="2023 release").set_index("period")
    assert old.loc["2020", "value"] == 1.0


def test_a_reused_vintage_name_with_new_content_is_kept_apart(store: Store) -> None:
    store.ingest(tidy([("pop", "KAZ", "2020", 1.0)]), provenance("a" * 64, "v1"))
    result = store.ingest(tidy([("pop", "KAZ", "2020", 2.0)]), provenance("b" * 64, "v1"))
    assert result.vintage == "v1+bbbbbbbb"
    assert len(store.vintages("TEST")) == 2


def test_a_failure_mid_ingest_leaves_the_store_exactly_as_it_was(store: Store) -> None:
    store.ingest(tidy([("pop", "KAZ", "2019", 0.5)]), provenance("0" * 64, "v0", "2022-01-01"))
    before = store.checksum()

    def corrupt() -> pd.DataFrame:
        raise InputError("invalid value 'x'", file="second.csv", row=7, field="value")

    with pytest.raises(InputError, match="second.csv"):
        store.ingest_many([
            (tidy([("pop", "KAZ", "2020", 1.0)]), provenance("a" * 64)),  # lands first...
            (corrupt, provenance("b" * 64, "v2")),                         # ...then this fails
        ])
    assert store.checksum() == before
    assert not store.has_file("a" * 64)


def test_a_corrupt_row_in_a_file_names_file_row_and_field(tmp_path: Path, store: Store) -> None:
    frame = tidy([("pop", "KAZ", str(2000 + i), float(i)) for i in range(50)]).astype(object)
    frame.loc[30, "value"] = "12,5x"
    path = tmp_path / "population.csv"
    frame.to_csv(path, index=False)
    before = store.checksum()
    with pytest.raises(InputError) as err:
        store.ingest(lambda: validate_observations(read_table(path), path),
                     provenance(sha256_of(path)))
    assert (err.value.file, err.value.row, err.value.field) == (str(path), 31, "value")
    assert "population.csv, data row 31, field 'value'" in str(err.value)
    assert store.checksum() == before


@pytest.mark.parametrize(
    ("column", "bad", "expected"),
    [
        ("ref_area", "XYZ", "ISO 3166-1 alpha-3"),
        ("period", "20x1", "a period such as"),
        ("obs_status", "Q", "one of A, E, P, M"),
        ("value", "n/a", "a number"),
        ("counterpart_area", "Atlantis", "alpha-3"),
    ],
)
def test_each_invalid_field_is_reported_with_row_and_field(
    tmp_path: Path, column: str, bad: str, expected: str
) -> None:
    frame = tidy([("pop", "KAZ", "2020", 1.0), ("pop", "UZB", "2020", 2.0)]).astype(object)
    frame.loc[1, column] = bad
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        validate_observations(read_table(path), path)
    assert err.value.row == 2 and err.value.field == column
    assert expected in str(err.value) and repr(bad) in str(err.value)


def test_missing_column_duplicate_key_and_empty_value_are_rejected(tmp_path: Path) -> None:
    frame = tidy([("pop", "KAZ", "2020", 1.0)])
    with pytest.raises(InputError, match="missing column.*unit"):
        validate_observations(frame.drop(columns=["unit"]), "f.csv")
    with pytest.raises(InputError, match="duplicate observation") as err:
        validate_observations(pd.concat([frame, frame], ignore_index=True), "f.csv")
    assert err.value.row == 2
    empty = frame.assign(value=[None])
    with pytest.raises(InputError, match="obs_status 'M'"):
        validate_observations(empty, "f.csv")
    validate_observations(empty.assign(obs_status=["M"]), "f.csv")  # missing, flagged: fine


def test_namibia_is_not_read_as_missing(tmp_path: Path) -> None:
    path = tmp_path / "na.csv"
    tidy([("pop", "NAM", "2020", 1.0)]).to_csv(path, index=False)
    assert validate_observations(read_table(path), path)["ref_area"].tolist() == ["NAM"]


def test_unreadable_files_get_errors_naming_them(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nowhere.csv: file not found"):
        read_table(tmp_path / "nowhere.csv")
    truncated = tmp_path / "cut.parquet"
    truncated.write_bytes(b"PAR1\x00\x01garbage")
    with pytest.raises(InputError, match="cut.parquet: corrupt or unreadable Parquet"):
        read_table(truncated)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("dataset,measure\nTEST,caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="latin.csv: not UTF-8"):
        read_table(latin)
    with pytest.raises(InputError, match="unsupported file type"):
        read_table(latin.rename(tmp_path / "data.xls"))
