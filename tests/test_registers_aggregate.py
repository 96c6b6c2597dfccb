"""Aggregates of a register equal a brute-force count in plain Python; checks never drop
records silently; results land in the store with their provenance."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.errors import InputError
from keruen.registers import sql
from keruen.registers.aggregate import aggregate, store_results, tidy
from keruen.registers.checks import kz_regions, quiet_rules, resolve_span
from keruen.registers.engines import DuckDBEngine
from keruen.registers.generate import Spec, generate
from keruen.registers.margins import from_store
from keruen.registers.schema import PERMIT_KINDS, SECTORS, check_files
from keruen.store import Store

STOCK_DATES = [date(2022, 1, 1), date(2022, 7, 15), date(2023, 12, 31)]
OVERSTAY_DATE = date(2023, 6, 30)


@pytest.fixture(scope="module")
def register(tmp_path_factory, snapshot_store):  # type: ignore[no-untyped-def]
    """A small synthetic register with 1 % deliberately corrupted records."""
    root = tmp_path_factory.mktemp("agg") / "reg"
    spec = Spec(
        persons=4_000,
        start_year=2021,
        end_year=2023,
        seed=3,
        chunk_rows=1_500,
        overstay_share=0.2,
        move_share=0.3,
        bad_share=0.01,
    )
    generate(root, spec, from_store(snapshot_store))
    return check_files(root)


@pytest.fixture(scope="module")
def results(register, tmp_path_factory):  # type: ignore[no-untyped-def]
    engine = DuckDBEngine(memory_limit="300MB")
    try:
        return aggregate(
            engine,
            register,
            resolve_span(register),
            stock_dates=STOCK_DATES,
            overstay_date=OVERSTAY_DATE,
            max_bad_share=0.05,
            quarantine=tmp_path_factory.mktemp("q") / "bad.parquet",
        )
    finally:
        engine.close()


def _records(register) -> list[dict]:  # type: ignore[no-untyped-def]
    table = ds.dataset(list(map(str, register.files)), format="parquet").to_table()
    return table.to_pylist()


def _brute_rules(recs: list[dict], span: tuple[date, date]) -> list[set[str]]:
    """The rules each record breaks, by plain Python loops."""
    import pycountry

    countries = {c.alpha_3 for c in pycountry.countries}
    regions = set(kz_regions())
    codes = {
        "citizenship": countries,
        "region": regions,
        "previous_region": regions,
        "sex": {"F", "M"},
        "sector": set(SECTORS),
        "permit_kind": set(PERMIT_KINDS),
    }
    broken: list[set[str]] = [set() for _ in recs]
    for i, r in enumerate(recs):
        if any(r[c] is None for c in r if c not in ("departure_date", "previous_region")):
            broken[i].add("missing_value")
        if any(r[c] is not None and r[c] not in ok for c, ok in codes.items()):
            broken[i].add("unknown_code")
        if r["departure_date"] is not None and r["departure_date"] < r["arrival_date"]:
            broken[i].add("departure_before_arrival")
        dep = r["departure_date"]
        if r["arrival_date"] < span[0] or r["arrival_date"] > span[1] or (
            dep and not span[0] <= dep <= span[1]
        ):
            broken[i].add("outside_span")
        arr, born, until = r["arrival_date"], r["birth_year"], r["permitted_until"]
        if arr is not None and (
            (born is not None and not arr.year - 120 <= born <= arr.year)
            or (until is not None and (arr - until).days > 3653)
        ):
            broken[i].add("implausible_value")
    by_person = defaultdict(list)
    for i, r in enumerate(recs):
        by_person[r["person_id"]].append(i)
    for idx in by_person.values():
        for i in idx:
            a = recs[i]["arrival_date"]
            same_day = sum(1 for k in idx if recs[k]["arrival_date"] == a) > 1
            earlier_open = any(
                recs[k]["arrival_date"] < a
                and (recs[k]["departure_date"] is None or recs[k]["departure_date"] > a)
                for k in idx
            )
            if same_day or earlier_open:
                broken[i].add("duplicate_person_period")
    return broken


@pytest.fixture(scope="module")
def brute(register):  # type: ignore[no-untyped-def]
    recs = _records(register)
    broken = _brute_rules(recs, resolve_span(register))
    clean = [r for r, b in zip(recs, broken, strict=True) if not b]
    return recs, broken, clean


def test_checks_count_each_rule_like_a_brute_force_pass(results, brute) -> None:  # type: ignore[no-untyped-def]
    recs, broken, _ = brute
    want = Counter(rule for b in broken for rule in b)
    assert results.checks.records == len(recs)
    assert results.checks.by_rule == {r: want.get(r, 0) for r in sql.RULES}
    assert results.checks.bad == sum(1 for b in broken if b) > 0
    for rule in (
        "unknown_code",
        "departure_before_arrival",
        "duplicate_person_period",
        "outside_span",
    ):
        assert want[rule] > 0, f"the generator should have injected {rule}"


def test_every_bad_record_is_in_the_quarantine_file(results) -> None:  # type: ignore[no-untyped-def]
    quarantined = pq.read_table(results.checks.quarantine).to_pandas()
    assert len(quarantined) == results.checks.bad
    assert quarantined[list(sql.RULES)].any(axis=1).all()
    assert (quarantined[list(sql.RULES)].sum() == pd.Series(results.checks.by_rule)).all()


def test_overstays_equal_a_brute_force_count(results, brute) -> None:  # type: ignore[no-untyped-def]
    _, _, clean = brute
    t = OVERSTAY_DATE
    count, days = Counter(), Counter()
    for r in clean:
        present = r["arrival_date"] <= t and (
            r["departure_date"] is None or r["departure_date"] > t
        )
        if present and r["permitted_until"] < t:
            count[(r["citizenship"], r["region"])] += 1
            days[(r["citizenship"], r["region"])] += (t - r["permitted_until"]).days
    got = results.tables["overstays"].set_index(["citizenship", "region"])
    assert sum(count.values()) > 20
    assert got["overstayers"].to_dict() == dict(count)
    assert got["overstay_days"].to_dict() == dict(days)


def test_durations_equal_a_brute_force_count(results, brute) -> None:  # type: ignore[no-untyped-def]
    _, _, clean = brute
    stays, days = Counter(), Counter()
    for r in clean:
        if r["departure_date"] is None:
            continue
        d = (r["departure_date"] - r["arrival_date"]).days
        band = [label for label, low in sql.DURATION_BANDS if d >= low][-1]
        stays[(r["citizenship"], r["region"], band)] += 1
        days[(r["citizenship"], r["region"], band)] += d
    got = results.tables["durations"].set_index(["citizenship", "region", "band"])
    assert got["stays"].to_dict() == dict(stays)
    assert got["days"].to_dict() == dict(days)


def test_stocks_flows_and_moves_equal_a_brute_force_count(results, brute) -> None:  # type: ignore[no-untyped-def]
    _, _, clean = brute
    stock = Counter()
    for t in STOCK_DATES:
        for r in clean:
            if r["arrival_date"] <= t and (r["departure_date"] is None or r["departure_date"] > t):
                stock[(t.isoformat(), r["region"], r["citizenship"])] += 1
    got = results.tables["stock"].set_index(["date", "region", "citizenship"])["stock"]
    assert got[got > 0].to_dict() == dict(stock)

    arr, dep, moves = Counter(), Counter(), Counter()
    for r in clean:
        a = r["arrival_date"]
        arr[(r["region"], a.year * 100 + a.month, r["citizenship"])] += 1
        if r["departure_date"] is not None:
            d = r["departure_date"]
            dep[(r["region"], d.year * 100 + d.month, r["citizenship"])] += 1
        if r["previous_region"] is not None:
            moves[(a.year, r["previous_region"], r["region"])] += 1
    flows = results.tables["flows"].set_index(["region", "month", "citizenship"])
    assert flows["arrivals"][flows["arrivals"] > 0].to_dict() == dict(arr)
    assert flows["departures"][flows["departures"] > 0].to_dict() == dict(dep)
    assert (flows["net"] == flows["arrivals"] - flows["departures"]).all()
    od = results.tables["od"].set_index(["year", "origin", "destination"])["moves"]
    assert od.to_dict() == dict(moves)


def test_stock_on_the_last_day_is_the_sum_of_all_net_flows(results) -> None:  # type: ignore[no-untyped-def]
    # every clean stay starts within the span and ends within it or not at all, so on the
    # last day exactly the stays without a departure remain: arrivals minus departures
    stock = results.tables["stock"].groupby("date")["stock"].sum()
    assert stock["2023-12-31"] == results.tables["flows"]["net"].sum() > 0


@pytest.fixture(scope="module")
def clean_register(tmp_path_factory, snapshot_store):  # type: ignore[no-untyped-def]
    """A small synthetic register without deliberately bad records."""
    root = tmp_path_factory.mktemp("clean") / "reg"
    spec = Spec(persons=1_500, start_year=2021, end_year=2023, seed=5, chunk_rows=1_000)
    generate(root, spec, from_store(snapshot_store))
    return check_files(root)


def test_a_clean_register_skips_the_record_by_record_tests_it_cannot_fail(clean_register) -> None:  # type: ignore[no-untyped-def]
    seen = pd.DataFrame({"field": ["sex", "sex", "sector"], "code": ["F", "M", "C"]})
    quiet = quiet_rules(clean_register, resolve_span(clean_register), seen, has_dups=False)
    assert quiet == {"unknown_short", "duplicate_person_period", "missing_value", "outside_span",
                     "implausible_value"}  # fmt: skip
    assert sql.cell_flags(quiet) == ()
    with pytest.raises(ValueError, match="not a row-local rule"):
        sql.cell_flags({"unknown_code"})


@pytest.mark.parametrize("statistics", [True, False], ids=["footer-stats", "no-footer-stats"])
@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("sex", "X", "unknown_code"),
        ("sector", "Z", "unknown_code"),
        ("permit_kind", "visa", "unknown_code"),
        ("sex", None, "missing_value"),
        ("permitted_until", None, "missing_value"),
        ("arrival_date", date(2001, 5, 1), "outside_span"),
        ("departure_date", date(2031, 5, 1), "outside_span"),
        ("departure_date", date(2001, 5, 1), "outside_span"),  # before the span's start
        ("departure_date", date(2021, 1, 1), "departure_before_arrival"),
        # plausible ranges (issue #22 item 24): an overstay of 3.7 million days, a year -32768
        ("permitted_until", date(1, 1, 1), "implausible_value"),
        ("birth_year", -32768, "implausible_value"),
        ("birth_year", 2090, "implausible_value"),
    ],
)
def test_one_bad_record_in_a_clean_register_is_caught(  # type: ignore[no-untyped-def]
    clean_register, field: str, value: object, rule: str, statistics: bool, tmp_path: Path
) -> None:
    # the cells pass leaves out a rule the codes seen or the files' footers prove cannot
    # fire; one record breaking it, in files with or without footer statistics, must still
    # be counted like a brute-force pass and quarantined
    import shutil

    root = tmp_path / "reg"
    shutil.copytree(clean_register.root, root)
    victim = root / clean_register.files[0].relative_to(clean_register.root)
    table = pq.read_table(victim)
    values = table.column(field).to_pylist()
    values[0] = value
    i = table.schema.get_field_index(field)
    table = table.set_column(i, field, pa.array(values, type=table.schema.field(i).type))
    pq.write_table(table, victim, write_statistics=statistics)
    changed = check_files(root)
    span = resolve_span(changed)
    recs = _records(changed)
    want = Counter(rule for b in _brute_rules(recs, span) for rule in b)
    assert want[rule] >= 1
    engine = DuckDBEngine(memory_limit="300MB")
    try:
        res = aggregate(engine, changed, span, quarantine=tmp_path / "q.parquet")
    finally:
        engine.close()
    assert res.checks.by_rule == {r: want.get(r, 0) for r in sql.RULES}
    bad = pq.read_table(tmp_path / "q.parquet").to_pandas()
    hit = bad[field].isna() if value is None else bad[field] == value
    assert bad.loc[hit, rule].tolist() == [True]


BIG = 10**9
#: person -> stays [(arrival, departure or None)] as day numbers, at the ends of the range.
EDGE_STAYS: dict[int, list[tuple[int, int | None]]] = {
    1: [(-719_162, None), (2_932_896, None)],  # 0001-01-01, open; 9999-12-31
    2: [(-719_162, -719_161), (-719_161, None)],  # leaves the day the next stay starts
    3: [(-BIG, BIG), (0, 5)],
    4: [(BIG, None), (BIG, BIG + 1)],  # same day
    5: [(2_932_895, 2_932_896), (2_932_896, None)],
    6: [(18_262, 18_262), (18_262, None)],  # zero-length stay, same day
    7: [(0, 10), (5, 6), (20, None)],  # three records: the window
    8: [(-BIG, -BIG + 5), (-BIG + 3, None)],
    9: [(100, None)],
}


def edge_register(folder: Path) -> tuple[Path, set[tuple[int, int]]]:
    """A one-file register of :data:`EDGE_STAYS` and its duplicates by brute force."""
    rows = [(pid, a, d) for pid, ss in EDGE_STAYS.items() for a, d in ss]
    n = len(rows)

    def days(values: list[int | None]) -> pa.Array:
        return pa.array(values, pa.int32()).cast(pa.date32())

    table = pa.table(
        {
            "person_id": pa.array([r[0] for r in rows], pa.int64()),
            "citizenship": ["UZB"] * n, "sex": ["M"] * n,
            "birth_year": pa.array([1990] * n, pa.int16()),
            "region": ["KZ-75"] * n, "previous_region": pa.array([None] * n, pa.string()),
            "sector": ["F"] * n, "permit_kind": ["patent"] * n,
            "arrival_date": days([r[1] for r in rows]),
            "departure_date": days([r[2] for r in rows]),
            "permitted_until": days([r[1] for r in rows]),
        }
    )  # fmt: skip
    path = folder / "edge.parquet"
    pq.write_table(table, path)
    want = set()
    for pid, ss in EDGE_STAYS.items():
        for a, _ in ss:
            same_day = sum(1 for b, _ in ss if b == a) > 1
            earlier_open = any(b < a and (e is None or e > a) for b, e in ss)
            if same_day or earlier_open:
                want.add((pid, a))
    return path, want


def duplicate_keys(engine, path: Path) -> set[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """The person pass of ``engine`` over one file: its duplicate (person, arrival day)."""
    engine.open((path,))
    engine.repeated_persons("multi")
    engine.materialise("persons", sql.persons(engine.name))
    engine.materialise("dup_keys", sql.dup_keys(engine.name, many=True))
    got = engine.fetch("SELECT person_id, arr_day FROM dup_keys")
    return {(int(a), int(b)) for a, b in got.itertuples(index=False)}


def test_the_person_pass_compares_stays_exactly_at_the_ends_of_the_date_range(
    tmp_path: Path,
) -> None:
    # open stays, zero-length stays, ties and dates a billion days either side of 1970 must
    # give the duplicates a plain comparison of every pair of stays gives
    path, want = edge_register(tmp_path)
    assert want == {(1, 2_932_896), (3, 0), (4, BIG), (6, 18_262), (7, 5), (8, -BIG + 3)}
    engine = DuckDBEngine(memory_limit="300MB")
    try:
        assert duplicate_keys(engine, path) == want
    finally:
        engine.close()


def test_too_many_bad_records_fail_after_quarantining_them(register, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = DuckDBEngine(memory_limit="300MB")
    try:
        with pytest.raises(InputError, match=r"break the checks, more than the allowed 0\.10%"):
            aggregate(
                engine,
                register,
                resolve_span(register),
                max_bad_share=0.001,
                quarantine=tmp_path / "q.parquet",
            )
    finally:
        engine.close()
    assert pq.read_table(tmp_path / "q.parquet").num_rows > 0


def test_results_are_stored_as_a_synthetic_vintage_with_provenance(results, register) -> None:  # type: ignore[no-untyped-def]
    store = Store(":memory:")
    done = store_results(store, results, register, "duckdb")
    assert set(done) == {"flows", "stock", "durations", "overstays", "od"}
    sources = store.sources().set_index("dataset")
    row = sources.loc["KERUEN_REGISTER_SYNTHETIC_OVERSTAYS"]
    assert "SYNTHETIC" in row["vintage"] and "SYNTHETIC" in row["publisher"]
    notes = json.loads(row["notes"])
    assert notes["engine"] == "duckdb" and notes["synthetic"] is True
    assert notes["parameters"]["overstay_date"] == OVERSTAY_DATE.isoformat()
    assert len(notes["input_files"]) == len(register.files)
    assert all(len(f["sha256"]) == 64 for f in notes["input_files"])
    stored = store.observations("KERUEN_REGISTER_SYNTHETIC_OVERSTAYS", "register_overstayers")
    assert stored["value"].sum() == results.tables["overstays"]["overstayers"].sum()
    again = store_results(store, results, register, "duckdb")
    assert all(r.already_present for r in again.values())
    assert len(tidy(results)["flows"]) == 4 * len(results.tables["flows"])


def test_cli_aggregate_feeds_keruen_indices(register, home, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    out = runner.invoke(
        main,
        [
            "register",
            "aggregate",
            str(register.root),
            "--od-dir",
            str(tmp_path / "od"),
            "--quarantine",
            str(tmp_path / "q.parquet"),
            "--max-bad-share",
            "0.05",
        ],
    )
    assert out.exit_code == 0, out.output
    assert "SYNTHETIC register" in out.output and "quarantined:" in out.output
    res = runner.invoke(
        main,
        [
            "indices",
            "--flows",
            str(tmp_path / "od" / "od_2022.csv"),
            "--population",
            str(tmp_path / "od" / "population_2022.csv"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["effectiveness"] is not None


def test_the_person_count_by_array_equals_the_hash_table(clean_register, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # issue #20 item 6: the person pass's count runs over an array indexed by the id when the
    # footers give the ids' range and it fits; it must find the persons the SQL (MULTI) finds
    from keruen.registers.engines import dense_person_range

    engine = DuckDBEngine(memory_limit="300MB", threads=2)
    try:
        assert engine.person_range is None  # nothing opened yet
        engine.open(clean_register.files)
        assert engine.person_range is not None  # 1,500 persons: their ids' range fits
        engine.repeated_persons("dense")
        engine.materialise("hashed", sql.MULTI)
        dense = engine.fetch("SELECT person_id FROM dense ORDER BY 1")
        hashed = engine.fetch("SELECT person_id FROM hashed ORDER BY 1")
        kinds = engine.fetch("SELECT typeof(person_id) AS t FROM dense LIMIT 1")
    finally:
        engine.close()
    assert len(dense) > 0 and dense.equals(hashed)
    assert kinds.iloc[0, 0] == "BIGINT"
    assert dense_person_range(clean_register.files, 10_000) is None  # no room: hash table
    plain = tmp_path / "nostats.parquet"
    pq.write_table(pq.read_table(clean_register.files[0]), plain, write_statistics=False)
    assert dense_person_range((plain,), 1 << 30) is None  # no range in the footers


def test_the_person_count_falls_back_to_sql_when_a_footer_understates_the_range(  # type: ignore[no-untyped-def]
    clean_register,
) -> None:
    engine = DuckDBEngine(memory_limit="300MB", threads=2)
    try:
        engine.open(clean_register.files)
        assert engine.person_range is not None
        low, high = engine.person_range
        engine.person_range = (low + 10, high)  # as if a footer lied about the smallest id
        engine.repeated_persons("dense")
        engine.materialise("hashed", sql.MULTI)
        dense = engine.fetch("SELECT person_id FROM dense ORDER BY 1")
        hashed = engine.fetch("SELECT person_id FROM hashed ORDER BY 1")
    finally:
        engine.close()
    assert len(dense) > 0 and dense.equals(hashed)


def test_files_with_their_columns_in_another_order_give_the_same_checks(  # type: ignore[no-untyped-def]
    clean_register, tmp_path: Path
) -> None:
    # the files are read as a union of per-file scans: columns are matched by name
    import shutil

    root = tmp_path / "reg"
    shutil.copytree(clean_register.root, root)
    victim = root / clean_register.files[-1].relative_to(clean_register.root)
    table = pq.read_table(victim)
    pq.write_table(table.select(list(reversed(table.column_names))), victim)
    out = []
    for files in (clean_register, check_files(root)):
        engine = DuckDBEngine(memory_limit="300MB")
        try:
            out.append(aggregate(engine, files, resolve_span(files)))
        finally:
            engine.close()
    assert out[0].checks.by_rule == out[1].checks.by_rule
    for name, table in out[0].tables.items():
        assert table.equals(out[1].tables[name]), name


def test_an_aggregates_digest_follows_its_content() -> None:
    """The provenance digest of an aggregate changes with any cell, and only with content."""
    import pandas as pd

    from keruen.registers.aggregate import content_digest

    frame = pd.DataFrame(
        {"measure": ["m"] * 3, "breakdown": [None, "a", "b"], "value": [1.0, 2.0, 3.0]}
    )
    same = content_digest("h", frame.copy())
    assert content_digest("h", frame) == same
    changed = frame.copy()
    changed.loc[2, "value"] = 3.5
    assert content_digest("h", changed) != same
    relabelled = frame.copy()
    relabelled.loc[1, "breakdown"] = "c"
    assert content_digest("h", relabelled) != same
    assert content_digest("other header", frame) != same
