"""Record-level checks of a register: count per rule, quarantine, fail above a share.

A record breaking any rule of :data:`keruen.registers.sql.RULES` is never dropped silently:
it is counted under each rule it breaks, written with those flags to a quarantine Parquet
file, and left out of every aggregate. When the share of such records exceeds the allowed
share (``KERUEN_REGISTER_MAX_BAD_SHARE``, default 1 %), the run fails after writing the
quarantine file, so the faulty records can be inspected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd
from keruen.errors import ConfigError, InputError, Interrupted
from keruen.registers import footers, sql
from keruen.registers.engines import Engine, interrupted, reject_unreadable
from keruen.registers.schema import MANIFEST, PERMIT_KINDS, SECTORS, SEXES, RegisterFiles
from keruen.writing import placed

EPOCH = date(1970, 1, 1)
#: What an interrupted check or aggregation says (nothing is stored before the aggregates are).
STOPPED = "interrupted (Ctrl-C) while {what}; nothing was stored"
#: Most duplicate person-periods a report keeps (for a validation record).
KEEP_KEYS = 100_000


@cache
def kz_regions() -> tuple[str, ...]:
    """ISO 3166-2:KZ codes of Kazakhstan's regions (the table keruen.areas names them from)."""
    import csv
    from importlib import resources

    text = resources.files("keruen.data.reference").joinpath("kz_regions.csv").read_text("utf-8")
    return tuple(r["code"] for r in csv.DictReader(text.splitlines()) if r["code"] != "KZ")


#: The shipped list of ISO 3166-1 alpha-3 codes (one a line), read instead of importing
#: pycountry (about 0.3 s of a register command); a test keeps it equal to pycountry's.
ISO_COUNTRIES_FILE = "iso3166_alpha3.txt"


@cache
def iso_countries() -> tuple[str, ...]:
    """ISO 3166-1 alpha-3 codes, from ``keruen/data/reference/iso3166_alpha3.txt``."""
    from importlib import resources

    text = resources.files("keruen.data.reference").joinpath(ISO_COUNTRIES_FILE).read_text()
    return tuple(line for line in text.split() if line)


@cache
def ref_codes() -> pd.DataFrame:
    """Valid codes by kind: countries, regions, sex, sector, permit kind.

    Countries are ISO 3166-1 alpha-3 (:func:`iso_countries`), regions ISO 3166-2:KZ.
    """
    rows = [("country", c) for c in iso_countries()]
    rows += [("region", r) for r in kz_regions()]
    rows += [("sex", s) for s in SEXES]
    rows += [("sector", s) for s in SECTORS]
    rows += [("permit_kind", k) for k in PERMIT_KINDS]
    return pd.DataFrame(rows, columns=["kind", "code"])


def day_number(d: date) -> int:
    """Days since 1970-01-01 (the day numbers the SQL works with)."""
    return (d - EPOCH).days


def from_day(n: int) -> date:
    """The date of day number ``n``."""
    return date.fromordinal(EPOCH.toordinal() + int(n))


def _manifest_span(register: RegisterFiles) -> tuple[date, date] | None:
    """The manifest's ``span`` as two dates; an error naming the manifest if it is malformed."""
    span = register.metadata.get("span")
    if span is None:
        return None
    where = Path(register.root) / MANIFEST
    why = 'must be two dates ["YYYY-MM-DD", "YYYY-MM-DD"]'
    if not (isinstance(span, list) and len(span) == 2 and all(isinstance(v, str) for v in span)):
        raise InputError(f"span {why}, got {span!r}", file=where, field="span")
    try:
        return date.fromisoformat(span[0]), date.fromisoformat(span[1])
    except ValueError:
        raise InputError(f"span {why}, got {span!r}", file=where, field="span") from None


def records_range(register: RegisterFiles) -> tuple[date, date] | None:
    """First and last arrival or departure of any record, as the files' footers say.

    ``None`` when some footer does not record the range (nothing is read record by record).
    """
    facts = footers.column_facts(register.files, ("arrival_date", "departure_date"))
    ends = [v for f in facts.values() for v in (f.low, f.high) if v is not None]
    if not all(f.ranged for f in facts.values()) or not ends:
        return None
    if not all(isinstance(v, date) for v in ends):
        return None
    return min(ends), max(ends)  # type: ignore[type-var, return-value]


