"""The duplicate rule for any number of records per person, and the validation record that
lets `aggregate` reuse the duplicate check of unchanged files (and only of unchanged files)."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.registers import sql
from keruen.registers.aggregate import aggregate, file_digests
from keruen.registers.checks import run_checks
from keruen.registers.engines import DuckDBEngine
from keruen.registers.schema import ARROW_SCHEMA, check_files
from keruen.registers.validated import read_record, record_path, write_record

SPAN = (date(2022, 1, 1), date(2023, 12, 31))
D0 = date(2022, 1, 1)

#: (person, arrival day, departure day or None, duplicate?) — days after 2022-01-01.
STAYS = [
    (1, 10, 20, False), (1, 15, 30, True), (1, 40, None, False),  # overlap in a run of three
    (2, 5, 9, True), (2, 5, 9, True),  # the same person-period twice: both flagged
    (3, 0, None, False), (3, 50, 60, True),  # an open stay never ends
    (4, 0, 10, False), (4, 10, 20, False),  # leaving the day of the next arrival is no overlap
    (5, 1, 100, False), (5, 3, 4, True), (5, 3, 8, True), (5, 200, None, False),  # ties in 4
    (6, 7, None, False),  # one record
]  # fmt: skip


def _write(root: Path) -> None:
    n = len(STAYS)
    day = [D0 + timedelta(days=a) for _, a, _, _ in STAYS]
    table = pa.table(
        {
            "person_id": pa.array([p for p, *_ in STAYS], pa.int64()),
            "citizenship": ["UZB"] * n,
            "sex": ["M"] * n,
            "birth_year": pa.array([1990] * n, pa.int16()),
            "region": ["KZ-75"] * n,
            "previous_region": pa.array([None] * n, pa.string()),
            "sector": ["F"] * n,
            "permit_kind": ["patent"] * n,
            "arrival_date": pa.array(day, pa.date32()),
            "departure_date": pa.array(
                [None if d is None else D0 + timedelta(days=d) for *_, d, _ in STAYS], pa.date32()
            ),
            "permitted_until": pa.array([d + timedelta(days=90) for d in day], pa.date32()),
        },
        schema=ARROW_SCHEMA,
    )
    root.mkdir()
    pq.write_table(table.slice(0, 7), root / "a.parquet")  # one person's stays across files
    pq.write_table(table.slice(7), root / "b.parquet")


@pytest.fixture()
def small(tmp_path: Path):  # type: ignore[no-untyped-def]
    _write(tmp_path / "reg")
    return check_files(tmp_path / "reg")


def test_duplicate_rule_for_two_three_and_four_records_of_a_person(small, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = DuckDBEngine(memory_limit="200MB")
    try:
        report = run_checks(engine, small, SPAN, quarantine=tmp_path / "q.parquet", max_bad_share=1)
    finally:
        engine.close()
    want = sorted((p, a) for p, a, _, dup in STAYS if dup)
    quarantined = pq.read_table(tmp_path / "q.parquet").to_pandas()
    got = sorted(
        (int(p), (d - D0).days) for p, d in zip(quarantined["person_id"],
                                                 quarantined["arrival_date"], strict=True)
    )  # fmt: skip
    assert got == want
    assert report.by_rule["duplicate_person_period"] == len(want) == report.bad
    assert quarantined["duplicate_person_period"].all()


def _run(register, dup_keys=None):  # type: ignore[no-untyped-def]
    engine = DuckDBEngine(memory_limit="200MB")
    try:
        return aggregate(engine, register, SPAN, max_bad_share=1.0, dup_keys=dup_keys)
    finally:
        engine.close()


def test_aggregate_from_a_validation_record_equals_a_full_check(small) -> None:  # type: ignore[no-untyped-def]
    full = _run(small)
    path = write_record(small, SPAN, full.checks, file_digests(small))
    assert path == record_path(small.root) and path.parent == small.root.parent
    record = read_record(small, SPAN)
    assert record is not None and len(record.dup_keys) == 4  # (1,15) (2,5) (3,50) (5,3)
    assert record.digests == file_digests(small)
    reused = _run(small, record.dup_keys)
    assert reused.checks == full.checks
    for name, table in full.tables.items():
        assert table.equals(reused.tables[name]), name


def test_a_changed_file_span_or_rule_set_invalidates_the_record(small, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    write_record(small, SPAN, _run(small).checks, file_digests(small))
    assert read_record(small, SPAN) is not None
    assert read_record(small, (SPAN[0], date(2024, 12, 31))) is None
    monkeypatch.setattr(sql, "RULES_VERSION", "changed")
    assert read_record(small, SPAN) is None
    monkeypatch.undo()
    first = small.files[0]
    st = first.stat()
    os.utime(first, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert read_record(small, SPAN) is None


def test_cli_validate_records_and_aggregate_reuses_only_a_matching_record(
    tmp_path: Path, home: Path
) -> None:
    runner = CliRunner()
    reg = tmp_path / "reg"
    made = ["register", "generate", str(reg), "--persons", "2000", "--start-year", "2022",
            "--bad-share", "0.01", "--no-progress"]  # fmt: skip
    runner.invoke(main, made)
    checked = runner.invoke(main, ["register", "validate", str(reg), "--max-bad-share", "0.05"])
    assert checked.exit_code == 0, checked.output
    assert f"validation recorded in {tmp_path / 'reg.validated.json'}" in checked.output
    args = ["register", "aggregate", str(reg), "--no-store", "--max-bad-share", "0.05"]
    reused = runner.invoke(main, args)
    assert reused.exit_code == 0, reused.output
    assert "reused the duplicate check" in reused.output
    again = runner.invoke(main, [*args, "--recheck"])
    assert again.exit_code == 0, again.output
    assert "reused" not in again.output
    assert reused.output.splitlines()[1:] == again.output.splitlines()
