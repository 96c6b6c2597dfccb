"""Store commands: ``keruen sources``, ``keruen query`` and ``keruen load``."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from keruen.cli.output import emit, format_option
from keruen.cli.params import CodeList, YearRange, Years

if TYPE_CHECKING:
    from keruen.store import Store
    from keruen.store.rows import Rows


#: Columns of ``sources`` shown in a table; CSV and JSON carry every column.
SOURCE_TABLE_COLUMNS = [
    "source_id",
    "dataset",
    "vintage",
    "release",
    "publisher",
    "licence",
    "n_rows",
    "file_name",
    "url",
]
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
#: Answers of more rows than this are written by DuckDB (``query --format csv``); smaller ones
#: through Python, which costs less than starting DuckDB's CSV writer for a few rows.
STREAM_FROM_ROWS = 10_000
#: Extra columns of a publication's figures (``paper_figures``).
PAPER_EXTRA_COLUMNS = ["original_source", "where_in_paper"]


@click.command()
@format_option
def sources(fmt: str) -> None:
    """List every file held in the store with its provenance."""
    from keruen.sources.snapshot import open_store

    with open_store(read_only=True) as store:
        table = store.source_rows()  # ingested_at comes as text, as pandas' astype(str) writes it
    first = [c for c in [*SOURCE_TABLE_COLUMNS, "sha256"] if c in table.columns]
    table = table.select(first + [c for c in table.columns if c not in first])
    emit(table, fmt, table_columns=SOURCE_TABLE_COLUMNS)


def dataset_name(held: Iterable[str], name: str) -> str:
    """``name`` as the store spells it (case ignored); unknown: an error naming the held ones."""
    from keruen.cli.params import closest, did_you_mean
    from keruen.errors import DataNotAvailableError

    held_set = sorted(set(held))
    by_upper = {d.upper(): d for d in held_set}
    if name in held_set:
        return name
    if name.upper() in by_upper:
        return by_upper[name.upper()]
    hint = did_you_mean(closest(name, held_set))
    raise DataNotAvailableError(
        f"no dataset {name!r} in the store{hint}{' Held' if hint else '; held'}: "
        + ", ".join(held_set)
    )


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


@click.command()
@click.argument("dataset")
@click.option(
    "--measure", "measures", multiple=True, type=CodeList(), help="Measure code(s): A,B or repeat."
)
@click.option(
    "--area", "areas", multiple=True, type=CodeList(), help="Reference area code(s), e.g. KAZ."
)
@click.option(
    "--counterpart",
    "counterparts",
    multiple=True,
    type=CodeList(),
    help="Counterpart area code(s) (bilateral data).",
)
@click.option(
    "--period",
    "periods",
    type=YearRange(),
    default=None,
    help="Year(s): 2023, 2010:2020, 2015: or 2000,2010 (must lie within the years held).",
)
@click.option(
    "--breakdown",
    default=None,
    help="A breakdown (e.g. sex=female) or * for all; default: totals, or every breakdown "
    "when the selection holds no totals.",
)
@click.option("--vintage", default=None, help="A vintage name (default: newest per value).")
@format_option
def query(
    dataset: str,
    measures: tuple[tuple[str, ...], ...],
    areas: tuple[tuple[str, ...], ...],
    counterparts: tuple[tuple[str, ...], ...],
    periods: Years | None,
    breakdown: str | None,
    vintage: str | None,
    fmt: str,
) -> None:
    """Print observations of DATASET with their provenance (exit 1 when no row matches).

    DATASET is any name `keruen vintages` lists, in any letter case: sources, stored estimates
    (KERUEN_ESTIMATES_*) and publications' figures (PAPER_*).
    """
    from keruen.cli.params import flat
    from keruen.sources.snapshot import open_store
    from keruen.store.rows import Rows
    from keruen.store.schema import OBSERVATION_KEY

    with open_store(read_only=True) as store:
        catalogue = store.source_rows().select(["dataset", "kind"]).rows
        dataset = dataset_name([d for d, _ in catalogue], dataset)
        paper = {k for d, k in catalogue if d == dataset} == {"paper_figures"}
        if fmt.lower() == "csv" and not paper:  # large answers: DuckDB writes the CSV
            spec = _exact_sql(
                store, dataset, flat(measures), flat(areas), flat(counterparts), periods,
                breakdown, vintage,
            )  # fmt: skip
            if spec is None:
                sql, params = _resolved_rows(
                    store, dataset, False, measures, areas, counterparts, periods, breakdown,
                    vintage, fetch=lambda *a, **kw: _answer_sql(store, *a, **kw),
                )  # fmt: skip
                n, totals = store._query(
                    f"SELECT count(*), count(*) FILTER (WHERE breakdown IS NULL) FROM ({sql})",
                    params,
                ).fetchall()[0]
            else:
                sql, params, n, totals = spec
            if n == 0:
                click.echo(f"keruen: no rows of {dataset} match this query", err=True)
                sys.exit(1)
            if n > STREAM_FROM_ROWS:
                _stream_query(store, sql, params, totals_only=breakdown is None and totals > 0)
                return
            order = ", ".join(OBSERVATION_KEY) + ", release, sid"
            table = Rows.fetch(
                store._query(f"SELECT * EXCLUDE (sid) FROM ({sql}) ORDER BY {order}", params)
            )
        else:
            table = None
        if table is None and not paper:  # one scan; else resolve names, hints, open years
            table = _exact_rows(
                store, dataset, flat(measures), flat(areas), flat(counterparts), periods,
                breakdown, vintage,
            )  # fmt: skip
        if table is None:
            table = _resolved_rows(
                store, dataset, paper, measures, areas, counterparts, periods, breakdown, vintage
            )
    if breakdown is None and None in table.column("breakdown"):
        table = table.where(lambda r: r["breakdown"] is None)
    if table.empty:
        click.echo(f"keruen: no rows of {dataset} match this query", err=True)
        sys.exit(1)
    columns = QUERY_COLUMNS + [c for c in PAPER_EXTRA_COLUMNS if c in table.columns]
    table = table.select(columns)
    shown = [c for c in columns if c not in ("release", "licence", "url", "title", "source_id")]
    if all(v is None for v in table.column("breakdown")):
        shown.remove("breakdown")
    if all(v is None for v in table.column("counterpart_area")):
        shown.remove("counterpart_area")
    emit(table, fmt, table_columns=shown)


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--dataset", required=True, help="Dataset the file's rows belong to (checked).")
@click.option("--vintage", required=True, help="Name of this release, e.g. '2024-06'.")
@click.option("--publisher", required=True, help="Who published the data.")
@click.option("--release", default=None, help="Release date (ISO); default: today.")
@click.option("--url", default="", help="Where the data came from.")
@click.option("--licence", default="", help="Licence of the data.")
def load(
    file: Path,
    dataset: str,
    vintage: str,
    publisher: str,
    release: str | None,
    url: str,
    licence: str,
) -> None:
    """Ingest a tidy CSV/Parquet FILE (the store's observation columns) as a new vintage."""
    from keruen.store.connect import interruptible

    result = interruptible(
        lambda: _load(file, dataset, vintage, publisher, release, url, licence), "the load"
    )
    if result.already_present:
        click.echo(
            f"keruen: {file} is already in the store (vintage {result.vintage}); nothing added"
        )
    else:
        click.echo(
            f"keruen: added {result.rows_added} observations from {file} as vintage "
            f"{result.vintage}"
        )


def _load(
    file: Path,
    dataset: str,
    vintage: str,
    publisher: str,
    release: str | None,
    url: str,
    licence: str,
) -> Any:
    """Parse and validate ``file`` straight into the store's next segment, then publish it.

    Readers go on reading the current version meanwhile; another writer waits its turn.
    """
    from keruen.sources.common import release_date
    from keruen.sources.files import sha256_of, stage_file
    from keruen.sources.snapshot import open_store
    from keruen.store import Provenance

    release = release_date(release) if release is not None else None
    sha256 = sha256_of(file) if file.is_file() else ""
    from keruen.settings import store_path

    # a first command makes the store and loads the snapshot: quietly, so a bad file still
    # ends in one line
    with open_store(quiet=not store_path().exists()) as store:
        held = store.held(sha256)  # a file already held is not read again
        if held is not None:
            return held
        with store.writing() as turn:
            held = store.held(sha256)  # the newest version: another writer may have added it
            if held is not None:
                return held
            with stage_file(file, into=turn.segment, source_id=turn.source_id) as staged:
                _check_dataset(staged, dataset, file)
                today = dt.date.today().isoformat()
                prov = Provenance(
                    dataset=dataset,
                    vintage=vintage,
                    release=release or today,
                    publisher=publisher,
                    file_name=file.name,
                    sha256=sha256,
                    url=url,
                    licence=licence,
                    retrieved=today,
                    origin=str(file.resolve()),
                )
                return store.ingest(staged, prov)


def _check_dataset(staged: object, dataset: str, file: Path) -> None:
    """Every row of a staged file must belong to ``--dataset``."""
    from keruen.errors import InputError

    rows = staged.con.execute(  # type: ignore[attr-defined]
        "SELECT _row, dataset FROM raw WHERE dataset <> ? ORDER BY _row LIMIT 1", [dataset]
    ).fetchall()
    if rows:
        raise InputError(
            f"dataset {rows[0][1]!r} differs from --dataset {dataset!r}",
            file=file,
            row=int(rows[0][0]),
            field="dataset",
        )
