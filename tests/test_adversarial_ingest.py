"""Adversarial suite (issue 8, MUST SHOW): generated hostile values through every ingest path.

Paths: ``keruen load`` (CSV and Parquet), ``keruen import`` for undesa, bns, sdmx, taldau and
wdi, and ``keruen update worldbank`` against the loopback fake server. Values: infinities, NaN,
huge and tiny numbers, digit separators, booleans, formula strings (=1+1, +cmd, @SUM), script
strings (<script>), odd encodings (latin-1, UTF-16, BOM, NUL bytes). For each generated case
the command must either

* fail cleanly: a non-zero exit, one ``keruen: error:`` line, no traceback, and the store
  exactly as before (its files byte for byte, which implies an equal ``Store.checksum()``); or
* succeed correctly: the value stored is finite and equals the number the cell states.

Issue 22 adds files that used to lose data silently, generated for the WDI, BNS and Taldau
importers: duplicate columns, NUL bytes, impossible dates, years outside 1900-2100 and empty
releases. There the command must refuse cleanly (store digest unchanged) or store every cell.

Examples per test: ``KERUEN_ADVERSARIAL_EXAMPLES`` (default 5, plus the explicit ``@example``
cases).

The files are SYNTHETIC (built by tests/hostile.py). Commands run in-process (CliRunner) on a
copy of one snapshot store made per module; a few cases run as real subprocesses.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from keruen import settings as keruen_settings
from keruen.cli import main
from keruen.sources import undesa
from keruen.sources.common import PLAIN_NUMBER
from keruen.sources.snapshot import open_store
from tests import hostile
from tests.fakeserver import FakeServer, Reply
from tests.test_worldbank import POP, serve_worldbank

#: Hostile number texts named in issue 8, plus neighbours.
NUMBER_TEXTS = [
    "inf", "-inf", "+inf", "Infinity", "-Infinity", "NaN", "nan", "1e309", "1e999", "-1e999",
    "1e-400", "5e-324", "1.7976931348623157e308", "1_000", "1,500", "1.500,5", "0x10", "true",
    "false", "", " ", "١٢٣", "1e5", "-0", "12.5", "=1+1", "+cmd", "@SUM(A1)",
    "<script>alert(1)</script>", "1\x000", "\ufeff12",
]
#: Hostile labels: formulas, scripts, control characters, odd Unicode.
LABEL_TEXTS = [
    "=1+1", "+cmd", "-2+3", "@SUM(A1:A2)", "=cmd|' /C calc'!A0", "<script>alert(1)</script>",
    "javascript:alert(1)", "a\x00b", "\ufeffKAZ", "KAZ\r\n", "Ωmega", "", " ", "x" * 300,
]
numbers = st.one_of(
    st.sampled_from(NUMBER_TEXTS),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**400), 10**400).map(str),
    st.text(alphabet="0123456789.,-+eE_ ", max_size=12),
)
labels = st.one_of(st.sampled_from(LABEL_TEXTS), st.text(max_size=12))
ENCODINGS = ["utf-8", "utf-8-sig", "latin-1", "utf-16", "nul"]
SETTINGS = settings(
    max_examples=int(os.environ.get("KERUEN_ADVERSARIAL_EXAMPLES", "5")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


# -- fixtures and checks ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file holding the bundled snapshot, made once for this module."""
    folder = tmp_path_factory.mktemp("pristine")
    open_store(folder / "keruen.duckdb", quiet=True).close()
    _PRISTINE_SUM[folder] = file_digest(folder / "keruen.duckdb")
    return folder


_PRISTINE_SUM: dict[Path, str] = {}


@pytest.fixture
def store_home(pristine: Path) -> Path:
    """This test's KERUEN_HOME; ``fresh()`` puts a copy of the pristine store in it."""
    global _PRISTINE
    _PRISTINE = pristine
    return keruen_settings.store_path().parent


_PRISTINE: Path | None = None


def file_digest(folder: Path) -> str:
    """A digest of the store's bytes: its manifest and every segment (immutable once named).

    Byte-identical files imply an equal ``Store.checksum()`` at a fiftieth of its cost.
    """
    import hashlib

    out = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "spill" not in p.parts):
        out.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return out.hexdigest()


