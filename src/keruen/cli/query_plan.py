"""How ``keruen query`` finds its rows.

Names are resolved against what a dataset holds; one pushed-down query answers when every value
is held as spelled; a large CSV answer is written by DuckDB.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keruen.cli.params import Years
    from keruen.store import Store
    from keruen.store.rows import Rows

#: Columns of ``query`` output in CSV and JSON: the first ten as before, new ones appended so
#: scripts reading columns by position keep working.
QUERY_COLUMNS = [
    "dataset",
    "measure",
    "ref_area",
    "counterpart_area",
    "period",
    "value",
    "unit",
    "obs_status",
    "vintage",
    "publisher",
    "breakdown",
    "release",
    "licence",
    "url",
    "title",
    "source_id",
]


def _areas_in(asked: Iterable[str], held: Iterable[str], option: str) -> list[str]:
    """Each asked area as the dataset spells it.

    Matched exactly, in any letter case, or via :func:`keruen.areas.normalise` (ISO alpha-2 or a
    country's name); else an error with the nearest held codes.
    """
    held_set = {h for h in held if h is not None}
    by_upper = {h.upper(): h for h in held_set}
    out = []
    for code in asked:
        if code in held_set:
            out.append(code)
            continue
        if code.upper() in by_upper:
            out.append(by_upper[code.upper()])
            continue
        from keruen.areas import normalise, suggest  # pycountry: only for codes not held
        from keruen.cli.params import did_you_mean
        from keruen.errors import DataNotAvailableError, UnknownAreaError

        try:
            canonical: str | None = normalise(code, ["country"])
        except UnknownAreaError:
            canonical = None
        if canonical in held_set:
            out.append(str(canonical))
            continue
        near = [c for c in suggest(code, held_set) if c in held_set]
        raise DataNotAvailableError(
            f"{option}: the dataset holds no area {code!r}" + did_you_mean(near)
        )
    return out


def _distinct(store: Store, column: str, dataset: str) -> list[str]:
    rows = store.con.execute(
        f"SELECT DISTINCT {column} FROM observations WHERE dataset = ?", [dataset]
    ).fetchall()
    return [r[0] for r in rows if r[0] is not None]


def _held(store: Store, column: str, dataset: str, asked: list[str]) -> list[str]:
    """The values of ``column`` in ``dataset`` needed to resolve the ``asked`` ones.

    When every asked value is held as spelled, those (one filtered scan); otherwise every
    distinct value, for case-insensitive matching and "did you mean" hints. Nothing asked,
    nothing read.
    """
    if not asked:
        return []
    marks = ", ".join("?" for _ in asked)
    rows = store.con.execute(
        f"SELECT DISTINCT {column} FROM observations WHERE dataset = ? AND {column} IN ({marks})",
        [dataset, *asked],
    ).fetchall()
    found = {r[0] for r in rows}
    if found >= set(asked):
        return sorted(found)
    return _distinct(store, column, dataset)


def _held_years(store: Store, dataset: str) -> list[int]:
    """The first and last year held by ``dataset`` (periods that are plain years), or []."""
    lo, hi = store.con.execute(
        "SELECT min(CAST(period AS INTEGER)), max(CAST(period AS INTEGER)) FROM observations "
        "WHERE dataset = ? AND regexp_full_match(period, '[0-9]+')",
        [dataset],
    ).fetchall()[0]
    return [] if lo is None else [int(lo), int(hi)]


#: A publication's figures in the query's columns (and order), with their provenance.
_PAPER_SQL = """
SELECT s.dataset, p.measure, p.ref_area, p.counterpart_area, p.period, p.value, p.unit,
       'A' AS obs_status, s.vintage, s.publisher, NULL::VARCHAR AS breakdown, s.release,
       s.licence, s.url, s.title, p.source_id, p.original_source, p.where_in_paper
FROM paper_figures p JOIN sources s USING (source_id)
WHERE s.dataset = ?
ORDER BY s.source_id, p.measure, p.ref_area, p.counterpart_area, p.period
"""


def _paper_rows(store: Store, dataset: str) -> Rows:
    """The figures of the publication ``dataset`` in the query's columns."""
    from keruen.store.rows import Rows

    return Rows.fetch(store._query(_PAPER_SQL, [dataset]))


def _exact_rows(
    store: Store,
    dataset: str,
    measures: list[str],
    areas: list[str],
    counterparts: list[str],
    periods: Years | None,
    breakdown: str | None,
    vintage: str | None,
) -> Rows | None:
    """The query's rows when every value asked is held exactly as spelled, else None.

    One pushed-down query: a value asked for is held when it appears in the answer. Anything
    else (another letter case, an alpha-2 code, an open year range, a value absent) returns
    None, and :func:`_resolved_rows` resolves the names against what the dataset holds.
    """
    years = None
    if periods is not None:
        spans = [(a, b) for a, b in periods.spans if a is not None and b is not None]
        if len(spans) < len(periods.spans):
            return None
        years = sorted({str(y) for first, last in spans for y in range(first, last + 1)})
        if not years:
            return None
    if vintage is not None and vintage not in store.vintages(dataset):
        return None
    table = store.observation_rows(
        dataset,
        measures or None,
        areas or None,
        counterparts or None,
        years,
        breakdown="*" if breakdown is None else breakdown,
        vintage=vintage,
    )
    if table.empty:
        return None
    for column, asked in (
        ("measure", measures),
        ("ref_area", areas),
        ("counterpart_area", counterparts),
        ("period", years or []),
    ):
        if not set(asked) <= set(table.column(column)):
            return None
    return table


def _exact_sql(
    store: Store,
    dataset: str,
    measures: list[str],
    areas: list[str],
    counterparts: list[str],
    periods: Years | None,
    breakdown: str | None,
    vintage: str | None,
) -> tuple[str, list[Any], int, int] | None:
    """:func:`_exact_rows` as SQL: (query, parameters, rows, rows without a breakdown), or None.

    The check that every asked value is held runs inside DuckDB (distinct counts over the
    answer), so a large answer is never fetched into Python.
    """
    years = None
    if periods is not None:
        spans = [(a, b) for a, b in periods.spans if a is not None and b is not None]
        if len(spans) < len(periods.spans):
            return None
        years = sorted({str(y) for first, last in spans for y in range(first, last + 1)})
        if not years:
            return None
    if vintage is not None and vintage not in store.vintages(dataset):
        return None
    sql, params = _answer_sql(
        store, dataset, measures or None, areas or None, counterparts or None, years,
        breakdown="*" if breakdown is None else breakdown, vintage=vintage,
    )  # fmt: skip
    n, totals, *found = store._query(
        "SELECT count(*), count(*) FILTER (WHERE breakdown IS NULL), count(DISTINCT measure), "
        f"count(DISTINCT ref_area), count(DISTINCT counterpart_area), count(DISTINCT period) "
        f"FROM ({sql})",
        params,
    ).fetchall()[0]
    if n == 0:
        return None
    for asked, held in zip((measures, areas, counterparts, years or []), found, strict=True):
        if asked and held < len(set(asked)):  # the answer holds only asked values
            return None
    return sql, params, int(n), int(totals)


def _answer_sql(
    store: Store,
    dataset: str,
    measures: list[str] | None,
    areas: list[str] | None,
    counterparts: list[str] | None,
    periods: list[str] | None,
    breakdown: str | None,
    vintage: str | None,
) -> tuple[str, list[Any]]:
    """The rows :meth:`Store.observation_rows` returns, as unordered SQL (with ``sid``)."""
    sql, params = store._observations_sql(
        dataset, measures, areas, counterparts, periods, breakdown, vintage
    )
    return f"SELECT * FROM ({sql}) WHERE obs_status <> 'M'", params


def _stream_query(store: Store, sql: str, params: list[Any], totals_only: bool) -> None:
    """Print the answer of ``sql`` as CSV from DuckDB (``query --format csv``), in key order."""
    from keruen.cli.output import neutralise_sql, stream_csv
    from keruen.store.schema import OBSERVATION_KEY
    from keruen.store.versions import spill_dir

    numeric = {"value", "source_id"}
    cols = ", ".join(
        f"q.{c}" if c in numeric else f"{neutralise_sql('q.' + c)} AS {c}" for c in QUERY_COLUMNS
    )
    where = " WHERE q.breakdown IS NULL" if totals_only else ""
    order = ", ".join(f"q.{k}" for k in (*OBSERVATION_KEY, "release", "sid"))
    final = f"SELECT {cols} FROM ({sql}) AS q{where} ORDER BY {order}"
    stream_csv(store.con, final, params, spill_dir(store.path))


def _resolved_rows(
    store: Store,
    dataset: str,
    paper: bool,
    measures: tuple[tuple[str, ...], ...],
    areas: tuple[tuple[str, ...], ...],
    counterparts: tuple[tuple[str, ...], ...],
    periods: Years | None,
    breakdown: str | None,
    vintage: str | None,
    fetch: Callable[..., Any] | None = None,
) -> Any:
    """The query's rows, each option resolved against the values the dataset holds.

    ``fetch`` (default :meth:`Store.observation_rows`) is called with the resolved options
    when the dataset is not a publication's figures; its answer is returned.

    Names match in any letter case (areas also by alpha-2 code or name), open year ranges are
    closed by the years held, and an unknown value is an error naming the nearest held ones.
    """
    from keruen.cli.params import flat, resolve_names

    table: Rows | None = None
    if paper:
        table = _paper_rows(store, dataset)
        held = {
            c: list(dict.fromkeys(v for v in table.column(c) if v is not None))
            for c in ("measure", "ref_area", "counterpart_area", "period")
        }
    else:  # read only what the options need: a dataset may hold many millions of rows
        held = {
            "measure": _held(store, "measure", dataset, flat(measures)),
            "ref_area": _held(store, "ref_area", dataset, flat(areas)),
            "counterpart_area": _held(store, "counterpart_area", dataset, flat(counterparts)),
            "breakdown": _held(
                store, "breakdown", dataset, [b for b in [breakdown] if b not in (None, "*")]
            ),
        }
    wanted_measures = resolve_names(flat(measures), held["measure"], "measure", "--measure")
    wanted_areas = _areas_in(flat(areas), held["ref_area"], "--area")
    wanted_counterparts = _areas_in(flat(counterparts), held["counterpart_area"], "--counterpart")
    wanted_periods = None
    if periods is not None:
        years = (
            [int(p) for p in held["period"] if str(p).isdigit()]
            if "period" in held
            else _held_years(store, dataset)
        )
        wanted_periods = [str(y) for y in periods.resolve(years, "--period")]
    if vintage is not None:
        vintage = resolve_names([vintage], store.vintages(dataset), "vintage", "--vintage")[0]
    if breakdown not in (None, "*"):
        breakdown = resolve_names(
            [breakdown], held.get("breakdown", []), "breakdown", "--breakdown"
        )[0]
    if table is None:
        return (fetch or store.observation_rows)(
            dataset,
            wanted_measures or None,
            wanted_areas or None,
            wanted_counterparts or None,
            wanted_periods,
            breakdown="*" if breakdown is None else breakdown,
            vintage=vintage,
        )
    for column, wanted in (
        ("measure", wanted_measures),
        ("ref_area", wanted_areas),
        ("counterpart_area", wanted_counterparts),
        ("period", wanted_periods),
    ):
        if wanted:
            table = _keep(table, column, set(wanted))
    if vintage is not None:
        table = table.where(lambda r: r["vintage"] == vintage)
    return table


def _keep(table: Rows, column: str, wanted: set[str]) -> Rows:
    return table.where(lambda r: r[column] in wanted)


def csv_answer(
    store: Store,
    dataset: str,
    measures: tuple[tuple[str, ...], ...],
    areas: tuple[tuple[str, ...], ...],
    counterparts: tuple[tuple[str, ...], ...],
    periods: Years | None,
    breakdown: str | None,
    vintage: str | None,
    stream_from: int,
) -> Rows | None:
    """``query --format csv``: a large answer is written here by DuckDB (None is returned).

    An answer of at most ``stream_from`` rows is returned as rows for the usual writer.
    """
    from keruen.cli.params import flat
    from keruen.store.rows import Rows
    from keruen.store.schema import OBSERVATION_KEY

    spec = _exact_sql(
        store, dataset, flat(measures), flat(areas), flat(counterparts), periods, breakdown,
        vintage,
    )  # fmt: skip
    if spec is None:
        sql, params = _resolved_rows(
            store, dataset, False, measures, areas, counterparts, periods, breakdown, vintage,
            fetch=lambda *a, **kw: _answer_sql(store, *a, **kw),
        )  # fmt: skip
        n, totals = store._query(
            f"SELECT count(*), count(*) FILTER (WHERE breakdown IS NULL) FROM ({sql})", params
        ).fetchall()[0]
    else:
        sql, params, n, totals = spec
    if n > stream_from:
        _stream_query(store, sql, params, totals_only=breakdown is None and totals > 0)
        return None
    order = ", ".join(OBSERVATION_KEY) + ", release, sid"
    return Rows.fetch(store._query(f"SELECT * EXCLUDE (sid) FROM ({sql}) ORDER BY {order}", params))
