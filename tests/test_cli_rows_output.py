"""The CLI's store commands print DuckDB rows without pandas, to the same bytes pandas gave.

``keruen query``, ``sources`` and ``vintages`` format the store's rows directly
(:class:`keruen.store.rows.Rows`); other commands still hand pandas tables to the same writer.
Both edges of one query must print identically, so these tests build a table in DuckDB and
compare what each edge writes, over generated values that stress quoting, formula
neutralisation, float formatting and missing values.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keruen.cli.output import emit, json_float
from keruen.store.rows import Rows, timestamps_as_text
from tests.cli_store import built_store, store_home  # noqa: F401

SRC = Path(__file__).resolve().parents[1] / "src"

#: Runs a CLI command in-process and reports whether pandas or pyarrow got imported.
PROBE = """
import sys
from keruen.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    print("HEAVY", sorted(m for m in ("pandas", "pyarrow") if m in sys.modules), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [
        ["query", "WB_WDI", "--measure", "SP.POP.TOTL", "--area", "KAZ", "--period", "2020"],
        ["query", "wb_wdi", "--area", "kz", "--period", "2015:", "--format", "csv"],
        ["query", "UNDESA_IMS", "--area", "KAZ", "--breakdown", "*", "--format", "json"],
        ["query", "PAPER_KELINBAYEVA_2025"],
        ["sources", "--format", "csv"],
        ["vintages", "WB_WDI", "--format", "json"],
    ],
)
def test_store_commands_print_without_importing_pandas(
    store_home: Path,  # noqa: F811
    args: list[str],
) -> None:
    env = dict(os.environ, PYTHONPATH=str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()  # it printed rows
    assert "HEAVY []" in done.stderr


def _both_edges(sql: str, fmt: str, table_columns: list[str] | None = None) -> tuple[str, str]:
    """What ``emit`` prints for the pandas edge and for the rows edge of one DuckDB query."""
    con = duckdb.connect()
    try:
        frame = con.execute(sql).df()
        rows = Rows.fetch(con.execute(sql))
    finally:
        con.close()
    for column in frame.columns:  # the commands turn timestamps into text before printing
        if str(frame[column].dtype).startswith("datetime64"):
            frame[column] = frame[column].astype(str)
    printed = []
    for table in (frame, rows):
        out = io.StringIO()
        with redirect_stdout(out):
            emit(table, fmt, table_columns=table_columns)
        printed.append(out.getvalue())
    return printed[0], printed[1]


def _sql_literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"CAST('{value!r}' AS DOUBLE)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"CAST({value} AS INTEGER)"
    return "'" + str(value).replace("'", "''") + "'"


texts = st.one_of(
    st.none(),
    st.text(
        alphabet=st.sampled_from(list("aZ09 ,\"'=+-@\t\r\n/\\\x01\x1fé€😀.") + ["\u2028"]),
        max_size=8,
    ),
)
floats = st.one_of(
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1e16, 1e17, 9999999999999998.0, 1e-15, 1e-16, 0.5, 2.5e-11]),
)
ints = st.one_of(st.none(), st.integers(-(2**31) + 1, 2**31 - 1))
records = st.lists(st.tuples(texts, floats, ints, st.booleans()), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records, st.sampled_from(["csv", "json", "table"]))
def test_rows_print_byte_for_byte_as_pandas(
    data: list[tuple[object, object, object, object]], fmt: str
) -> None:
    selects = " UNION ALL ".join(
        "SELECT "
        + ", ".join(f"{_sql_literal(v)} AS {c}" for v, c in zip(r, "tfib", strict=True))
        + f", {i} AS k"
        for i, r in enumerate(data)
    )
    sql = (
        f"SELECT CAST(t AS VARCHAR) AS t, CAST(f AS DOUBLE) AS f, CAST(i AS INTEGER) AS i, "
        f"CAST(b AS BOOLEAN) AS b, k FROM ({selects}) ORDER BY k"
    )
    pandas_text, rows_text = _both_edges(sql, fmt)
    assert rows_text == pandas_text


def test_an_empty_result_prints_as_pandas_prints_it() -> None:
    for fmt in ("csv", "json"):
        pandas_text, rows_text = _both_edges(
            "SELECT 'a' AS t, 1.5 AS f FROM range(0)", fmt, table_columns=None
        )
        assert rows_text == pandas_text


def test_timestamps_are_text_with_one_format_per_column() -> None:
    noon = dt.datetime(2024, 5, 1, 12, 0)
    assert timestamps_as_text([noon, noon.replace(microsecond=5)]) == [
        "2024-05-01 12:00:00.000000",
        "2024-05-01 12:00:00.000005",
    ]
    assert timestamps_as_text([noon, noon.replace(microsecond=250_000)]) == [
        "2024-05-01 12:00:00.000",
        "2024-05-01 12:00:00.250",
    ]
    assert timestamps_as_text([noon, None]) == ["2024-05-01 12:00:00", "NaT"]
    assert timestamps_as_text([dt.datetime(2024, 5, 1)]) == ["2024-05-01"]
    sql = (
        "SELECT * FROM (VALUES (TIMESTAMP '2024-05-01 12:00:00', 1), "
        "(TIMESTAMP '2024-05-02 08:30:00.25', 2)) v(ts, k)"
    )
    pandas_text, rows_text = _both_edges(sql, "csv")
    assert rows_text == pandas_text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1.0"),
        (1 / 3, "0.3333333333"),
        (123456789.123456789, "123456789.123456791"),
        (1e-7, "0.0000001"),
        (1e16, "10000000000000000.0"),
        (1e17, "1e+17"),
        (-2.5, "-2.5"),
        (float("inf"), "null"),
    ],
)
def test_json_floats_follow_pandas_ten_decimal_writer(value: float, text: str) -> None:
    assert json_float(value) == text


@pytest.mark.parametrize(
    ("spelled", "exact"),
    [
        (
            ["wb_wdi", "--measure", "sp.pop.totl", "--area", "kz", "--period", "2015:"],
            ["WB_WDI", "--measure", "SP.POP.TOTL", "--area", "KAZ", "--period", "2015:2024"],
        ),
        (
            ["UNDESA_IMS", "--area", "Kazakhstan", "--counterpart", "rus", "--period", "2000"],
            ["UNDESA_IMS", "--area", "KAZ", "--counterpart", "RUS", "--period", "2000"],
        ),
    ],
)
def test_a_query_spelled_as_held_answers_as_one_resolved_against_the_store(
    store_home: Path,  # noqa: F811
    spelled: list[str],
    exact: list[str],
) -> None:
    """Values held as spelled take one pushed-down query; others are resolved first: same rows."""
    from click.testing import CliRunner

    from keruen.cli import main

    runner = CliRunner()
    resolved = runner.invoke(main, ["query", *spelled, "--format", "csv"])
    direct = runner.invoke(main, ["query", *exact, "--format", "csv"])
    assert resolved.exit_code == 0, resolved.output
    assert direct.exit_code == 0, direct.output
    assert direct.output == resolved.output
    assert direct.output.count("\n") > 1