def checksum() -> str:
    """The store's digest (:func:`file_digest`)."""
    return file_digest(keruen_settings.store_path())


def fresh() -> str:
    """Start an example from a copy of the pristine store; returns its checksum."""
    assert _PRISTINE is not None
    home = keruen_settings.store_path().parent
    home.mkdir(parents=True, exist_ok=True)
    for old in home.glob("keruen.duckdb*"):
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    for item in _PRISTINE.iterdir():
        if item.is_dir():
            shutil.copytree(item, home / item.name)
        else:
            shutil.copy(item, home / item.name)
    return _PRISTINE_SUM[_PRISTINE]  # a byte copy of the pristine store


def run(args: list[str]) -> Result:
    return CliRunner().invoke(main, args)


def assert_clean_failure(result: Result, before: str) -> None:
    """A domain error: non-zero exit, one error line, no traceback, the store unchanged."""
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, f"traceback: {result.exception!r}\n{result.output}"
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    errors = [ln for ln in result.output.splitlines() if ln.startswith("keruen: error:")]
    assert len(errors) == 1, result.output
    assert len(errors[0]) <= 700
    assert checksum() == before


def expected_number(text: str) -> float | None:
    """The number a cell states when it is a plain finite decimal, else None."""
    stripped = text.strip()
    if PLAIN_NUMBER.fullmatch(stripped):
        value = float(stripped)
        return value if math.isfinite(value) else None
    return None


def stored_values(dataset: str, period: str) -> list[float]:
    with open_store(quiet=True) as store:
        frame = store.con.execute(
            "SELECT o.value FROM observations o JOIN sources s USING (source_id) "
            "WHERE s.dataset = ? AND o.period = ?", [dataset, period]).df()
    return [float(v) for v in frame["value"] if v is not None and v == v]


def judge_number(result: Result, before: str, text: str, dataset: str, period: str,
                 *, accepted: set[str] | None = None) -> None:
    """Either a clean failure, or the stated number stored (finite) for the hostile cell."""
    if result.exit_code != 0 or result.exception is not None:
        assert_clean_failure(result, before)
        return
    values = stored_values(dataset, period)
    assert values and all(math.isfinite(v) for v in values), values
    want = expected_number(text)
    if accepted is not None and text.strip() in accepted:
        return  # a documented format (e.g. "1,500" as grouped thousands), checked elsewhere
    assert want is not None, f"{text!r} was accepted although it is not a plain number"
    assert want in values, (text, values)


def encode(path: Path, encoding: str) -> None:
    """Re-encode a UTF-8 text file (``nul``: insert a NUL byte into the second line)."""
    text = path.read_text("utf-8")
    if encoding == "nul":
        first, _, rest = text.partition("\n")
        path.write_bytes((first + "\n\x00" + rest).encode("utf-8"))
        return
    try:
        path.write_bytes(text.encode(encoding))
    except UnicodeEncodeError:
        path.write_bytes(text.encode(encoding, errors="replace"))


# -- keruen load (CSV, Parquet) ---------------------------------------------------------------
@SETTINGS
@given(value=numbers, measure=labels, unit=labels, encoding=st.sampled_from(ENCODINGS))
@example(value="inf", measure="m1", unit="persons", encoding="utf-8")
@example(value="1e999", measure="m1", unit="persons", encoding="utf-8")
def test_load_csv(store_home: Path, tmp_path: Path, value: str, measure: str, unit: str,
                  encoding: str) -> None:
    path = hostile.tidy_csv(tmp_path, value=value, measure=measure, unit=unit)
    encode(path, encoding)
    before = fresh()
    result = run(["load", str(path), "--dataset", "ADV", "--vintage", "adv-1",
                  "--publisher", "keruen adversarial tests", "--release", "2024-01-01"])
    if result.exit_code != 0 or result.exception is not None:
        assert_clean_failure(result, before)
        return
    with open_store(quiet=True) as store:
        rows = store.observations("ADV")
    assert all(math.isfinite(v) for v in rows["value"].dropna()), rows["value"].tolist()
    got = rows[rows["period"] == "2021"]
    assert len(got) == 1 and got["measure"].item() == measure  # stored exactly as given
    want = expected_number(value)
    assert want is not None and got["value"].item() == want, (value, got["value"].item())


