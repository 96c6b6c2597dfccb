"""Validation of tidy tables before they reach the store, as vectorised SQL inside DuckDB.

The rules are one set of SQL predicates over a relation ``raw`` (``_row``, the data row 1-based
after the header, plus the table's columns as text; ``value`` as text or a number): codes are
joined against a reference table of known areas, patterns checked by regular expression,
numbers by pattern and finiteness, duplicate keys by ``GROUP BY … HAVING count(*) > 1``. A
failure becomes one :class:`InputError` naming the file, the first offending data row and the
field, with the bad value and what was expected.

Files are checked where DuckDB read them (see :func:`keruen.sources.files.stage_file`); a pandas
table (from the import parsers) goes through the same SQL via :func:`validate_observations`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keruen.errors import InputError
from keruen.store.schema import (
    OBS_STATUS,
    OBSERVATION_COLUMNS,
    OBSERVATION_KEY,
    PAPER_COLUMNS,
    PERIOD_YEARS,
)

if TYPE_CHECKING:  # pandas only for the pandas-table entry points
    import pandas as pd

#: Periods: a year, year-month, date, quarter, or a year range (e.g. 2010-2023).
PERIOD_PATTERN = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?|-Q[1-4]|-\d{4})?$"
#: Text codes: letters, digits and a few separators; never starting with a character that a
#: spreadsheet reads as a formula (``=``, ``+``, ``-``, ``@``).
CODE_PATTERN = r"^[A-Za-z0-9_.:][A-Za-z0-9_.:=+\-]*$"
#: A decimal number as text (no thousands separators, underscores, hex, inf or nan).
NUMBER_PATTERN = r"^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$"

_AREA = "an ISO 3166-1 alpha-3, ISO 3166-2:KZ or World Bank aggregate code"
_EXPECTED = {
    "dataset": "a code of letters, digits and _ . : = + - not starting with = + - @",
    "measure": "a code of letters, digits and _ . : = + - not starting with = + - @",
    "breakdown": "a code of letters, digits and _ . : = + - not starting with = + - @",
    "period": "a period such as 2023, 2023-01, 2023-01-01, 2023-Q1 or 2010-2023: a real "
    f"calendar date, years {PERIOD_YEARS[0]}-{PERIOD_YEARS[1]}",
    "obs_status": f"one of {', '.join(OBS_STATUS)} ({', '.join(OBS_STATUS.values())})",
    "value": "a finite number (or empty for a missing value)",
    "ref_area": _AREA,
    "counterpart_area": _AREA,
}


#: The shipped list of :func:`known_area_codes` (one code a line), read instead of building it
#: from pycountry on every load; a test keeps it equal to :func:`computed_area_codes`.
AREA_CODES_FILE = "area_codes.txt"


@cache
def known_area_codes() -> tuple[str, ...]:
    """The codes of every known area: the reference table validation joins against.

    As :func:`keruen.areas.area` resolves them, in their canonical upper-case spelling; read
    from ``keruen/data/reference/area_codes.txt`` (importing pycountry and building the list
    cost a load about 0.15-0.3 s), or computed if that file is missing.
    """
    from importlib import resources

    try:
        text = resources.files("keruen.data.reference").joinpath(AREA_CODES_FILE).read_text()
    except (FileNotFoundError, OSError):
        return computed_area_codes()
    return tuple(line for line in text.split() if line)


def computed_area_codes() -> tuple[str, ...]:
    """:func:`known_area_codes` built from pycountry and keruen's area tables."""
    import pycountry

    from keruen import areas

    codes: set[str] = {c.alpha_3 for c in pycountry.countries}
    codes |= set(getattr(areas, "_EXTRA_ECONOMIES", {}))
    codes |= set(getattr(areas, "_OTHER_AREAS", {}))
    codes |= set(getattr(areas, "_kz_regions", dict)())
    codes |= {c for c, meta in areas.wb_metadata().items() if meta["is_aggregate"] == "True"}
    codes |= set(areas.groups())
    return tuple(sorted(codes))


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _code(col: str, *, nullable: bool) -> str:
    bad = f"NOT regexp_matches({col}, {_sql_str(CODE_PATTERN)})"
    return f"{col} IS NOT NULL AND {bad}" if nullable else f"{col} IS NULL OR {bad}"


def _value(numeric: bool, *, nullable: bool) -> str:
    if numeric:
        bad = "NOT isfinite(value)"
    else:
        bad = (
            f"NOT regexp_matches(value, {_sql_str(NUMBER_PATTERN)}) "
            "OR NOT isfinite(TRY_CAST(value AS DOUBLE))"
        )
    return f"value IS NOT NULL AND ({bad})" if nullable else f"value IS NULL OR {bad}"