def bound_span(span: tuple[date, date], records: tuple[date, date] | None) -> tuple[date, date]:
    """``span`` cut to the years around the records: from 1 January of the year before the
    first record's to 31 December of the year after the last record's.

    Every record is inside the cut span exactly when it is inside ``span``, so the checks judge
    alike; the default stock dates left out are all zero (before any record) or repeat the
    last stock. A span of ``0001-01-01`` to ``9999-12-31`` thus costs what the records' years
    cost. Unchanged when the records' range is unknown or lies outside ``span``.
    """
    if records is None:
        return span
    lo = date(max(records[0].year - 1, 1), 1, 1)
    hi = date(min(records[1].year + 1, 9999), 12, 31)
    start, end = max(span[0], lo), min(span[1], hi)
    return (start, end) if start <= end else span


def resolve_span(
    register: RegisterFiles, start: date | None = None, end: date | None = None
) -> tuple[date, date]:
    """The register's span: the options given, else the manifest's ``span``; bounded to the
    records' own years (:func:`bound_span`)."""
    if start is None or end is None:
        manifest = _manifest_span(register)
        if manifest is not None:
            start = start or manifest[0]
            end = end or manifest[1]
    if start is None or end is None:
        raise ConfigError(
            f"{register.root}: the register's span is unknown; give --start and --end "
            "(first and last day the register covers)"
        )
    if end < start:
        raise ConfigError(f"the span ends ({end}) before it starts ({start})")
    return bound_span((start, end), records_range(register))


@dataclass(frozen=True)
class CheckReport:
    """What the checks found."""

    records: int
    bad: int
    by_rule: dict[str, int]
    quarantine: Path | None
    max_bad_share: float
    span: tuple[date, date]
    #: The duplicate person-periods (person_id, arr_day), when at most ``KEEP_KEYS``.
    dup_keys: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    @property
    def bad_share(self) -> float:
        """Share of records breaking at least one rule."""
        return self.bad / self.records if self.records else 0.0

    def lines(self) -> list[str]:
        """A human-readable report, one line per rule."""
        out = [f"records: {self.records:,}; span {self.span[0]} to {self.span[1]}"]
        for rule in sql.RULES:
            out.append(f"  {rule:<26} {self.by_rule[rule]:>12,}  ({sql.RULE_HELP[rule]})")
        out.append(
            f"quarantined: {self.bad:,} ({self.bad_share:.4%}; allowed {self.max_bad_share:.4%})"
            + (f" -> {self.quarantine}" if self.quarantine else "")
        )
        return out


def default_quarantine(root: Path) -> Path:
    """``<register>.quarantine.parquet`` beside the register (never inside it)."""
    root = Path(root)
    return root.with_name(root.name.removesuffix(".parquet") + ".quarantine.parquet")


def quiet_rules(
    register: RegisterFiles, span: tuple[date, date], seen: pd.DataFrame, *, has_dups: bool
) -> set[str]:
    """Row-local rules shown not to fire without testing each record (see ``sql.cell_flags``)."""
    quiet = set()
    if not sql.unknown_short(seen.itertuples(index=False)):
        quiet.add("unknown_short")
    if not has_dups:
        quiet.add("duplicate_person_period")
    facts = footers.column_facts(register.files, (*sql.REQUIRED, "departure_date"))
    if footers.no_nulls(facts, sql.REQUIRED):
        quiet.add("missing_value")
    if footers.dates_within(facts, *span, arrival="arrival_date", departure="departure_date"):
        quiet.add("outside_span")
    if plausible(facts):
        quiet.add("implausible_value")
    return quiet


def plausible(facts: dict[str, footers.ColumnFacts]) -> bool:
    """Whether the footers prove no record breaks ``implausible_value``: every birth year
    lies in [latest arrival year − OLDEST_AGE, earliest arrival year] and every permit ends
    at most PERMIT_LAPSED_DAYS before the latest arrival."""
    arr, born, until = facts["arrival_date"], facts["birth_year"], facts["permitted_until"]
    if not (arr.ranged and born.ranged and until.ranged):
        return False
    if arr.low is None:
        return True  # no arrival: the rule is never true
    if not (isinstance(arr.low, date) and isinstance(arr.high, date)):
        return False
    if born.low is not None:
        if not (isinstance(born.low, int) and isinstance(born.high, int)):
            return False
        if born.low < arr.high.year - sql.OLDEST_AGE or born.high > arr.low.year:
            return False
    if until.low is not None:
        if not isinstance(until.low, date):
            return False
        if day_number(until.low) < day_number(arr.high) - sql.PERMIT_LAPSED_DAYS:
            return False
    return True


