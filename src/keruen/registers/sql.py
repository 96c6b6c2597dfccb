"""Every check and aggregation of a register, defined once as SQL run by every engine.

The statements use only SQL that DuckDB and Spark SQL read alike. The one expression the two
dialects spell differently — a date as a day number — is :data:`DAY_NUMBER`; the check query
turns every date into a day number (days since 1970-01-01) once, and all later arithmetic is
on integers. Engines provide three relations: ``register_raw`` (the Parquet files),
``ref_codes(kind, code)`` (valid codes), ``checked`` (materialised from :func:`checked`) and
``checked_full`` (a view of :func:`checked` with ``full=True``, read only for the quarantine).
"""

from __future__ import annotations

from collections.abc import Sequence

from keruen.registers.schema import COLUMNS

#: Record-level rules, in the order they are reported.
RULES: tuple[str, ...] = (
    "missing_value",
    "unknown_code",
    "departure_before_arrival",
    "duplicate_person_period",
    "outside_span",
)
RULE_HELP: dict[str, str] = {
    "missing_value": "a required field is empty (all but departure_date and previous_region)",
    "unknown_code": "citizenship, region, previous_region, sex, sector or permit_kind is not "
    "a known code",
    "departure_before_arrival": "departure_date is before arrival_date",
    "duplicate_person_period": "another record of the person arrives the same day, or an "
    "earlier stay of the person has not ended by this arrival",
    "outside_span": "arrival_date or departure_date falls outside the register's span",
}
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
_REQUIRED = [c for c in COLUMNS if c not in ("departure_date", "previous_region")]
_CODED = {
    "citizenship": "country",
    "region": "region",
    "previous_region": "region",
    "sex": "sex",
    "sector": "sector",
    "permit_kind": "permit_kind",
}
#: The columns the aggregates read (kept in the materialised ``checked`` relation).
AGGREGATE_COLUMNS: tuple[str, ...] = (
    "citizenship", "region", "previous_region", "arrival_date", "departure_date",
    "arr_day", "dep_day", "until_day",
)  # fmt: skip
#: Day number standing for "not yet departed" when comparing departures.
OPEN_END = 2_147_483_647


def checked(dialect: str, start_day: int, end_day: int, *, full: bool = False) -> str:
    """Every record with its day numbers, one boolean column per rule, and ``bad``.

    With ``full=False`` only :data:`AGGREGATE_COLUMNS` are kept beside the flags (what the
    engines materialise); ``full=True`` keeps every column (what the quarantine file holds).
    A person-period is a duplicate when another record of the same person arrives the same
    day (all such records are flagged: which one is right is unknown) or when a stay of the
    person that arrived earlier has not ended by this arrival; both are windows over the
    person's records ordered by arrival day only, so the result does not depend on ties.
    """
    day = DAY_NUMBER[dialect]
    cols = ", ".join(f"r.{c}" for c in COLUMNS)
    hint = ", ".join(f"BROADCAST(j_{c})" for c in _CODED)  # Spark; a comment to DuckDB
    joins = "\n".join(
        f"LEFT JOIN ref_codes j_{c} ON j_{c}.kind = '{kind}' AND j_{c}.code = r.{c}"
        for c, kind in _CODED.items()
    )
    missing = " OR ".join(f"r.{c} IS NULL" for c in _REQUIRED)
    unknown = " OR ".join(f"(r.{c} IS NOT NULL AND j_{c}.code IS NULL)" for c in _CODED)
    base = f"""
SELECT /*+ {hint} */ {cols},
  {day.format(col="r.arrival_date")} AS arr_day, {day.format(col="r.departure_date")} AS dep_day,
  {day.format(col="r.permitted_until")} AS until_day,
  ({missing}) AS missing_value,
  ({unknown}) AS unknown_code,
  COALESCE(r.departure_date < r.arrival_date, FALSE) AS departure_before_arrival
FROM register_raw r
{joins}"""
    w = "PARTITION BY person_id ORDER BY arr_day RANGE BETWEEN"
    rules = f"""
SELECT b.*,
  COALESCE(count(*) OVER ({w} CURRENT ROW AND CURRENT ROW) > 1
    OR max(COALESCE(dep_day, {OPEN_END})) OVER ({w} UNBOUNDED PRECEDING AND 1 PRECEDING)
       > arr_day, FALSE) AS duplicate_person_period,
  COALESCE(arr_day < {start_day} OR arr_day > {end_day} OR dep_day > {end_day}, FALSE)
      AS outside_span
FROM ({base}) b"""
    keep = "*" if full else ", ".join((*AGGREGATE_COLUMNS, *RULES))
    return f"SELECT {keep}, ({' OR '.join(RULES)}) AS bad FROM ({rules}) q"


