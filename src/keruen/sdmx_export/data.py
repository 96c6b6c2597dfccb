"""The observations a data query selects, read from the store in one bounded SQL query.

The SQL is fixed text: the store's own newest-vintage selection (the one that
:meth:`keruen.store.Store.observations` runs), or a publication's figures, wrapped in
clauses whose values are bound parameters. At most ``limit`` + 1 rows are read, so an answer
too large is refused (:class:`SdmxTooLarge`) without reading the rest. The rows come back as an
*SDMX table*: one column per dimension, the primary measure and each attribute, holding codes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from keruen.sdmx_export.errors import SdmxNoResults, SdmxTooLarge
from keruen.sdmx_export.query import DataQuery, period_bounds, sdmx_period
from keruen.sdmx_export.structures import (
    ATTRIBUTES,
    DIMENSIONS,
    NO_COUNTERPART,
    PRIMARY_MEASURE,
    TIME_DIMENSION,
    TOTAL,
    Catalogue,
)

if TYPE_CHECKING:
    from keruen.store import Store

#: Columns of an SDMX table, in order.
COLUMNS: tuple[str, ...] = (*DIMENSIONS, TIME_DIMENSION, PRIMARY_MEASURE, *ATTRIBUTES)

_PAPER_SQL = """
SELECT s.dataset, p.measure, p.ref_area, p.counterpart_area, NULL::VARCHAR AS breakdown,
       p.period, p.value, p.unit, 'A' AS obs_status, s.vintage, s.release, s.publisher,
       s.licence, s.url, s.title, s.source_id AS sid, p.original_source, p.where_in_paper