@SETTINGS
@given(value=st.floats(allow_nan=True, allow_infinity=True, width=64), measure=labels)
@example(value=math.inf, measure="m1")
@example(value=-math.inf, measure="m1")
def test_load_parquet(store_home: Path, tmp_path: Path, value: float, measure: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "dataset": ["ADV", "ADV"], "measure": ["m1", measure], "ref_area": ["KAZ", "KAZ"],
        "counterpart_area": [None, None], "breakdown": [None, None],
        "period": ["2020", "2021"], "value": [5.0, value], "unit": ["persons", "persons"],
        "obs_status": ["A", "A"],
    })
    path = tmp_path / "tidy.parquet"
    pq.write_table(table, path)
    before = fresh()
    result = run(["load", str(path), "--dataset", "ADV", "--vintage", "adv-1",
                  "--publisher", "keruen adversarial tests", "--release", "2024-01-01"])
    if result.exit_code != 0 or result.exception is not None:
        assert_clean_failure(result, before)
        return
    assert math.isfinite(value), f"{value!r} was stored"
    got = stored_values("ADV", "2021")
    assert got == [value]


# -- keruen import: the five sources ----------------------------------------------------------
@SETTINGS
@given(value=numbers, encoding=st.sampled_from(ENCODINGS))
@example(value="1,500", encoding="utf-8")
@example(value="1\x000", encoding="utf-8")  # a NUL byte inside a number (found by hypothesis)
@example(value="", encoding="utf-8")  # an empty cell is no data (found by hypothesis)
def test_import_undesa(store_home: Path, tmp_path: Path, value: str, encoding: str) -> None:
    path = hostile.undesa_file(tmp_path, value)
    encode(path, encoding)
    before = fresh()
    result = run(["import", str(path), "-s", "undesa", "--release", "2099-01-01"])
    if result.exit_code != 0 or result.exception is not None:
        assert_clean_failure(result, before)
        return
    values = stored_values("UNDESA_IMS", "2020")
    assert values and all(math.isfinite(v) for v in values)
    # an empty cell or a missing marker ("..", "-") is no data: the row is skipped
    if value.strip() not in undesa.MISSING_MARKERS:
        want = by_the_rule(value)
        assert want is not None and want in values, (value, values)


def by_the_rule(text: str) -> float | None:
    """The number a cell written by people states under the ONE documented rule for digit
    separators (docs/reliability.md, issue 22 item 30), read independently; None if refused."""
    import re

    t = re.sub(r"[\u00a0\u2009\u202f]", " ", text.strip())
    if re.fullmatch(r"[+-]?\d{1,3}( \d{3})+([.,]\d+)?", t):
        t = t.replace(" ", "").replace(",", ".")
    elif re.fullmatch(r"[+-]?\d{1,3}(,\d{3}){2,}(\.\d+)?|[+-]?\d{1,3},\d{3}\.\d+", t):
        t = t.replace(",", "")
    elif re.fullmatch(r"[+-]?\d{1,3},\d{3}", t):
        return None  # "1,500": ambiguous, refused
    elif re.fullmatch(r"[+-]?\d+,\d+", t):
        t = t.replace(",", ".")
    return expected_number(t)


@SETTINGS
@given(value=numbers, region=labels, encoding=st.sampled_from(ENCODINGS))
@example(value="1e309", region="г. Астана", encoding="utf-8")
def test_import_bns(store_home: Path, tmp_path: Path, value: str, region: str,
                    encoding: str) -> None:
    table, mapping = hostile.bns_files(tmp_path, value)
    if region:
        table.write_text(table.read_text("utf-8").replace("г. Астана", region.replace(",", ""),
                                                          1), "utf-8")
    encode(table, encoding)
    before = fresh()
    result = run(["import", str(table), "-s", "bns", "-m", str(mapping)])
    if result.exit_code != 0 or result.exception is not None:
        assert_clean_failure(result, before)
        return
    values = stored_values("KZ_BNS_MIGRATION", "2023")
    assert values and all(math.isfinite(v) for v in values)
    # BNS prints a decimal comma and space-grouped thousands: "98 765,5" (the one rule)
    text = value.strip().replace("\u00a0", " ")
    assert text in {"", "-", "..."} or by_the_rule(value) in values, (value, values)


