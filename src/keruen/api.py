"""keruen's Python API: the store's data and keruen's measures as pandas tables.

Each function returns a :class:`pandas.DataFrame` whose rows keep their provenance (``dataset``,
``vintage``, ``publisher``, ``licence`` and ``unit`` columns) and raises keruen's named errors
(:mod:`keruen.errors`) on bad input. The command line, the REST API (:mod:`keruen.web`) and the
dashboard call these same functions, so each query has one definition.

>>> import keruen.api as kr
>>> kr.series("remittances_received", ["KAZ", "UZB"], range(2019, 2024))  # doctest: +SKIP
>>> kr.bilateral("UNDESA_IMS", 2019, destination="KAZ").head()  # doctest: +SKIP

Every function takes an optional ``store``; without it the default store is opened (and the
bundled snapshot loaded into it on first use) and closed again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from keruen.analysis.profile import Profile
from keruen.errors import ConfigError, DataNotAvailableError

if TYPE_CHECKING:
    from keruen.analysis.cache import ReportCache
    from keruen.areas import Lang
    from keruen.store import Store

__all__ = [
    "areas",
    "bilateral",
    "estimates",
    "indicators",
    "indices",
    "kz_regions",
    "measures",
    "series",
    "sources",
    "systems",
    "vintages",
]

#: Columns every observation table carries, in this order.
OBSERVATION_COLUMNS: tuple[str, ...] = (
    "dataset",
    "measure",
    "ref_area",
    "counterpart_area",
    "breakdown",
    "period",
    "value",
    "unit",
    "obs_status",
    "vintage",
    "release",
    "publisher",
    "licence",
    "url",
)

#: The bilateral datasets and what their two area columns mean.
BILATERAL_DATASETS: dict[str, str] = {
    "UNDESA_IMS": "migrant stock: ref_area = destination, counterpart_area = origin",
    "WB_BILATERAL_MIGRANT_STOCKS": "migrant stock: ref_area = destination, "
    "counterpart_area = origin",
    "WB_BILATERAL_REMITTANCES": "remittances: ref_area = receiving country, "
    "counterpart_area = sending country",
}

#: Unit of each column of :func:`indicators`.
INDICATOR_UNITS: dict[str, str] = {
    "inflow": "current USD",
    "outflow": "current USD",
    "net_paid": "current USD (outflow - inflow; positive = pays out)",
    "ratio": "outflow / inflow",
    "dri": "(outflow - inflow) / (outflow + inflow)",
    "share_gdp": "percent of GDP",
    "inflow_per_capita": "current USD per resident",
    "outflow_per_migrant": "current USD per immigrant",
    "inflow_growth_pct": "percent",
    "outflow_growth_pct": "percent",
    "inflow_rank": "rank (1 = largest)",
    "outflow_rank": "rank (1 = largest)",
}

T = TypeVar("T")


@contextmanager
def _opened(store: Store | None) -> Iterator[Store]:
    """The given store, or the default one opened for this call only."""
    if store is not None:
        yield store
        return
    from keruen.sources.snapshot import open_store

    with open_store(quiet=True) as opened:
        yield opened


def _with_store(store: Store | None, work: Callable[[Store], T]) -> T:
    with _opened(store) as s:
        return work(s)


def _codes(values: str | Iterable[str] | None) -> list[str] | None:
    """Area codes as the command line reads them (:func:`keruen.areas.resolve_codes`)."""
    if values is None:
        return None
    from keruen.areas import resolve_codes

    return resolve_codes([values] if isinstance(values, str) else values)


def _years(years: int | Iterable[int] | None) -> list[str] | None:
    if years is None:
        return None
    items = [years] if isinstance(years, int | str) else list(years)
    out = []
    for y in items:
        try:
            year = int(str(y))
        except ValueError:
            raise ConfigError(f"year {y!r} is not a whole number") from None
        if not 1900 <= year <= 2100:
            raise ConfigError(f"year {year} is outside 1900-2100")
        out.append(str(year))
    return out


def _observation_frame(frame: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in OBSERVATION_COLUMNS if c in frame.columns]
    return frame[cols].reset_index(drop=True)


def _dataset(store: Store, dataset: str) -> str:
    """The held dataset named ``dataset`` (case ignored); unknown: an error naming the held."""
    name = store.resolve_dataset(dataset.strip())
    if name is None:
        raise DataNotAvailableError(
            f"no dataset {dataset!r} in the store; held: {', '.join(store.datasets())}"
        )
    return name


# -- reference lists ------------------------------------------------------------------------
def areas(kind: str | None = None, lang: Lang = "en") -> pd.DataFrame:
    """Areas keruen knows: countries (ISO 3166-1), Kazakhstan's regions (ISO 3166-2:KZ), groups.

    Columns ``code, kind, name`` (``name`` in ``lang``: en, ru or kk) and, for groups,
    ``members`` (a comma-separated list of ISO codes).
    """
    import pycountry

    from keruen.areas import _kz_regions, area, group_members, groups

    if lang not in ("en", "ru", "kk"):
        raise ConfigError(f"unknown language {lang!r}; expected en, ru or kk")
    kinds = ("country", "subdivision", "group")
    if kind is not None and kind not in kinds:
        raise ConfigError(f"unknown area kind {kind!r}; expected one of {', '.join(kinds)}")
    rows: list[dict[str, Any]] = []
    if kind in (None, "country"):
        for c in pycountry.countries:
            a = area(c.alpha_3)
            rows.append({"code": a.code, "kind": "country", "name": a.name(lang), "members": ""})
    if kind in (None, "subdivision"):
        for code in sorted(_kz_regions()):
            a = area(code)
            if a.kind == "subdivision":
                rows.append(
                    {"code": code, "kind": "subdivision", "name": a.name(lang), "members": ""}
                )
    if kind in (None, "group"):
        for g in sorted(groups()):
            names = {"code": g, "kind": "group", "name": area(g).name(lang)}
            rows.append(names | {"members": ",".join(group_members(g))})
    return pd.DataFrame(rows, columns=["code", "kind", "name", "members"])


def measures(store: Store | None = None) -> pd.DataFrame:
    """Every (dataset, measure) held, with its unit, periods, area count and newest vintage."""

    def work(s: Store) -> pd.DataFrame:
        return s.con.execute(
            """
            SELECT o.dataset, o.measure, any_value(o.unit) AS unit,
                   min(o.period) AS first_period, max(o.period) AS last_period,
                   count(DISTINCT o.ref_area) AS areas, count(*) AS observations,
                   arg_max(s.vintage, s.release) AS newest_vintage,
                   arg_max(s.publisher, s.release) AS publisher,
                   arg_max(s.licence, s.release) AS licence
            FROM observations o JOIN sources s USING (source_id)
            GROUP BY o.dataset, o.measure ORDER BY o.dataset, o.measure
            """
        ).df()

    return _with_store(store, work)


def concepts() -> pd.DataFrame:
    """The concepts :func:`series` accepts besides stored measure codes, with their units."""
    from keruen.store.concepts import concepts as registry

    return pd.DataFrame(
        [
            {
                "concept": k,
                "unit": v["unit"],
                "candidates": "; ".join(f"{c['dataset']}/{c['measure']}" for c in v["candidates"]),
            }
            for k, v in registry().items()
        ]
    )


# -- data -----------------------------------------------------------------------------------
def series(
    measure: str,
    areas: str | Iterable[str] | None = None,
    years: int | Iterable[int] | None = None,
    vintage: str | None = None,
    *,
    dataset: str | None = None,
    store: Store | None = None,
) -> pd.DataFrame:
    """Values of one measure by area and year, each with its source, vintage and unit.

    ``measure`` is a concept (``remittances_received``, ``remittances_paid``, ``gdp``,
    ``population``, ``migrant_stock``…; see :func:`concepts`) — the newest release among the
    series that serve it — or a stored measure code (e.g. ``BX.TRF.PWKR.CD.DT``), optionally
    narrowed to one ``dataset``. Without ``vintage`` each value comes from the newest vintage
    holding it.
    """
    from keruen.store.concepts import concept_series, concepts

    codes = _codes(areas)
    periods = _years(years)

    def work(s: Store) -> pd.DataFrame:
        if measure in concepts() and dataset is None and vintage is None:
            frame = concept_series(s, measure, codes, periods)
            return frame.assign(concept=measure)
        names = [_dataset(s, dataset)] if dataset is not None else None
        if vintage is not None and not any(vintage in s.vintages(n) for n in names or s.datasets()):
            raise DataNotAvailableError(
                f"no vintage {vintage!r} of {names[0] if names else 'any dataset'} in the store; "
                "see keruen.api.vintages()"
            )
        frame = s.observations(
            names[0] if names else None,
            measure,
            ref_area=codes,
            period=periods,
            vintage=vintage,
        )
        if frame.empty:
            held = s.con.execute(
                "SELECT 1 FROM observations WHERE measure = ? LIMIT 1", [measure]
            ).fetchall()
            if not held:
                raise DataNotAvailableError(
                    f"no measure {measure!r} in the store; see keruen.api.measures() and "
                    "keruen.api.concepts()"
                )
        return _observation_frame(frame)

    return _with_store(store, work)


def bilateral(
    dataset: str,
    year: int,
    origin: str | Iterable[str] | None = None,
    destination: str | Iterable[str] | None = None,
    *,
    store: Store | None = None,
) -> pd.DataFrame:
    """One year of a bilateral table as ``origin, destination, value`` rows with provenance.

    For migrant stocks the origin is the country of birth or citizenship and the destination
    the country of residence; for remittances the origin is the sending (host) country and the
    destination the receiving one (see :data:`BILATERAL_DATASETS`).
    """
    periods = _years(year)
    origins = _codes(origin)
    destinations = _codes(destination)

    def work(s: Store) -> pd.DataFrame:
        name = _dataset(s, dataset)
        if name not in BILATERAL_DATASETS:
            raise ConfigError(
                f"{name!r} is not a bilateral dataset; bilateral datasets: "
                f"{', '.join(BILATERAL_DATASETS)}"
            )
        frame = s.observations(
            name, ref_area=destinations, counterpart_area=origins, period=periods
        )
        frame = frame[frame["counterpart_area"].notna() & (frame["counterpart_area"] != "WLD")]
        out = _observation_frame(frame).rename(
            columns={"ref_area": "destination", "counterpart_area": "origin"}
        )
        first = ["origin", "destination", "period", "value", "unit"]
        return out[first + [c for c in out.columns if c not in first]].sort_values(
            ["origin", "destination"], ignore_index=True
        )

    return _with_store(store, work)


def indicators(
    countries: str | Sequence[str] = "KAZ",
    years: int | Iterable[int] = range(2010, 2025),
    group: str | Sequence[str] = "cis_and_former",
    *,
    provenance: bool = False,
    store: Store | None = None,
) -> pd.DataFrame:
    """Remittance measures of countries by year, ranked within a group.

    Columns: inflow, outflow (current US$), net_paid = outflow − inflow (positive = pays out), ratio = outflow / inflow,
    dri = (outflow − inflow) / (outflow + inflow), share_gdp (%), inflow per capita, outflow per
    immigrant, year-on-year growth (%) and rank within the group (1 = largest). The dataset and
    vintage behind each input column are in ``frame.attrs["sources"]`` (a list of records), the
    unit of each column in ``frame.attrs["units"]`` and the ranking group in
    ``frame.attrs["group"]``. With ``provenance=True`` each row also names, for every input
    (inflow, outflow, gdp, population, migrant_stock), the ``<input>_source`` (dataset/measure),
    ``_vintage``, ``_unit``, ``_publisher``, ``_licence`` and ``_url`` its value came from.
    """
    from keruen.areas import group_members
    from keruen.indicators.remittances import growth_rate, rank_within, remittance_measures
    from keruen.store.panels import remittance_panel

    wanted = _codes(countries) or []
    if isinstance(group, str) and "," not in group:
        group_list = list(group_members(group))
    else:
        group_list = _codes(group.split(",") if isinstance(group, str) else group) or []
    members = list(dict.fromkeys([*group_list, *wanted]))
    year_list = [int(y) for y in (_years(years) or [])]
    if not year_list:
        raise ConfigError("no years given")

    def work(s: Store) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
        panel, used = remittance_panel(s, members, year_list)
        rows = _input_provenance(s, wanted, year_list) if provenance else None
        return panel, used, rows

    panel, used, rows = _with_store(store, work)
    table = remittance_measures(panel)
    for col in ("inflow", "outflow"):
        table[f"{col}_rank"] = rank_within(table[col], by=table["year"])
    out = table[table["ref_area"].isin(wanted)].sort_values(["ref_area", "year"])
    for col in ("inflow", "outflow"):  # growth only for the countries asked about
        out[f"{col}_growth_pct"] = (
            pd.concat(
                [
                    growth_rate(g.set_index("year")[col]).set_axis(g.index)
                    for _, g in out.groupby("ref_area")
                ]
            )
            if len(out)
            else pd.Series(dtype=float)
        )
    cols = [
        "ref_area",
        "year",
        "inflow",
        "outflow",
        "net_paid",
        "ratio",
        "dri",
        "share_gdp",
        "inflow_per_capita",
        "outflow_per_migrant",
        "inflow_growth_pct",
        "outflow_growth_pct",
        "inflow_rank",
        "outflow_rank",
    ]
    out = out[cols].reset_index(drop=True)
    if rows is not None:
        out = out.merge(rows, on=["ref_area", "year"], how="left")
    out.attrs["sources"] = used.to_dict(orient="records") if not used.empty else []
    out.attrs["group"] = members
    out.attrs["units"] = INDICATOR_UNITS
    return out


def _input_provenance(store: Store, countries: list[str], years: list[int]) -> pd.DataFrame:
    """Per country and year, the source of each input value of :func:`indicators`."""
    from keruen.store.concepts import concept_panel
    from keruen.store.panels import PANEL_CONCEPTS

    index = pd.MultiIndex.from_product([countries, years], names=["ref_area", "year"])
    out = pd.DataFrame(index=index).reset_index()
    every = concept_panel(store, list(PANEL_CONCEPTS.values()), countries, [str(y) for y in years])
    for column, concept in PANEL_CONCEPTS.items():
        series = every[every["concept"] == concept]
        part = pd.DataFrame(
            {
                "ref_area": series["ref_area"],
                "year": series["period"].astype(int),
                f"{column}_source": series["dataset"] + "/" + series["measure"],
                f"{column}_vintage": series["vintage"],
                f"{column}_unit": series["unit"],
                f"{column}_publisher": series["publisher"],
                f"{column}_licence": series["licence"],
                f"{column}_url": series["url"],
            }
        )
        out = out.merge(part, on=["ref_area", "year"], how="left")
    return out


def indices(flows: Any, population: Any, distance: Any | None = None) -> pd.DataFrame:
    """The system-wide bilateral measures of a flow matrix, one row per measure.

    ``flows`` is a square origin × destination matrix (array or DataFrame), ``population`` the
    regions' populations and ``distance`` an optional distance matrix; the measures and their
    formulas are those of :func:`keruen.indicators.summary.bilateral_summary`.
    """
    from keruen.indicators.summary import bilateral_summary

    try:
        values = bilateral_summary(flows, population, distance)
    except (ValueError, TypeError) as exc:
        from keruen.errors import InputError

        raise InputError(str(exc)) from None
    return pd.DataFrame({"measure": list(values), "value": list(values.values())})


def estimates(
    kind: str | None = None,
    areas: str | Iterable[str] | None = None,
    years: int | Iterable[int] | None = None,
    *,
    store: Store | None = None,
) -> pd.DataFrame:
    """Model estimates stored by keruen (status E), with method and assumptions.

    ``kind`` is a model name (e.g. ``forecast``, ``gravity``, ``flows_from_stocks``,
    ``remittance_corridors``, ``systems``, ``migrant_volumes``) or None for all; the columns
    ``method``, ``assumptions`` and ``parameters`` come from the estimate's provenance.
    """
    import json

    from keruen.store.estimates import DATASET_PREFIX

    codes = _codes(areas)
    periods = _years(years)

    def work(s: Store) -> pd.DataFrame:
        held = [d for d in s.datasets() if d.startswith(DATASET_PREFIX)]
        if kind is not None:
            target = DATASET_PREFIX + "".join(ch if ch.isalnum() else "_" for ch in kind.upper())
            if target not in held:
                kinds = sorted(d[len(DATASET_PREFIX) :].lower() for d in held)
                raise DataNotAvailableError(
                    f"no stored estimates of kind {kind!r}; held: {', '.join(kinds) or 'none'} "
                    "(keruen estimate … or keruen report store them)"
                )
            held = [target]
        parts = []
        for name in held:
            frame = s.observations(name, ref_area=codes, period=periods, breakdown="*")
            if frame.empty:
                continue
            notes = s.con.execute(
                "SELECT vintage, notes FROM sources WHERE dataset = ?", [name]
            ).fetchall()
            meta = {}
            for vintage, note in notes:
                try:
                    meta[vintage] = json.loads(note or "{}")
                except json.JSONDecodeError:
                    meta[vintage] = {}
            frame = frame.assign(
                kind=name[len(DATASET_PREFIX) :].lower(),
                method=[str(meta.get(v, {}).get("method", "")) for v in frame["vintage"]],
                assumptions=[
                    "; ".join(meta.get(v, {}).get("assumptions", [])) for v in frame["vintage"]
                ],
            )
            parts.append(frame)
        if not parts:
            return pd.DataFrame(columns=["kind", *OBSERVATION_COLUMNS, "method", "assumptions"])
        out = pd.concat(parts, ignore_index=True)
        return out[["kind", *[c for c in OBSERVATION_COLUMNS if c in out], "method", "assumptions"]]

    return _with_store(store, work)


def kz_regions(store: Store | None = None) -> pd.DataFrame:
    """Kazakhstan's regions: share of foreign labour migrants, of residents, location quotient.

    The migrant shares are the Migration Committee's figures as stated in Kelinbayeva et al.
    (2025) (``source = "paper"``); residents are BNS population. Location quotient = share of
    labour migrants ÷ share of residents (> 1: over-represented). The same table as the
    Kazakhstan's labour section (:func:`keruen.analysis.kz_labour.kz_labour`).
    """
    from keruen.analysis.kz_labour import kz_labour
    from keruen.analysis.scope import PAPER_COUNTRY, peer_group

    def work(s: Store) -> pd.DataFrame:
        section = kz_labour(s, peer_group(PAPER_COUNTRY))
        table = section.tables["regions"].copy()
        table["migrant_share_unit"] = "percent of foreign labour migrants"
        table["population_share_unit"] = "percent of residents"
        table["migrant_share_source"] = "; ".join(
            f"{x.get('publisher', '')} ({x.get('vintage', '')})" for x in section.sources
        )
        table.attrs["sources"] = [dict(x) for x in section.sources]
        table["period"] = section.values.get("region_year")
        table["population_period"] = section.values.get("population_year")
        return table

    return _with_store(store, work)


def systems(
    period: int | Iterable[int] | None = None,
    countries: str | Iterable[str] | None = None,
    network: str = "world",
    *,
    store: Store | None = None,
) -> pd.DataFrame:
    """Migration systems per UN DESA stock period: each country's system, size and role.

    A system is a Louvain community of the period's migrant-stock network (origin → country of
    residence, weighted by persons), named after its largest member by total strength (its
    centre); the model, inputs and seed are those of the report's systems section
    (:func:`keruen.analysis.systems.systems`). Columns: ``network, period, country,
    system, system_size`` (countries), ``in_strength`` (immigrants held), ``out_strength``
    (emigrants abroad), ``net = in − out``, ``position`` (receiver/sender), ``role`` (hub:
    total strength ≥ half the period's largest), ``rank`` (by total strength), the period's
    ``modularity``, ``unit`` of the strengths, provenance (``dataset, vintage, release,
    publisher, licence``), ``method`` and ``seed``. ``network`` is ``world`` or
    ``post_soviet`` (stocks between post-Soviet states only).
    """
    from keruen.analysis.systems_table import systems_table

    def work(s: Store) -> pd.DataFrame:
        return systems_rows(systems_table(s, network), period, countries)

    return _with_store(store, work)


def systems_rows(
    table: pd.DataFrame,
    period: int | Iterable[int] | None = None,
    countries: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """The rows of one network's systems ``table`` (all periods) that :func:`systems` returns."""
    from keruen.analysis.systems_table import select

    return select(table, _years(period), _codes(countries))


def sources(store: Store | None = None) -> pd.DataFrame:
    """Every file held, with its provenance (publisher, URL, licence, vintage, sha256)."""
    return _with_store(store, lambda s: s.sources())


def vintages(dataset: str | None = None, *, store: Store | None = None) -> pd.DataFrame:
    """The vintages held per dataset (oldest release first), with publisher and row counts."""

    def work(s: Store) -> pd.DataFrame:
        frame = s.con.execute(
            "SELECT dataset, vintage, release, publisher, licence, sum(n_rows) AS n_rows, "
            "count(*) AS files FROM sources GROUP BY ALL ORDER BY dataset, release, vintage"
        ).df()
        if dataset is not None:
            frame = frame[frame["dataset"] == _dataset(s, dataset)]
        return frame.reset_index(drop=True)

    return _with_store(store, work)


def profile(
    country: str,
    group: str | None = None,
    *,
    store: Store | None = None,
    cache: ReportCache | None = None,
) -> Profile:
    """The analysis of ``country``: every section the report and the dashboard show for it.

    ``country`` is an ISO 3166 code (alpha-3 or alpha-2) or a name keruen knows; ``group``
    overrides the peer group as ``keruen report --group`` does. The sections are the very
    objects :func:`keruen.analysis.run` returns to the report and the dashboard: each has
    ``tables`` (pandas), ``values`` and ``sources``. They are reused from ``cache`` (default:
    the cache in KERUEN_HOME, shared with ``keruen report`` and ``keruen serve``).

    >>> uzb = profile("UZB")                                        # doctest: +SKIP
    >>> uzb["trend"].tables["series"][["year", "inflow"]].tail(3)   # doctest: +SKIP
    """
    from keruen.analysis.cache import ReportCache
    from keruen.analysis.runner import run
    from keruen.analysis.scope import peer_group
    from keruen.areas import normalise

    code = normalise(country, ("country",))
    scope = peer_group(code, group)

    def work(s: Store) -> Profile:
        return Profile(scope, run(s, scope, cache=cache or ReportCache()))

    return _with_store(store, work)
