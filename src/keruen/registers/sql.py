"""Every check and aggregation of a register, defined once as SQL run by every engine.

The statements use only SQL that DuckDB and Spark SQL read alike. The one expression the two
dialects spell differently — a date as a day number — is :data:`DAY_NUMBER`; dates become day
numbers (days since 1970-01-01) once, and all later arithmetic is on integers.

The checks and aggregates take two passes over the records, whatever the number of rules:

1. The person pass, in two steps: :data:`MULTI` keeps the persons with more than one dated
   record (a hash aggregate holding only a key and a count per person), then :func:`persons`
   groups just their records and keeps the persons whose records overlap; from it come
   ``dup_keys(person_id, arr_day)``, the person-periods breaking the duplicate rule
   (:func:`dup_keys`).
2. :func:`cells` evaluates every row-local rule into one bit mask and groups the records by
   everything an aggregate is broken down by *and* by that mask, with every measure summed:
   a small table of cells (citizenship and region codes are checked once per cell). Rule
   counts (:data:`RULE_COUNTS`) and every aggregate (:data:`FLOWS` …) are sums over the cells
   that break no rule, so no checked copy of the records is ever written.

The quarantine (:func:`flagged`) re-reads the records only when some are bad. Engines provide
relations ``register_raw`` (the Parquet files), ``ref_codes(kind, code)`` (valid codes),
``multi``, ``persons``, ``dup_keys``, ``cells`` and ``judged`` (materialised; :func:`judged`) and
``good`` (a view of :data:`GOOD`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from keruen.registers.schema import COLUMNS, PERMIT_KINDS, SECTORS, SEXES

#: Record-level rules, in the order they are reported.
RULES: tuple[str, ...] = (
    "missing_value",
    "unknown_code",
    "departure_before_arrival",
    "duplicate_person_period",
    "outside_span",
    "implausible_value",
)
#: Plausible ranges (the ``implausible_value`` rule): a person is at most this old on arrival
#: and not born after the year of arrival ...
OLDEST_AGE = 120
#: ... and a permit ends at most this many days (ten years) before the arrival at the address
#: (a far-future end is kept: registers write e.g. 9999-12-31 for a permit without an end).
PERMIT_LAPSED_DAYS = 3653
RULE_HELP: dict[str, str] = {
    "missing_value": "a required field is empty (all but departure_date and previous_region)",
    "unknown_code": "citizenship, region, previous_region, sex, sector or permit_kind is not "
    "a known code",
    "departure_before_arrival": "departure_date is before arrival_date",
    "duplicate_person_period": "another record of the person arrives the same day, or an "
    "earlier stay of the person has not ended by this arrival",
    "outside_span": "arrival_date or departure_date falls outside the register's span",
    "implausible_value": f"birth_year after the year of arrival or over {OLDEST_AGE} years "
    f"before it, or permitted_until over {PERMIT_LAPSED_DAYS:,} days before arrival_date",
}
#: Version of the rules' definitions (recorded with a validation; change it with the rules).
RULES_VERSION = "3"
#: Days since 1970-01-01 of a date column, per dialect.
DAY_NUMBER: dict[str, str] = {
    "duckdb": "CAST(date_diff('day', DATE '1970-01-01', {col}) AS BIGINT)",
    "spark": "CAST(datediff({col}, DATE '1970-01-01') AS BIGINT)",
}
#: Bands of completed stays, in days: (label, lower bound inclusive).
DURATION_BANDS: tuple[tuple[str, int], ...] = (
    ("0-29d", 0),
    ("30-89d", 30),
    ("90-179d", 90),
    ("180-364d", 180),
    ("365d+", 365),
)
#: Columns every record must fill (the ``missing_value`` rule).
REQUIRED: tuple[str, ...] = tuple(
    c for c in COLUMNS if c not in ("departure_date", "previous_region")
)
#: Coded columns checked against short lists inline, row by row.
_SHORT_CODES = {"sex": SEXES, "sector": SECTORS, "permit_kind": PERMIT_KINDS}
#: Coded columns checked against ``ref_codes`` (long lists) by a join.
_LONG_CODES = {"citizenship": "country", "region": "region", "previous_region": "region"}
#: Day number standing for "not yet departed" when comparing departures.
OPEN_END = 2_147_483_647
#: The row-local rule flags, as bits of a cell's ``mask`` (``unknown_code`` is completed
#: per cell, from the long code lists; ``departure_before_arrival`` is a band of its own).
_CELL_FLAGS = (
    "missing_value", "unknown_short", "duplicate_person_period", "outside_span",
    "implausible_value",
)  # fmt: skip


def _literals(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _days(dialect: str, col: str) -> str:
    return DAY_NUMBER[dialect].format(col=col)


#: Persons with more than one dated record: the only ones whose records are compared. Most
#: persons of a register have one record, so this narrow aggregate (a key and a count per
#: person) leaves :func:`persons` a tenth of the records; at 10^8 records it halves the
#: person pass (benchmarks/README.md, "Registers"). ``MULTI_RECORDS``: the records it counts
#: (an engine may count them otherwise: :meth:`keruen.registers.engines.Engine.repeated_persons`).
MULTI_RECORDS = """
SELECT person_id FROM register_raw
WHERE person_id IS NOT NULL AND arrival_date IS NOT NULL"""
MULTI = MULTI_RECORDS + """
GROUP BY person_id HAVING count(*) > 1"""


#: Persons with more than one dated record and a possible overlap: for exactly two records,
#: whether the later one is a duplicate (``flagged``, its arrival ``a2``); more than two
#: (``many``) are resolved by the window of :func:`dup_keys`. Records without a person or an
#: arrival break ``missing_value`` and are not compared.
def persons(dialect: str) -> str:
    """The person pass's second step: the records of :data:`MULTI`'s persons, by person."""
    arr, dep = _days(dialect, "arrival_date"), _days(dialect, "departure_date")
    return f"""