@SETTINGS
@given(value=numbers)
@example(value="1,500")
@example(value="1_000")
def test_import_sdmx(store_home: Path, tmp_path: Path, value: str) -> None:
    path = hostile.sdmx_file(tmp_path, value)
    before = fresh()
    result = run(["import", str(path), "-s", "sdmx"])
    if result.exit_code == 0 and value.strip() in {"", "NaN"}:
        return  # SDMX's own markers of a missing value: stored as status M
    judge_number(result, before, value, "ILOSTAT", "2021")


@SETTINGS
@given(value=st.one_of(numbers, st.booleans(), st.floats(allow_nan=True, allow_infinity=True)),
       encoding=st.sampled_from(ENCODINGS))
@example(value=True, encoding="utf-8")
def test_import_taldau(store_home: Path, tmp_path: Path, value: object, encoding: str) -> None:
    path = hostile.taldau_file(tmp_path, value)
    encode(path, encoding)
    before = fresh()
    result = run(["import", str(path), "-s", "taldau", "--release", "2099-01-01"])
    if result.exit_code != 0 or result.exception is not None:
        assert_clean_failure(result, before)
        return
    assert not isinstance(value, bool), "true/false was stored as a number"
    values = stored_values("KZ_BNS_MIGRATION", "2021")
    assert values and all(math.isfinite(v) for v in values)
    if isinstance(value, float):
        assert value in values
    elif isinstance(value, str) and value.strip():
        assert by_the_rule(value) in values, (value, values)


@SETTINGS
@given(value=numbers, code=st.one_of(st.just("KAZ"), labels),
       encoding=st.sampled_from(ENCODINGS))
@example(value="1_000", code="KAZ", encoding="utf-8")
@example(value="5", code="", encoding="utf-8")
def test_import_wdi(store_home: Path, tmp_path: Path, value: str, code: str,
                    encoding: str) -> None:
    path = hostile.wdi_file(tmp_path, value, code=code.replace(",", ""))
    encode(path, encoding)
    before = fresh()
    result = run(["import", str(path), "-s", "wdi", "--release", "2099-01-01"])
    if result.exit_code != 0 or result.exception is not None:
        assert_clean_failure(result, before)
        return
    values = stored_values("WB_WDI", "2021")
    assert all(math.isfinite(v) for v in values)
    want = expected_number(value.replace('"', ""))
    assert want is not None or value.strip() == "", f"{value!r} was accepted"
    if want is not None:
        assert want in values


# -- keruen update worldbank (fake server) ----------------------------------------------------
WB_VALUES = st.one_of(
    st.sampled_from(["1e999", "-1e999", "Infinity", "-Infinity", "NaN", '"inf"', '"1_000"',
                     '"1,500"', "true", '"=1+1"', '"<script>x</script>"', "12.5", '"12.5"',
                     "null", "[1]", '{"a": 1}']),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)


@SETTINGS
@given(raw=WB_VALUES, lastupdated=st.one_of(st.just("2099-01-01"), labels))
@example(raw="1e999", lastupdated="2099-01-01")
@example(raw="5", lastupdated="<script>alert(1)</script>")
def test_update_worldbank(store_home: Path, server: FakeServer,
                          monkeypatch: pytest.MonkeyPatch, raw: str, lastupdated: str) -> None:
    serve_worldbank(server, monkeypatch, {POP: Reply(hostile.wb_page(raw,
                                                                     lastupdated=lastupdated))})
    before = fresh()
    result = run(["update", "worldbank", "-i", POP])
    if result.exit_code != 0 or result.exception is not None:
        assert_clean_failure(result, before)
        return
    if raw == "null":
        return  # the API's own "no data": the row is left out
    want = expected_number(raw.strip('"')) if raw.startswith('"') else expected_number(raw)
    assert want is not None, f"{raw!r} was accepted"
    assert not raw.startswith('"') or PLAIN_NUMBER.fullmatch(raw.strip('"'))
    assert want in stored_values("WB_WDI", "2020")