def _period_bad(col: str = "period") -> str:
    """SQL true on a period that is malformed, not a calendar day, or outside PERIOD_YEARS."""
    low, high = PERIOD_YEARS
    year = f"TRY_CAST(substr({col}, 1, 4) AS INTEGER)"
    last = f"TRY_CAST(substr({col}, 6, 4) AS INTEGER)"
    return (
        f"{col} IS NULL OR NOT regexp_matches({col}, {_sql_str(PERIOD_PATTERN)})"
        f" OR NOT ({year} BETWEEN {low} AND {high})"
        f" OR (length({col}) = 10 AND TRY_CAST({col} AS DATE) IS NULL)"
        f" OR (regexp_matches({col}, '^\\d{{4}}-\\d{{4}}$')"
        f" AND NOT ({last} BETWEEN {year} AND {high}))"
    )


def _rules(kind: str, numeric_value: bool) -> list[tuple[str, str]]:
    """(field, SQL predicate that is true on a bad row), in the order fields are reported."""
    if kind == "paper_figures":
        return [
            ("measure", _code("measure", nullable=False)),
            ("ref_area", "ref_area IS NULL"),
            ("period", "period IS NULL"),
            ("value", _value(numeric_value, nullable=False)),
        ]
    statuses = ", ".join(_sql_str(s) for s in OBS_STATUS)
    return [
        ("dataset", _code("dataset", nullable=False)),
        ("measure", _code("measure", nullable=False)),
        ("ref_area", "ref_area IS NULL OR _ra.code IS NULL"),
        ("counterpart_area", "counterpart_area IS NOT NULL AND _ca.code IS NULL"),
        ("breakdown", _code("breakdown", nullable=True)),
        ("period", _period_bad()),
        ("value", _value(numeric_value, nullable=True)),
        ("obs_status", f"obs_status IS NULL OR obs_status NOT IN ({statuses})"),
    ]


def check_columns(names: Sequence[str], required: tuple[str, ...], file: str | Path) -> None:
    """The table must have exactly the ``required`` columns (in any order)."""
    missing = [c for c in required if c not in names]
    if missing:
        shown = ", ".join(map(str, names[:20])) + (", …" if len(names) > 20 else "")
        raise InputError(
            f"missing column(s) {', '.join(missing)}; the file has {shown or 'no columns'}; "
            f"required: {', '.join(required)}",
            file=file,
            field=missing[0],
        )
    extra = [str(c) for c in names if c not in required]
    if extra:
        shown = ", ".join(extra[:10]) + (", …" if len(extra) > 10 else "")
        raise InputError(
            f"unexpected column(s) {shown[:300]}; allowed: {', '.join(required)}",
            file=file,
            field=extra[0][:80],
        )


def _value_problem(bad: Any) -> str:
    text = str(bad).strip().lower().lstrip("+-")
    if text == "nan":
        return "not a number"
    if text in {"inf", "infinity"}:
        return "not a finite number"
    if isinstance(bad, float) or re.match(NUMBER_PATTERN, str(bad)):
        return "out of range (not a finite number)"
    return "not a number"


def _message(field: str, bad: Any) -> str:
    if bad is None:
        return f"empty value; expected {_EXPECTED.get(field, 'a value')}"
    shown = repr(bad if isinstance(bad, str) else float(bad))[:120]
    if field == "value":
        return f"invalid value {shown} ({_value_problem(bad)}); expected {_EXPECTED['value']}"
    return f"invalid value {shown}; expected {_EXPECTED.get(field, 'a valid value')}"