SELECT person_id, a2 AS arr_day, n > 2 AS many FROM (
  SELECT person_id, count(*) AS n, min(a) AS a1, max(a) AS a2,
    min_by(COALESCE(d, {OPEN_END}), a) AS d1
  FROM (SELECT person_id, {arr} AS a, {dep} AS d FROM register_raw
        WHERE arrival_date IS NOT NULL AND person_id IN (SELECT person_id FROM multi)) x
  GROUP BY person_id HAVING count(*) > 1
) y WHERE n > 2 OR a1 = a2 OR d1 > a2"""


def dup_keys(dialect: str, *, many: bool) -> str:
    """Person-periods ``(person_id, arr_day)`` breaking the duplicate rule.

    A record is a duplicate when another record of the person arrives the same day (all such
    records: which one is right is unknown) or a stay that arrived earlier has not ended by
    this arrival. For a person with two records, :func:`persons` decided it (the later
    arrival, or both when they arrive the same day); persons with more (``many``, rare)
    go through a window over their records ordered by arrival day, so ties do not matter.
    """
    two = "SELECT person_id, arr_day FROM persons WHERE NOT many"
    if not many:
        return two
    arr, dep = _days(dialect, "arrival_date"), _days(dialect, "departure_date")
    w = "PARTITION BY person_id ORDER BY arr_day RANGE BETWEEN"
    return f"""{two}
UNION ALL
SELECT DISTINCT person_id, arr_day FROM (
  SELECT person_id, arr_day,
    count(*) OVER ({w} CURRENT ROW AND CURRENT ROW) > 1
    OR max(COALESCE(dep_day, {OPEN_END})) OVER ({w} UNBOUNDED PRECEDING AND 1 PRECEDING)
       > arr_day AS dup
  FROM (SELECT person_id, {arr} AS arr_day, {dep} AS dep_day FROM register_raw
        WHERE arrival_date IS NOT NULL
          AND person_id IN (SELECT person_id FROM persons WHERE many)) p
) w WHERE dup"""


#: The distinct values of the short-list coded columns (sex, sector, permit kind), nulls left
#: out. Grouping a low-cardinality column is cheap where testing each record against a list is
#: not (at 10^8 records about a fifth of the CPU time of :func:`cells`), so the cells pass
#: tests ``unknown_short`` only when a value seen here is not on its list.
SHORT_CODES_SEEN = "\nUNION ALL\n".join(
    f"SELECT '{c}' AS field, {c} AS code FROM register_raw WHERE {c} IS NOT NULL GROUP BY {c}"
    for c in _SHORT_CODES
)


def unknown_short(seen: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (field, code) pairs of :data:`SHORT_CODES_SEEN` whose code is not on its list."""
    return sorted((f, c) for f, c in seen if c not in _SHORT_CODES[f])