#: Record counts: all, failing each rule, failing any.
RULE_COUNTS = (
    "SELECT CAST(count(*) AS BIGINT) AS records, "
    + ", ".join(f"CAST(SUM(CASE WHEN {r} THEN 1 ELSE 0 END) AS BIGINT) AS {r}" for r in RULES)
    + ", CAST(SUM(CASE WHEN bad THEN 1 ELSE 0 END) AS BIGINT) AS bad FROM checked"
)
#: The quarantined records with the rules each breaks (from the full, unmaterialised view).
QUARANTINE = f"SELECT {', '.join(COLUMNS)}, {', '.join(RULES)} FROM checked_full WHERE bad"
#: The records that pass every rule: what all aggregates read.
CLEAN = "SELECT * FROM checked WHERE NOT bad"

#: Arrivals (all, and from abroad), departures and net by region × month × citizenship;
#: ``month`` is year·100 + month of the arrival (or departure) date.
FLOWS = """
SELECT region, month, citizenship,
  CAST(SUM(a) AS BIGINT) AS arrivals, CAST(SUM(ab) AS BIGINT) AS arrivals_from_abroad,
  CAST(SUM(d) AS BIGINT) AS departures, CAST(SUM(a) - SUM(d) AS BIGINT) AS net
FROM (
  SELECT region, CAST(year(arrival_date) * 100 + month(arrival_date) AS BIGINT) AS month,
    citizenship, 1 AS a, CASE WHEN previous_region IS NULL THEN 1 ELSE 0 END AS ab, 0 AS d
  FROM clean
  UNION ALL
  SELECT region, CAST(year(departure_date) * 100 + month(departure_date) AS BIGINT) AS month,
    citizenship, 0 AS a, 0 AS ab, 1 AS d
  FROM clean WHERE departure_date IS NOT NULL
) t
GROUP BY region, month, citizenship"""

#: Completed stays (departure known) by citizenship × region × band: count and total days.
DURATIONS = (
    "SELECT citizenship, region, band, CAST(count(*) AS BIGINT) AS stays, "
    "CAST(SUM(days) AS BIGINT) AS days FROM ("
    "SELECT citizenship, region, dep_day - arr_day AS days, CASE "
    + " ".join(
        f"WHEN dep_day - arr_day < {nxt} THEN '{label}'"
        for (label, _), (_, nxt) in zip(DURATION_BANDS, DURATION_BANDS[1:], strict=False)
    )
    + f" ELSE '{DURATION_BANDS[-1][0]}' END AS band "
    "FROM clean WHERE dep_day IS NOT NULL) t GROUP BY citizenship, region, band"
)

#: Moves between regions (address changes) per year of the move: origin → destination.
OD = """
SELECT year, origin, destination, CAST(count(*) AS BIGINT) AS moves FROM (
  SELECT CAST(year(arrival_date) AS BIGINT) AS year, previous_region AS origin,
    region AS destination FROM clean WHERE previous_region IS NOT NULL
) t GROUP BY year, origin, destination"""


def _present(day: int) -> str:
    return f"arr_day <= {int(day)} AND (dep_day IS NULL OR dep_day > {int(day)})"


def stock(days: Sequence[int]) -> str:
    """Persons present (arrival ≤ t < departure) on each day number t, by region × citizenship.

    Column ``s<i>`` holds the stock on ``days[i]``; one pass over the records for all days.
    """
    sums = ", ".join(
        f"CAST(SUM(CASE WHEN {_present(d)} THEN 1 ELSE 0 END) AS BIGINT) AS s{i}"
        for i, d in enumerate(days)
    )
    return f"SELECT region, citizenship, {sums} FROM clean GROUP BY region, citizenship"


def overstays(day: int) -> str:
    """Persons present on day t past their permitted date, by citizenship × region.

    Counts records with arrival ≤ t < departure and permitted_until < t, and the days by
    which they overstay (sum of t − permitted_until).
    """
    return (
        "SELECT citizenship, region, CAST(count(*) AS BIGINT) AS overstayers, "
        f"CAST(SUM({int(day)} - until_day) AS BIGINT) AS overstay_days FROM clean "
        f"WHERE {_present(day)} AND until_day < {int(day)} GROUP BY citizenship, region"
    )