# -- a few real processes ---------------------------------------------------------------------
@pytest.mark.parametrize(("source", "builder"), [
    ("sdmx", lambda d: [str(hostile.sdmx_file(d, "1,500"))]),
    ("taldau", lambda d: [str(hostile.taldau_file(d, None, raw="Infinity")), "--release",
                          "2024-01-01"]),
    ("wdi", lambda d: [str(hostile.wdi_file(d, "1e999")), "--release", "2024-01-01"]),
    ("bns", lambda d: [str(hostile.bns_files(d, "1_000")[0]), "-m", str(d / "mapping.toml")]),
])
def test_a_real_process_prints_one_line_and_no_traceback(
    store_home: Path, tmp_path: Path, source: str, builder: object
) -> None:
    args = builder(tmp_path)  # type: ignore[operator]
    before = fresh()
    proc = subprocess.run(
        [sys.executable, "-m", "keruen", "import", args[0], "-s", source, *args[1:]],
        capture_output=True, text=True, timeout=120,
        env=os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("keruen: error:") == 1 and len(proc.stderr.splitlines()) == 1
    assert checksum() == before


# -- issue 22: files that lost data silently (WDI, BNS, Taldau importers) ---------------------
#: Years as a header or a date may spell them: in and out of the store's 1900-2100.
YEARS = st.sampled_from(["2020", "2021", "0000", "9999", "1899", "2101", "1900", "2100"])
#: Day and month cells, including days the calendar lacks (31.02, 30.02, 29.02.2023).
DAYS = st.tuples(st.integers(1, 31), st.integers(1, 12), YEARS)
PLAIN = st.integers(0, 10**6).map(str)


def cells(draw_nul: bool, text: str) -> str:
    return text[:1] + "\x00" + text[1:] if draw_nul else text


def real_day(day: int, month: int, year: str) -> str | None:
    import datetime as dt

    try:
        value = dt.date(int(year), month, day)
    except ValueError:
        return None
    return value.isoformat() if 1900 <= value.year <= 2100 else None


@SETTINGS
@given(years=st.lists(YEARS, min_size=1, max_size=4),
       values=st.lists(st.one_of(PLAIN, st.just("")), min_size=4, max_size=4),
       nul=st.booleans(), rows=st.integers(0, 2))
@example(years=["2020", "2020"], values=["1", "2", "", ""], nul=False, rows=1)  # 22.4
@example(years=["2020", "2021"], values=["12", "3", "", ""], nul=True, rows=1)  # 22.5
@example(years=["9999"], values=["1", "", "", ""], nul=False, rows=1)  # 22.10
@example(years=["2020"], values=["", "", "", ""], nul=False, rows=2)  # 22.9: no value at all
def test_wdi_bulk_never_loses_a_cell(store_home: Path, tmp_path: Path, years: list[str],
                                     values: list[str], nul: bool, rows: int) -> None:
    """Either a clean refusal, or every non-empty cell stored with its year and number."""
    width = len(years)
    lines = ["Country Name,Country Code,Indicator Name,Indicator Code," + ",".join(years)]
    codes = ["KAZ", "UZB"][:rows]
    for i, code in enumerate(codes):
        row = [values[(i * width + j) % 4] for j in range(width)]
        if nul and i == 0:
            row[0] = cells(True, row[0] or "7")
        lines.append(f"{code},{code},Population (people),SP.POP.TOTL," + ",".join(row))
    path = tmp_path / "WDIData.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode())
    before = fresh()
    result = run(["import", str(path), "-s", "wdi", "--release", "2099-01-01"])
    if result.exit_code != 0 or result.exception is not None:
        assert_clean_failure(result, before)
        return
    assert not nul and len(set(years)) == width
    assert all(1900 <= int(y) <= 2100 for y in years)
    with open_store(quiet=True) as store:
        got = store.observations("WB_WDI", vintage="WDI bulk 2099-01-01")
    stored = {(r.ref_area, r.period): r.value for r in got.itertuples()}
    want = {(code, years[j]): float(values[(i * width + j) % 4]) for i, code in enumerate(codes)
            for j in range(width) if values[(i * width + j) % 4]}
    assert stored == want and want


@SETTINGS
@given(days=st.lists(DAYS, min_size=0, max_size=3), duplicate=st.booleans(),
       nul=st.booleans(), value=PLAIN)
@example(days=[(1, 1, "2023")], duplicate=True, nul=False, value="5")  # 22.6
@example(days=[(31, 2, "2023")], duplicate=False, nul=False, value="5")  # 22.7
@example(days=[], duplicate=False, nul=False, value="5")  # 22.9: a header only
@example(days=[(1, 1, "2023")], duplicate=False, nul=True, value="12")
def test_bns_never_loses_a_row(store_home: Path, tmp_path: Path, days: list[tuple[int, int, str]],
                               duplicate: bool, nul: bool, value: str) -> None:
    """Either a clean refusal, or every data row stored on its real calendar day."""
    regions = ["г. Астана", "Акмолинская область", "г. Алматы"]
    head = "Region,Year,Value" + (",Value" if duplicate else "")
    lines = [head]
    for i, (day, month, year) in enumerate(days):
        cell = cells(nul and i == 0, value)
        lines.append(f"{regions[i]},{day:02d}.{month:02d}.{year},{cell}"
                     + (",9" if duplicate else ""))
    table = tmp_path / "bns_table.csv"
    table.write_bytes(("\n".join(lines) + "\n").encode())
    (tmp_path / "mapping.toml").write_text(hostile.BNS_MAPPING, "utf-8")
    before = fresh()
    result = run(["import", str(table), "-s", "bns", "-m", str(tmp_path / "mapping.toml")])
    if result.exit_code != 0 or result.exception is not None:
        assert_clean_failure(result, before)
        return
    assert days and not duplicate and not nul
    expected = [real_day(*d) for d in days]
    assert all(expected), f"{days} was accepted"
    with open_store(quiet=True) as store:
        vintages = [v for v in store.vintages("KZ_BNS_MIGRATION") if v.startswith("BNS ")]
        got = store.observations("KZ_BNS_MIGRATION", vintage=vintages[-1])
    assert sorted(got["period"]) == sorted(expected)
    assert set(got["value"]) == {float(value)}


@SETTINGS
@given(keep=st.integers(0, 2), day=DAYS, value=st.one_of(PLAIN, st.just("1\x002")))
@example(keep=0, day=(31, 12, "2021"), value="5")  # 22.9: the answer []
@example(keep=1, day=(31, 2, "2023"), value="5")  # 22.7
@example(keep=1, day=(1, 1, "9999"), value="5")  # 22.10
def test_taldau_never_loses_a_period(store_home: Path, tmp_path: Path, keep: int,
                                     day: tuple[int, int, str], value: str) -> None:
    """Either a clean refusal, or every period of every row stored (the first on its day)."""
    import json

    payload = json.loads(hostile.TALDAU_JSON.read_text("utf-8"))[:keep]
    if payload:
        payload[0]["periods"][0] = {"name": "", "date": "%02d.%02d.%s" % day, "value": value}
    path = tmp_path / "migration_arrivals_by_region.json"
    path.write_text(json.dumps(payload, ensure_ascii=False), "utf-8")
    before = fresh()
    result = run(["import", str(path), "-s", "taldau", "--release", "2099-01-01"])
    if result.exit_code != 0 or result.exception is not None:
        assert_clean_failure(result, before)
        return
    first = real_day(*day)
    assert keep and first is not None and "\x00" not in value
    with open_store(quiet=True) as store:
        got = store.observations("KZ_BNS_MIGRATION", vintage="Taldau migration_arrivals_by_region "
                                 "2099-01-01", breakdown="*")
    assert len(got) == sum(len(r["periods"]) for r in payload)
    label = first[:4] if first.endswith("-12-31") else first
    assert float(value) in set(got.loc[got["period"] == label, "value"])