#: An empty ``dup_keys`` (no duplicates), typed alike in both dialects.
NO_DUP_KEYS = (
    "SELECT CAST(NULL AS BIGINT) AS person_id, CAST(NULL AS BIGINT) AS arr_day "
    "FROM ref_codes WHERE 1 = 0"
)


def _row_rules(dialect: str, start_day: int, end_day: int) -> str:
    """Day numbers and every rule evaluated on one record (alias ``r``, ``d`` = dup_keys)."""
    arr, dep = _days(dialect, "r.arrival_date"), _days(dialect, "r.departure_date")
    until = _days(dialect, "r.permitted_until")
    missing = " OR ".join(f"r.{c} IS NULL" for c in REQUIRED)
    short = " OR ".join(f"r.{c} NOT IN ({_literals(values)})" for c, values in _SHORT_CODES.items())
    return f"""{arr} AS arr_day, {dep} AS dep_day, {until} AS until_day,
  ({missing}) AS missing_value,
  COALESCE({short}, FALSE) AS unknown_short,
  COALESCE(r.departure_date < r.arrival_date, FALSE) AS departure_before_arrival,
  (d.person_id IS NOT NULL) AS duplicate_person_period,
  COALESCE({arr} < {start_day} OR {arr} > {end_day} OR {dep} < {start_day} OR {dep} > {end_day},
      FALSE)
      AS outside_span,
  COALESCE(r.birth_year > year(r.arrival_date)
      OR r.birth_year < year(r.arrival_date) - {OLDEST_AGE}
      OR {until} < {arr} - {PERMIT_LAPSED_DAYS}, FALSE) AS implausible_value"""


_DUP_JOIN = "LEFT JOIN dup_keys d ON d.person_id = r.person_id AND d.arr_day = {arr}"


def _long_unknown(alias: str, *broadcast: str) -> tuple[str, str, str]:
    """A broadcast hint, joins of ``ref_codes`` and the test that a long-list code is unknown.

    The hint names the small relations joined (Spark reads it; DuckDB a comment).
    """
    hint = ", ".join(f"BROADCAST({t})" for t in (*(f"j_{c}" for c in _LONG_CODES), *broadcast))
    joins = "\n".join(
        f"LEFT JOIN ref_codes j_{c} ON j_{c}.kind = '{kind}' AND j_{c}.code = {alias}.{c}"
        for c, kind in _LONG_CODES.items()
    )
    test = " OR ".join(f"({alias}.{c} IS NOT NULL AND j_{c}.code IS NULL)" for c in _LONG_CODES)
    return f"/*+ {hint} */", f"{joins}", f"({test})"


#: The band of a departure before the arrival: the ``departure_before_arrival`` rule read
#: from a key the cells have anyway, so that rule costs the cells pass nothing.
BACKWARDS = -1


def _band(days: str) -> str:
    """The index in :data:`DURATION_BANDS` of a stay of ``days``.

    Null while open; :data:`BACKWARDS` when the departure is before the arrival.
    """
    whens = " ".join(
        f"WHEN {days} < {nxt} THEN {i}" for i, (_, nxt) in enumerate(DURATION_BANDS[1:])
    )
    return (
        f"CASE WHEN {days} IS NULL THEN NULL WHEN {days} < 0 THEN {BACKWARDS} {whens} "
        f"ELSE {len(DURATION_BANDS) - 1} END"
    )


def _mask(flags: Sequence[str] = _CELL_FLAGS) -> str:
    """The row-local flags of :data:`_CELL_FLAGS` as one integer, bit i for flag i.

    Only ``flags`` are evaluated, the others count as passed (see :func:`cells`).
    """
    bits = [f"CASE WHEN {f} THEN {1 << i} ELSE 0 END" for i, f in enumerate(_CELL_FLAGS)
            if f in flags]  # fmt: skip
    return " + ".join(bits) or "0"


def _present(day: int) -> str:
    return f"arr_day <= {int(day)} AND (dep_day IS NULL OR dep_day > {int(day)})"