def run_checks(
    engine: Engine,
    register: RegisterFiles,
    span: tuple[date, date],
    *,
    quarantine: Path | None = None,
    max_bad_share: float = 0.01,
    stock_dates: Sequence[date] = (),
    overstay_date: date | None = None,
    dup_keys: pd.DataFrame | None = None,
) -> CheckReport:
    """Open the register in ``engine``, judge every record, quarantine and count the bad ones.

    Two passes over the records (see :mod:`keruen.registers.sql`): the person pass for the
    duplicate rule, then the cells (records grouped by the aggregates' breakdowns and the
    rules' flags, with stocks on ``stock_dates`` and overstays on ``overstay_date`` summed);
    between them a cheap look at the distinct short-list codes and the files' footers, so the
    cells skip rules that cannot fire. A third pass writes the quarantine, only when some
    records are bad. ``dup_keys`` (from a matching validation record,
    :mod:`keruen.registers.validated`) replaces the person pass. Leaves relations ``judged``
    and ``good`` open in the engine for the aggregations.
    Raises :class:`InputError` when the share of bad records exceeds ``max_bad_share``.
    """
    if not 0.0 <= max_bad_share <= 1.0:
        raise ConfigError(
            f"the allowed share of bad records must be in [0, 1], got {max_bad_share}"
        )
    first, last = day_number(span[0]), day_number(span[1])
    over = day_number(overstay_date) if overstay_date else last
    try:
        engine.open(register.files)
        engine.register_frame("ref_codes", ref_codes())
        if dup_keys is None:
            engine.repeated_persons("multi")
            engine.materialise("persons", sql.persons(engine.name))
            many = int(engine.fetch("SELECT count(*) AS n FROM persons WHERE many").iloc[0, 0])
            engine.materialise("dup_keys", sql.dup_keys(engine.name, many=many > 0))
        elif len(dup_keys):
            engine.register_frame("dup_keys", dup_keys[["person_id", "arr_day"]])
        else:
            engine.view("dup_keys", sql.NO_DUP_KEYS)
        keys = engine.fetch(f"SELECT person_id, arr_day FROM dup_keys LIMIT {KEEP_KEYS + 1}")
        seen = engine.fetch(sql.SHORT_CODES_SEEN)
        quiet = quiet_rules(register, span, seen, has_dups=len(keys) > 0)
        flags = sql.cell_flags(quiet)
        stock_days = [day_number(d) for d in stock_dates]
        engine.materialise("cells", sql.cells(engine.name, first, last, stock_days, over, flags))
        engine.materialise("judged", sql.judged())
        engine.view("good", sql.GOOD)
        counts = engine.fetch(sql.RULE_COUNTS).iloc[0]
    except ConfigError:
        raise
    except BaseException as exc:  # an engine's read error: name the register, no traceback
        if interrupted(exc):
            raise Interrupted(STOPPED.format(what="checking the register")) from None
        if not isinstance(exc, Exception):
            raise
        raise reject_unreadable(exc, register.root) from None
    records = int(counts["records"] or 0)
    bad = int(counts["bad"] or 0)
    by_rule = {r: int(counts[r] or 0) for r in sql.RULES}
    path = None
    if bad:
        path = quarantine or default_quarantine(register.root)
        try:
            with placed(path) as fresh:  # never written through a link at ``path``
                engine.write_parquet(sql.flagged(engine.name, first, last), fresh)
        except BaseException as exc:  # e.g. an unwritable folder: say where, no traceback
            if interrupted(exc):
                raise Interrupted(STOPPED.format(what="writing the quarantine")) from None
            if not isinstance(exc, Exception):
                raise
            raise InputError(f"cannot write the quarantine file ({exc})", file=path) from None
    kept = keys if len(keys) <= KEEP_KEYS else None
    report = CheckReport(records, bad, by_rule, path, max_bad_share, span, kept)
    if report.bad_share > max_bad_share:
        worst = ", ".join(f"{r} {n:,}" for r, n in by_rule.items() if n)
        raise InputError(
            f"{bad:,} of {records:,} records ({report.bad_share:.2%}) break the checks, more "
            f"than the allowed {max_bad_share:.2%} ({worst}); quarantined in {path}",
            file=register.root,
        )
    return report