FROM paper_figures p JOIN sources s USING (source_id)
WHERE s.dataset = ?
"""


@dataclass(frozen=True)
class Selection:
    """An SDMX table and what was left out of it (figures with no SDMX time period)."""

    table: pd.DataFrame
    left_out: int = 0


def _in(column: str, values: list[Any], params: list[Any]) -> str:
    params.extend(values)
    return f"q.{column} IN ({', '.join('?' for _ in values)})"


def _stored(catalogue: Catalogue, dim: str, codes: tuple[str, ...] | None) -> list[Any] | None:
    """The stored values behind the codes asked for in ``dim`` (None: any)."""
    if codes is None:
        return None
    values = catalogue.values[dim]
    special = {"COUNTERPART_AREA": NO_COUNTERPART, "BREAKDOWN": TOTAL}.get(dim)
    return [None if c == special else values[c] for c in codes if c in values or c == special]


def read(store: Store, catalogue: Catalogue, query: DataQuery, limit: int | None) -> Selection:
    """The SDMX table of ``query`` (404 when empty, 413 when over ``limit`` observations)."""
    flow = catalogue.flows[query.flow]
    wanted = dict(zip(DIMENSIONS, query.key, strict=True))
    measures = _stored(catalogue, "MEASURE", wanted["MEASURE"])
    areas = _stored(catalogue, "REF_AREA", wanted["REF_AREA"])
    counterparts = _stored(catalogue, "COUNTERPART_AREA", wanted["COUNTERPART_AREA"])
    breakdowns = _stored(catalogue, "BREAKDOWN", wanted["BREAKDOWN"])
    if any(v == [] for v in (measures, areas, counterparts, breakdowns)):
        raise SdmxNoResults(f"no code of the key is held in {query.flow}")

    params: list[Any] = []
    clauses = ["q.obs_status <> 'M'"]
    if flow.kind == "paper_figures":
        base, params = _PAPER_SQL, [flow.dataset]
        for column, values in (("measure", measures), ("ref_area", areas)):
            if values is not None:
                clauses.append(_in(column, values, params))
    else:
        plain = counterparts if counterparts is not None and None not in counterparts else None
        # the store's one definition of "each value from its newest vintage" (every breakdown)
        base, params = store._observations_sql(  # noqa: SLF001
            flow.dataset, measures, areas, plain, None, "*", None
        )
        base = f"SELECT *, NULL::VARCHAR AS original_source, NULL::VARCHAR AS where_in_paper " \
               f"FROM ({base})"  # fmt: skip
    for column, values in (("counterpart_area", counterparts), ("breakdown", breakdowns)):
        if values is None:
            continue
        held = [v for v in values if v is not None]
        parts = [_in(column, held, params)] if held else []
        if None in values:
            parts.append(f"q.{column} IS NULL")
        clauses.append("(" + " OR ".join(parts) + ")")
    if query.start is not None or query.end is not None:
        # a coarse bound by year in SQL (a span 2010-2023 ends in 2023); the exact overlap is
        # checked on the rows read
        clauses.append(
            "TRY_CAST(substr(q.period, 1, 4) AS INTEGER) <= ? AND greatest("
            "TRY_CAST(substr(q.period, 1, 4) AS INTEGER), coalesce(TRY_CAST(regexp_extract("
            "q.period, '^[0-9]{4}-([0-9]{4})$', 1) AS INTEGER), 0)) >= ?"
        )
        params.extend(
            [query.end.year if query.end else 9999, query.start.year if query.start else 0]
        )
    if query.updated_after is not None:
        clauses.append("q.release > ?")
        params.append(query.updated_after.isoformat())
    sql = (
        f"SELECT q.*, n.notes FROM ({base}) q LEFT JOIN sources n ON n.source_id = q.sid "
        f"WHERE {' AND '.join(clauses)} "
        "ORDER BY q.measure, q.ref_area, q.counterpart_area NULLS FIRST, "
        "q.breakdown NULLS FIRST, q.period"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit) + 1}"
    frame = store.con.execute(sql, params).df()
    if limit is not None and len(frame) > limit:
        raise SdmxTooLarge(
            f"the answer holds more than {limit:,} observations; narrow the key or the "
            "periods (startPeriod, endPeriod)"
        )
    selection = _table(frame, catalogue, query)
    if selection.table.empty:
        raise SdmxNoResults(f"no observations of {query.flow} match the query")
    return selection


def _method(notes: Any) -> str | None:
    try:
        value = json.loads(notes or "{}").get("method")
    except (json.JSONDecodeError, AttributeError):
        return None
    return str(value) if value else None


def _table(frame: pd.DataFrame, catalogue: Catalogue, query: DataQuery) -> Selection:
    """Store rows → an SDMX table, filtered by frequency, exact period and first/last N."""
    found = [period_bounds(str(p)) for p in frame["period"]]
    ok = pd.Series([b is not None for b in found], index=frame.index, dtype=bool)
    left_out = int((~ok).sum())
    frame = frame[ok]
    bounds = [b for b in found if b is not None]
    if query.start is not None or query.end is not None:
        start, end = query.start, query.end
        keep = [
            (start is None or last >= start) and (end is None or first <= end)
            for _, first, last in bounds
        ]
        frame = frame[keep]
        bounds = [b for b, k in zip(bounds, keep, strict=True) if k]
    codes = catalogue.codes
    estimates = frame["dataset"].astype(str).str.startswith("KERUEN_ESTIMATES_")
    comment = [
        f"Cited: {o}" + (f"; {w}" if w else "") if isinstance(o, str) and o else None
        for o, w in zip(frame["original_source"], frame["where_in_paper"], strict=True)
    ]
    table = pd.DataFrame(
        {
            "FREQ": [b[0] for b in bounds],
            "MEASURE": frame["measure"].map(codes["MEASURE"]),
            "REF_AREA": frame["ref_area"].map(codes["REF_AREA"]),
            "COUNTERPART_AREA": frame["counterpart_area"]
            .map(codes["COUNTERPART_AREA"])
            .fillna(NO_COUNTERPART),
            "BREAKDOWN": frame["breakdown"].map(codes["BREAKDOWN"]).fillna(TOTAL),
            TIME_DIMENSION: [sdmx_period(str(p)) for p in frame["period"]],
            PRIMARY_MEASURE: frame["value"].astype(float),
            "OBS_STATUS": frame["obs_status"],
            "UNIT_MEASURE": frame["unit"],
            "VINTAGE": frame["vintage"],
            "RELEASE": frame["release"],
            "SOURCE": frame["publisher"],
            "LICENCE": frame["licence"],
            "SOURCE_URL": frame["url"],
            "METHOD": [
                _method(n) if e else None for n, e in zip(frame["notes"], estimates, strict=True)
            ],
            "COMMENT_OBS": comment,
        },
        index=frame.index,
    )
    freq = dict(zip(DIMENSIONS, query.key, strict=True))["FREQ"]
    if freq is not None:
        table = table[table["FREQ"].isin(freq)]
    table = table.replace({"": None}).reset_index(drop=True)
    table = table.astype({c: object for c in COLUMNS if c != PRIMARY_MEASURE})
    table = table.where(table.notna(), None).astype({PRIMARY_MEASURE: float})
    before = len(table)
    table = table.drop_duplicates([*DIMENSIONS, TIME_DIMENSION], keep="first")
    left_out += before - len(table)
    if query.first_n is not None or query.last_n is not None:
        grouped = table.groupby(list(DIMENSIONS), sort=False, group_keys=False)
        parts = []
        if query.first_n is not None:
            parts.append(grouped.head(query.first_n))
        if query.last_n is not None:
            parts.append(grouped.tail(query.last_n))
        table = pd.concat(parts).drop_duplicates([*DIMENSIONS, TIME_DIMENSION])
        table = table.sort_values([*DIMENSIONS, TIME_DIMENSION], kind="stable")
    return Selection(table.reset_index(drop=True)[list(COLUMNS)], left_out)