def cells(
    dialect: str,
    start_day: int,
    end_day: int,
    stock_days: Sequence[int],
    overstay_day: int,
    flags: Sequence[str] = _CELL_FLAGS,
) -> str:
    """The records grouped by every breakdown of an aggregate and by the row-local rules.

    Keys: region, citizenship, previous_region, ``am``/``dm`` (year·100 + month of arrival /
    departure), ``band`` (index of a completed stay's band, :data:`BACKWARDS` for a
    departure before the arrival) and ``mask`` (the flags of
    :data:`_CELL_FLAGS`; integer keys group faster than strings and booleans). Sums:
    ``n`` records, ``ab`` arrivals from abroad, ``stay_days`` (completed stays), ``s<i>``
    present on ``stock_days[i]``, ``ov``/``ov_days`` overstaying on ``overstay_day``.
    Only the rules named in ``flags`` are evaluated, the others count as passed: leave out
    only a rule known not to fire (:func:`cell_flags`), or to measure what each costs.
    """
    arr = _days(dialect, "r.arrival_date")
    dup_join = _DUP_JOIN.format(arr=arr) if "duplicate_person_period" in flags else ""
    rules = _row_rules(dialect, start_day, end_day)
    if not dup_join:
        rules = rules.replace("(d.person_id IS NOT NULL)", "FALSE")
    month = "CAST(year({c}) * 100 + month({c}) AS BIGINT)"
    over = f"{_present(overstay_day)} AND until_day < {int(overstay_day)}"
    stocks = "".join(
        f"CAST(SUM(CASE WHEN {_present(d)} THEN 1 ELSE 0 END) AS BIGINT) AS s{i}, "
        for i, d in enumerate(stock_days)
    )
    keys = "region, citizenship, previous_region, am, dm, band"
    return f"""
SELECT {keys}, {_mask(flags)} AS mask, CAST(count(*) AS BIGINT) AS n,
  CAST(SUM(CASE WHEN previous_region IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS ab,
  CAST(SUM(dep_day - arr_day) AS BIGINT) AS stay_days, {stocks}
  CAST(SUM(CASE WHEN {over} THEN 1 ELSE 0 END) AS BIGINT) AS ov,
  CAST(SUM(CASE WHEN {over} THEN {int(overstay_day)} - until_day ELSE 0 END) AS BIGINT)
    AS ov_days
FROM (
  SELECT /*+ BROADCAST(d) */ r.region, r.citizenship, r.previous_region,
    {month.format(c="r.arrival_date")} AS am, {month.format(c="r.departure_date")} AS dm,
    {_band(_days(dialect, "r.departure_date") + " - " + arr)} AS band,
    {rules}
  FROM register_raw r
  {dup_join}
) t
GROUP BY {keys}{", " + _mask(flags) if flags else ""}"""


def cell_flags(cannot_fire: Iterable[str] = ()) -> tuple[str, ...]:
    """The row-local rules :func:`cells` evaluates: all but those known not to fire.

    A caller knows a rule cannot fire from something cheaper than testing each record:
    ``unknown_short`` when :data:`SHORT_CODES_SEEN` found no code off its list,
    ``duplicate_person_period`` when ``dup_keys`` is empty, ``missing_value`` and
    ``outside_span`` when the files' footers prove it (:mod:`keruen.registers.footers`).
    The cells, counts and aggregates are then the same as with every rule evaluated.
    """
    skip = set(cannot_fire)
    unknown = skip - set(_CELL_FLAGS)
    if unknown:
        raise ValueError(f"not a row-local rule: {sorted(unknown)}")
    return tuple(f for f in _CELL_FLAGS if f not in skip)


def judged() -> str:
    """``cells`` with one boolean per rule, and ``bad``.

    ``unknown_code`` is completed here by joining the long code lists once per cell.
    """
    hint, joins, unknown = _long_unknown("c")
    bit = {f: f"(c.mask & {1 << i}) > 0" for i, f in enumerate(_CELL_FLAGS)}
    bit["unknown_code"] = f"({bit['unknown_short']} OR {unknown})"
    bit["departure_before_arrival"] = f"COALESCE(c.band = {BACKWARDS}, FALSE)"
    flags = ", ".join(f"{bit[r]} AS {r}" for r in RULES)
    inner = f"""SELECT {hint} c.*, {flags}
FROM cells c
{joins}"""
    return f"SELECT q.*, ({' OR '.join(RULES)}) AS bad FROM ({inner}) q"