def check_relation(
    con: Any,
    kind: str,
    file: str | Path,
    *,
    value_text: Callable[[int], Any] | None = None,
) -> int:
    """Validate the relation ``raw`` in ``con`` (see the module docstring); returns its rows.

    Raises :class:`InputError` at the first offending data row: field rules first, then
    duplicate keys, then empty values lacking ``obs_status`` 'M' (observations). When
    ``value`` was converted to numbers while parsing (text that is no number made NaN),
    ``value_text(row)`` gives the text as written, for the message.
    """
    types = {r[0]: str(r[1]) for r in con.execute("DESCRIBE raw").fetchall()}
    numeric_value = types.get("value", "VARCHAR") != "VARCHAR"
    rules = _rules(kind, numeric_value)
    joins = ""
    if kind == "observations":
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _known_areas AS SELECT unnest(?::VARCHAR[]) AS code",
            [list(known_area_codes())],
        )
        joins = (
            " LEFT JOIN _known_areas _ra ON raw.ref_area = _ra.code"
            " LEFT JOIN _known_areas _ca ON raw.counterpart_area = _ca.code"
        )
    any_bad = " OR ".join(f"({pred})" for _, pred in rules)
    # one pass over the rows: their count, the first bad value, the first missing value lacking
    # status 'M' (reported after duplicates); the code columns are checked on their distinct
    # values (few, so the regular expressions and the area join run once per value, not row)
    lacking_m = (
        "min(_row) FILTER (WHERE value IS NULL AND obs_status <> 'M')"
        if kind == "observations"
        else "NULL"
    )
    value_bad = " OR ".join(f"({pred})" for field, pred in rules if field == "value")
    n_rows, first, missing = con.execute(
        f"SELECT count(*), min(_row) FILTER (WHERE {value_bad}), {lacking_m} FROM raw"
    ).fetchall()[0]
    if first is not None or not _codes_clean(con, rules, joins):
        # something is wrong: find the first offending row over every rule, in file order
        first = con.execute(f"SELECT min(_row) FROM raw{joins} WHERE {any_bad}").fetchall()[0][0]
    if first is not None:
        flags = ", ".join(f"({pred}) AS {_q('bad_' + f)}" for f, pred in rules)
        fields = ", ".join(dict.fromkeys(f for f, _ in rules))
        row = con.execute(
            f"SELECT {flags}, {fields} FROM raw{joins} WHERE _row = ?", [first]
        ).fetchall()[0]
        n = len(rules)
        for i, (field, _) in enumerate(rules):
            if row[i]:
                bad = row[n + list(dict.fromkeys(f for f, _ in rules)).index(field)]
                if field == "value" and value_text is not None:
                    bad = value_text(int(first))
                raise InputError(_message(field, bad), file=file, row=int(first), field=field)
    if kind == "observations":
        _check_ranges(con, file)
        _check_duplicates(con, file)
        if missing is not None:
            raise InputError(
                "empty value; a missing value must carry obs_status 'M'",
                file=file,
                row=int(missing),
                field="value",
            )
    return int(n_rows)


def _codes_clean(con: Any, rules: list[tuple[str, str]], joins: str) -> bool:
    """Whether every distinct value of the non-``value`` fields passes its rule.

    One grouped pass (``GROUPING SETS``, one set per field) yields each field's distinct values;
    a rule is a function of its field's value (and of the known-area join), so checking the
    distinct values checks every row. A check that cannot finish (e.g. out of memory: grouping
    sets do not spill) answers False, and the caller checks row by row.
    """
    import duckdb

    from keruen.store.connect import cancelled

    fields = list(dict.fromkeys(f for f, _ in rules if f != "value"))
    sets = ", ".join(f"({f})" for f in fields)
    marks = ", ".join(f"grouping({f}) AS {_q('g_' + f)}" for f in fields)
    bad = " OR ".join(f"({_q('g_' + f)} = 0 AND ({pred}))" for f, pred in rules if f != "value")
    distinct = f"SELECT {', '.join(fields)}, {marks} FROM raw GROUP BY GROUPING SETS ({sets})"
    try:
        found = con.execute(
            f"WITH _d AS ({distinct}) SELECT count(*) FROM _d AS raw{joins} WHERE {bad}"
        ).fetchall()[0][0]
    except duckdb.Error:
        if cancelled():
            raise
        return False
    return int(found) == 0


@cache
def plausible_ranges() -> tuple[tuple[str, str, float, float, str], ...]:
    """(dataset, measure, lowest, highest, concept) of each series a concept reads.

    From each concept's ``range`` in ``keruen/data/concepts.toml`` (in the concept's unit),
    divided by the candidate's ``scale`` to give the bounds in the series' stored unit.
    """
    from keruen.store.concept_registry import concepts

    out = []
    for concept, spec in concepts().items():
        if "range" in spec:
            low, high = (float(b) for b in spec["range"])
            for cand in spec["candidates"]:
                scale = float(cand.get("scale", 1.0))
                out.append((str(cand["dataset"]), str(cand["measure"]), low / scale,
                            high / scale, concept))
    return tuple(out)