#: Record counts: all, failing each rule, failing any (sums over the cells).
RULE_COUNTS = (
    "SELECT CAST(SUM(n) AS BIGINT) AS records, "
    + ", ".join(f"CAST(SUM(CASE WHEN {r} THEN n ELSE 0 END) AS BIGINT) AS {r}" for r in RULES)
    + ", CAST(SUM(CASE WHEN bad THEN n ELSE 0 END) AS BIGINT) AS bad FROM judged"
)
#: The cells of records passing every rule: what all aggregates read.
GOOD = "SELECT * FROM judged WHERE NOT bad"


def flagged(dialect: str, start_day: int, end_day: int) -> str:
    """The quarantine: every record breaking a rule, with one boolean column per rule."""
    arr = _days(dialect, "r.arrival_date")
    cols = ", ".join(f"r.{c}" for c in COLUMNS)
    hint, joins, unknown = _long_unknown("r", "d")
    inner = f"""SELECT {hint} {cols}, {_row_rules(dialect, start_day, end_day)},
  {unknown} AS unknown_long
FROM register_raw r
{joins}
{_DUP_JOIN.format(arr=arr)}"""
    rules = ", ".join(
        "(unknown_short OR unknown_long) AS unknown_code" if r == "unknown_code" else r
        for r in RULES
    )
    return f"""SELECT {", ".join(COLUMNS)}, {rules} FROM ({inner}) q
WHERE missing_value OR unknown_short OR unknown_long OR departure_before_arrival
   OR duplicate_person_period OR outside_span OR implausible_value"""


#: Arrivals (all, and from abroad), departures and net by region × month × citizenship;
#: ``month`` is year·100 + month of the arrival (or departure) date.
FLOWS = """
SELECT region, month, citizenship,
  CAST(SUM(a) AS BIGINT) AS arrivals, CAST(SUM(ab) AS BIGINT) AS arrivals_from_abroad,
  CAST(SUM(d) AS BIGINT) AS departures, CAST(SUM(a) - SUM(d) AS BIGINT) AS net
FROM (
  SELECT region, am AS month, citizenship, n AS a, ab, 0 AS d FROM good
  UNION ALL
  SELECT region, dm AS month, citizenship, 0 AS a, 0 AS ab, n AS d FROM good
  WHERE dm IS NOT NULL
) t
GROUP BY region, month, citizenship"""

#: Completed stays (departure known) by citizenship × region × band: count and total days.
DURATIONS = """
SELECT citizenship, region, band, CAST(SUM(n) AS BIGINT) AS stays,
  CAST(SUM(stay_days) AS BIGINT) AS days
FROM (SELECT citizenship, region, CASE {} END AS band, n, stay_days
      FROM good WHERE band IS NOT NULL) t
GROUP BY citizenship, region, band""".format(
    " ".join(f"WHEN band = {i} THEN '{label}'" for i, (label, _) in enumerate(DURATION_BANDS))
)

#: Moves between regions (address changes) per year of the move: origin → destination.
OD = """
SELECT CAST(FLOOR(am / 100) AS BIGINT) AS year, previous_region AS origin, region AS destination,
  CAST(SUM(n) AS BIGINT) AS moves
FROM good WHERE previous_region IS NOT NULL
GROUP BY CAST(FLOOR(am / 100) AS BIGINT), previous_region, region"""


def stock(count: int) -> str:
    """Persons present (arrival ≤ t < departure) on each stock day, by region × citizenship.

    Column ``s<i>`` holds the stock on the i-th day given to :func:`cells`.
    """
    sums = ", ".join(f"CAST(SUM(s{i}) AS BIGINT) AS s{i}" for i in range(count))
    return f"SELECT region, citizenship, {sums} FROM good GROUP BY region, citizenship"


#: Persons present on the overstay day past their permitted date, by citizenship × region,
#: and the days by which they overstay (sum of t − permitted_until).
OVERSTAYS = """
SELECT citizenship, region, CAST(SUM(ov) AS BIGINT) AS overstayers,
  CAST(SUM(ov_days) AS BIGINT) AS overstay_days
FROM good GROUP BY citizenship, region HAVING SUM(ov) > 0"""