def _check_ranges(con: Any, file: str | Path) -> None:
    """Refuse the first row whose value lies outside its series' :func:`plausible_ranges`."""
    ranges = plausible_ranges()
    columns = list(zip(*ranges, strict=True)) if ranges else []
    if not columns:
        return
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _ranges AS SELECT unnest(?::VARCHAR[]) AS dataset, "
        "unnest(?::VARCHAR[]) AS measure, unnest(?::DOUBLE[]) AS low, "
        "unnest(?::DOUBLE[]) AS high, unnest(?::VARCHAR[]) AS concept",
        [list(c) for c in columns],
    )
    hit = con.execute(
        "SELECT r._row, TRY_CAST(r.value AS DOUBLE) AS v, g.low, g.high, g.concept, r.dataset, "
        "r.measure FROM raw r JOIN _ranges g ON r.dataset = g.dataset AND r.measure = g.measure "
        "WHERE TRY_CAST(r.value AS DOUBLE) NOT BETWEEN g.low AND g.high ORDER BY r._row LIMIT 1"
    ).fetchall()
    if hit:
        row, value, low, high, concept, dataset, measure = hit[0]
        raise InputError(
            f"value {value:g} of {dataset}/{measure} is outside its plausible range {low:g} "
            f"to {high:g} (concept {concept!r}, keruen/data/concepts.toml)",
            file=file, row=int(row), field="value",
        )


def _check_duplicates(con: Any, file: str | Path) -> None:
    """Duplicate observation keys, found by GROUP BY; names the first repeat and its original.

    Keys are first grouped by a 64-bit hash (small groups, so large files stay within the
    memory limit); only rows whose hash repeats are compared by their full key.
    """
    key = ", ".join(OBSERVATION_KEY)
    joined = " AND ".join(f"c.{k} IS NOT DISTINCT FROM d.{k}" for k in OBSERVATION_KEY)
    hit = con.execute(
        f"WITH h AS (SELECT hash({key}) AS _h FROM raw GROUP BY _h HAVING count(*) > 1), "
        f"c AS (SELECT _row, {key} FROM raw WHERE hash({key}) IN (SELECT _h FROM h)), "
        f"d AS (SELECT {key}, min(_row) AS _first FROM c GROUP BY ALL HAVING count(*) > 1) "
        f"SELECT c._row, d._first FROM c JOIN d ON {joined} "
        f"WHERE c._row > d._first ORDER BY c._row LIMIT 1"
    ).fetchall()
    if hit:
        row, first = hit[0]
        raise InputError(
            "duplicate observation: the same dataset, measure, areas, breakdown and period "
            f"appear twice (first at data row {int(first)})",
            file=file,
            row=int(row),
            field="period",
        )


def _as_text(series: pd.Series) -> pd.Series:
    """Text cells (missing as None) for DuckDB; strings pass unchanged."""
    import pandas as pd

    if pd.api.types.is_string_dtype(series.dtype) and series.dtype != object:
        series = series.astype(object)
    mask = series.notna()
    if series.dtype == object and series[mask].map(type).eq(str).all():
        return series.where(mask, None)
    return series.where(~mask, series.astype(str)).where(mask, None).astype(object)


def _frame_relation(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    import pandas as pd

    rows = frame.attrs.get("rows")
    out: dict[str, Any] = {"_row": range(1, len(frame) + 1)}
    if rows is not None and len(rows) == len(frame):
        out["_row"] = list(rows)  # the data row of the file each table row came from
    for col in columns:
        series = frame[col].reset_index(drop=True)
        if col == "value" and pd.api.types.is_numeric_dtype(series.dtype):
            out[col] = series.astype("float64")
        else:
            out[col] = _as_text(series)
    return pd.DataFrame(out)


def _validate_frame(frame: pd.DataFrame, kind: str, file: str | Path) -> pd.DataFrame:
    import duckdb
    import pandas as pd

    columns = PAPER_COLUMNS if kind == "paper_figures" else OBSERVATION_COLUMNS
    check_columns([str(c) for c in frame.columns], columns, file)
    relation = _frame_relation(frame, columns)
    con = duckdb.connect()
    try:
        con.register("raw", relation)
        check_relation(con, kind, file)
    finally:
        con.close()
    out = frame.reset_index(drop=True)[list(columns)].copy()
    out["value"] = pd.to_numeric(out["value"], errors="coerce").astype("float64")
    if kind == "observations":
        from keruen.sources.placeholders import mark_frame

        out = mark_frame(out)  # a publisher's "not reported" is missing, never a number
    return out


def validate_observations(frame: pd.DataFrame, file: str | Path) -> pd.DataFrame:
    """Check a tidy observation table; returns it with ``value`` as float.

    Cells that :mod:`keruen.sources.placeholders` knows mean "not reported" come back missing
    (status M). An importer that sets ``frame.attrs["rows"]`` (the file's data row of each
    table row) gets errors naming the file's rows; else the table's rows are counted.
    """
    return _validate_frame(frame, "observations", file)


def validate_paper_figures(frame: pd.DataFrame, file: str | Path) -> pd.DataFrame:
    """Check a table of figures stated in a publication (see ``store.schema.PAPER_COLUMNS``)."""
    return _validate_frame(frame, "paper_figures", file)
