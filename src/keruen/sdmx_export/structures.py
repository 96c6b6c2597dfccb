"""keruen's store as SDMX structural metadata (``sdmx1`` information-model objects).

One data structure definition, ``KERUEN:DSD_KERUEN(1.0)``, serves every dataflow; its
dimensions are the store's observation key and its attributes the provenance each value keeps:

========================  =========================================  ==========================
SDMX component            store column                               representation
========================  =========================================  ==========================
``FREQ``                  period's form (2023 → ``A``)               ``CL_FREQ``
``MEASURE``               measure (``BX.TRF.PWKR.CD.DT`` →           ``CL_MEASURE``
                          ``BX_TRF_PWKR_CD_DT``)
``REF_AREA``              ref_area                                   ``CL_AREA``
``COUNTERPART_AREA``      counterpart_area (none → ``_Z``)           ``CL_AREA``
``BREAKDOWN``             breakdown (total → ``_T``)                 ``CL_BREAKDOWN``
``TIME_PERIOD``           period                                     observational time period
``OBS_VALUE``             value                                      double
``OBS_STATUS``            obs_status (A, E, P)                       ``CL_OBS_STATUS``
``UNIT_MEASURE``          unit                                       text
``VINTAGE``, ``RELEASE``  the source's vintage and release date      text
``SOURCE``,               publisher, licence and URL of the source   text
``LICENCE``,
``SOURCE_URL``
``METHOD``                an estimate's method (keruen estimates)    text
``COMMENT_OBS``           whom a publication's figure cites, where   text
========================  =========================================  ==========================

One dataflow per dataset held (its id is the dataset's name). Codes are SDMX identifiers
(``[A-Za-z0-9_@$-]+``): a stored value with other characters gets an identifier with ``_`` in
their place and keeps its text as the code's name. Area names are in English, Russian and
Kazakh (:mod:`keruen.areas`). Every artefact is maintained by the agency ``KERUEN`` at version
``1.0``; the code lists follow the store's content, so none is marked final.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from sdmx.model import common
from sdmx.model import v21 as model

if TYPE_CHECKING:
    from keruen.store import Store

AGENCY_ID = "KERUEN"
VERSION = "1.0"
DSD_ID = "DSD_KERUEN"
CONCEPT_SCHEME_ID = "CS_KERUEN"

#: Dimensions in key order (``TIME_PERIOD`` is the time dimension after them).
DIMENSIONS: tuple[str, ...] = ("FREQ", "MEASURE", "REF_AREA", "COUNTERPART_AREA", "BREAKDOWN")
TIME_DIMENSION = "TIME_PERIOD"
PRIMARY_MEASURE = "OBS_VALUE"
#: Observation-level attributes, in message order.
ATTRIBUTES: tuple[str, ...] = (
    "OBS_STATUS",
    "UNIT_MEASURE",
    "VINTAGE",
    "RELEASE",
    "SOURCE",
    "LICENCE",
    "SOURCE_URL",
    "METHOD",
    "COMMENT_OBS",
)
#: Code list of each coded component.
CODELIST_OF: dict[str, str] = {
    "FREQ": "CL_FREQ",
    "MEASURE": "CL_MEASURE",
    "REF_AREA": "CL_AREA",
    "COUNTERPART_AREA": "CL_AREA",
    "BREAKDOWN": "CL_BREAKDOWN",
    "OBS_STATUS": "CL_OBS_STATUS",
}

#: Concepts: id → (English name, description).
CONCEPTS: dict[str, tuple[str, str]] = {
    "FREQ": ("Frequency", "How often the period recurs: A annual, Q quarterly, M monthly…"),
    "MEASURE": ("Measure", "What is measured: an indicator or series code of the source."),
    "REF_AREA": ("Reference area", "The country, region or group the value describes."),
    "COUNTERPART_AREA": (
        "Counterpart area",
        "The other area of a bilateral value (origin of a migrant stock, sender of a "
        "remittance flow); _Z where there is none.",
    ),
    "BREAKDOWN": ("Breakdown", "A sub-population such as sex=female; _T for the total."),
    "TIME_PERIOD": ("Time period", "The period the value refers to."),
    "OBS_VALUE": ("Observation value", "The value."),
    "OBS_STATUS": ("Observation status", "SDMX status: A normal, E estimated, P provisional."),
    "UNIT_MEASURE": ("Unit of measure", "The unit of the value, as the source states it."),
    "VINTAGE": ("Vintage", "The release of the source the value comes from."),
    "RELEASE": ("Release date", "The date that vintage was published."),
    "SOURCE": ("Source", "Who published the value."),
    "LICENCE": ("Licence", "The licence the source publishes the value under."),
    "SOURCE_URL": ("Source URL", "Where the source publishes it."),
    "METHOD": ("Method", "How a keruen estimate was made."),
    "COMMENT_OBS": ("Comment", "For a figure quoted from a publication: whom it cites, and where."),
}

FREQUENCIES: dict[str, str] = {
    "A": "Annual",
    "S": "Half-yearly",
    "Q": "Quarterly",
    "M": "Monthly",
    "W": "Weekly",
    "D": "Daily",
    "_Z": "Not applicable (a span of several years)",
}
STATUSES: dict[str, str] = {
    "A": "Normal value",
    "E": "Estimated value",
    "P": "Provisional value",
    "M": "Missing value",
}
#: Codes standing for "no counterpart area" and "no breakdown (total)".
NO_COUNTERPART = "_Z"
TOTAL = "_T"

#: Names of the datasets keruen ships connectors for; others are named by their newest title.
DATASET_NAMES: dict[str, str] = {
    "WB_WDI": "World Bank, World Development Indicators: remittances and their cost, GDP, "
    "population",
    "WB_KNOMAD_REMITTANCES": "World Bank / KNOMAD: remittance inflows and outflows",
    "WB_BILATERAL_REMITTANCES": "World Bank / KNOMAD: bilateral remittance estimates",
    "WB_BILATERAL_MIGRANT_STOCKS": "World Bank / KNOMAD: bilateral migrant stocks",
    "UNDESA_IMS": "UN DESA, International Migrant Stock",
    "UN_WPP": "UN DESA, World Population Prospects",
    "KZ_BNS_POPULATION": "Kazakhstan Bureau of National Statistics: resident population",
    "ILOSTAT": "ILOSTAT: international labour migration",
}

_ID = re.compile(r"[A-Za-z0-9_@$\-]+")
_NOT_ID = re.compile(r"[^A-Za-z0-9_@$\-]+")


def sdmx_ids(values: Iterable[str], *, upper: bool = False) -> dict[str, str]:
    """Each value → an SDMX identifier: itself when valid, else with ``_`` for other characters.

    Identifiers are unique: a clash gets ``_2``, ``_3``… in the values' sorted order.
    """
    out: dict[str, str] = {}
    taken: set[str] = set()
    for value in sorted(set(values)):
        base = value if _ID.fullmatch(value) else (_NOT_ID.sub("_", value).strip("_") or "X")
        if upper:
            base = base.upper()
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        taken.add(candidate)
        out[value] = candidate
    return out


@dataclass(frozen=True)
class Flow:
    """One dataflow: the dataset behind it and what kind of table holds it."""

    id: str
    dataset: str
    kind: Literal["observations", "paper_figures"]
    name: str
    description: str


@dataclass
class Catalogue:
    """Every structure keruen serves for one state of the store, with the code mappings."""

    agency: common.Agency
    dsd: model.DataStructureDefinition
    concepts: common.ConceptScheme
    codelists: dict[str, common.Codelist]
    dataflows: dict[str, model.DataflowDefinition]
    flows: dict[str, Flow]
    #: stored value → SDMX code, per coded dimension (MEASURE, REF_AREA, BREAKDOWN…)
    codes: dict[str, dict[str, str]]
    #: SDMX code → stored value, per coded dimension
    values: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.values = {dim: {v: k for k, v in m.items()} for dim, m in self.codes.items()}


def _flows(store: Store) -> list[Flow]:
    rows = store.con.execute(
        "SELECT dataset, any_value(kind), arg_max(title, release), "
        "string_agg(DISTINCT publisher, '; '), string_agg(DISTINCT licence, '; '), "
        "string_agg(vintage, '; ' ORDER BY release, source_id) "
        "FROM sources GROUP BY dataset ORDER BY dataset"
    ).fetchall()
    ids = sdmx_ids(str(r[0]) for r in rows)
    flows = []
    for dataset, kind, title, publishers, licences, vintages in rows:
        name = DATASET_NAMES.get(dataset)
        if name is None and str(dataset).startswith("KERUEN_ESTIMATES_"):
            name = "keruen estimates: " + dataset[len("KERUEN_ESTIMATES_") :].lower()
        if name is None and kind == "paper_figures":
            text = title or dataset
            name = text if text.startswith("Figures stated in") else f"Figures stated in: {text}"
        description = (
            f"keruen dataset {dataset}. Source: {publishers or 'unknown'}; licence: "
            f"{licences or 'unknown'}; vintages held: {vintages}."
        )
        flows.append(
            Flow(
                id=ids[dataset],
                dataset=dataset,
                kind="paper_figures" if kind == "paper_figures" else "observations",
                name=name or title or dataset,
                description=description,
            )
        )
    return flows


def _distinct(store: Store, sql: str) -> list[str]:
    return sorted({str(r[0]) for r in store.con.execute(sql).fetchall() if r[0] is not None})


def _codelist(cid: str, name: str, agency: common.Agency, description: str = "") -> common.Codelist:
    return common.Codelist(
        id=cid,
        name={"en": name},
        description={"en": description} if description else None,
        maintainer=agency,
        version=VERSION,
        is_final=False,
        is_external_reference=False,
    )


def _area_names() -> dict[str, dict[str, str]]:
    """Names in en/ru/kk of every area keruen knows (countries, KZ regions, groups)."""
    from keruen import api

    names: dict[str, dict[str, str]] = {}
    for lang in ("en", "ru", "kk"):
        for code, name in api.areas(lang=lang)[["code", "name"]].itertuples(index=False):
            names.setdefault(code, {})[lang] = name
    return names


def _area_codelist(held: Iterable[str], agency: common.Agency) -> tuple[common.Codelist, dict]:
    from keruen.areas import area
    from keruen.errors import UnknownAreaError

    names = _area_names()
    for code in held:
        if code not in names:
            try:
                names[code] = dict(area(code).names)
            except UnknownAreaError:
                names[code] = {"en": code}
    ids = sdmx_ids(names)
    cl = _codelist(
        "CL_AREA",
        "Areas",
        agency,
        "ISO 3166-1 alpha-3 countries, ISO 3166-2:KZ regions of Kazakhstan, World Bank "
        "aggregates and keruen's country groups, named in English, Russian and Kazakh.",
    )
    cl.append(common.Code(id=NO_COUNTERPART, name={"en": "Not applicable"}))
    for value in sorted(names, key=lambda v: ids[v]):
        localised = {lang: text for lang, text in names[value].items() if text}
        if value != ids[value]:
            localised = {"en": value, **{k: v for k, v in localised.items() if k != "en"}}
        cl.append(common.Code(id=ids[value], name=localised))
    return cl, ids


def build_catalogue(store: Store) -> Catalogue:
    """The structures of everything ``store`` holds (see the module's table)."""
    agency = common.Agency(id=AGENCY_ID, name={"en": "keruen"})
    flows = _flows(store)
    measures = _distinct(
        store,
        "SELECT DISTINCT measure FROM observations UNION SELECT DISTINCT measure FROM "
        "paper_figures",
    )
    held_areas = _distinct(
        store,
        "SELECT DISTINCT ref_area FROM observations UNION SELECT DISTINCT counterpart_area "
        "FROM observations UNION SELECT DISTINCT ref_area FROM paper_figures UNION "
        "SELECT DISTINCT counterpart_area FROM paper_figures",
    )
    breakdowns = _distinct(store, "SELECT DISTINCT breakdown FROM observations")
    units = dict(
        store.con.execute(
            "SELECT measure, string_agg(DISTINCT unit, '; ') FROM (SELECT measure, unit FROM "
            "observations UNION SELECT measure, unit FROM paper_figures) GROUP BY measure"
        ).fetchall()
    )

    measure_ids = sdmx_ids(measures)
    cl_measure = _codelist("CL_MEASURE", "Measures", agency, "Measures held by keruen's store.")
    for value in sorted(measures, key=lambda v: measure_ids[v]):
        unit = units.get(value)
        cl_measure.append(
            common.Code(
                id=measure_ids[value],
                name={"en": value},
                description={"en": f"Unit: {unit}"} if unit else None,
            )
        )
    breakdown_ids = sdmx_ids(breakdowns, upper=True)
    cl_breakdown = _codelist("CL_BREAKDOWN", "Breakdowns", agency)
    cl_breakdown.append(common.Code(id=TOTAL, name={"en": "Total"}))
    for value in sorted(breakdowns, key=lambda v: breakdown_ids[v]):
        cl_breakdown.append(common.Code(id=breakdown_ids[value], name={"en": value}))
    cl_area, area_ids = _area_codelist(held_areas, agency)
    cl_freq = _codelist("CL_FREQ", "Frequencies", agency)
    for code, text in FREQUENCIES.items():
        cl_freq.append(common.Code(id=code, name={"en": text}))
    cl_status = _codelist("CL_OBS_STATUS", "Observation statuses", agency)
    for code, text in STATUSES.items():
        cl_status.append(common.Code(id=code, name={"en": text}))
    codelists = {cl.id: cl for cl in (cl_freq, cl_measure, cl_area, cl_breakdown, cl_status)}

    concepts = common.ConceptScheme(
        id=CONCEPT_SCHEME_ID,
        name={"en": "keruen concepts"},
        maintainer=agency,
        version=VERSION,
        is_final=False,
        is_external_reference=False,
    )
    for cid, (name, description) in CONCEPTS.items():
        concepts.append(common.Concept(id=cid, name={"en": name}, description={"en": description}))

    dsd = _dsd(agency, concepts, codelists)
    dataflows = {
        f.id: model.DataflowDefinition(
            id=f.id,
            name={"en": f.name},
            description={"en": f.description},
            maintainer=agency,
            version=VERSION,
            is_final=False,
            is_external_reference=False,
            structure=dsd,
        )
        for f in flows
    }
    return Catalogue(
        agency=agency,
        dsd=dsd,
        concepts=concepts,
        codelists=codelists,
        dataflows=dataflows,
        flows={f.id: f for f in flows},
        codes={
            "MEASURE": measure_ids,
            "REF_AREA": area_ids,
            "COUNTERPART_AREA": area_ids,
            "BREAKDOWN": breakdown_ids,
        },
    )


def _text(value_type: Any) -> common.Representation:
    return common.Representation(non_enumerated=[common.Facet(value_type=value_type)])


def _dsd(
    agency: common.Agency, concepts: common.ConceptScheme, codelists: dict[str, common.Codelist]
) -> model.DataStructureDefinition:
    dsd = model.DataStructureDefinition(
        id=DSD_ID,
        name={"en": "keruen observations"},
        description={
            "en": "One value of a measure for an area (and counterpart area, breakdown) and "
            "period, with the source, vintage and unit it came with."
        },
        maintainer=agency,
        version=VERSION,
        is_final=False,
        is_external_reference=False,
    )
    dsd.dimensions.id = "DimensionDescriptor"
    dsd.attributes.id = "AttributeDescriptor"
    dsd.measures.id = "MeasureDescriptor"
    for order, dim in enumerate(DIMENSIONS, start=1):
        dsd.dimensions.getdefault(
            dim,
            concept_identity=concepts[dim],
            local_representation=common.Representation(enumerated=codelists[CODELIST_OF[dim]]),
            order=order,
        )
    dsd.dimensions.getdefault(
        TIME_DIMENSION,
        cls=common.TimeDimension,
        concept_identity=concepts[TIME_DIMENSION],
        local_representation=_text(common.FacetValueType.observationalTimePeriod),
        order=len(DIMENSIONS) + 1,
    )
    dsd.measures.getdefault(
        PRIMARY_MEASURE,
        concept_identity=concepts[PRIMARY_MEASURE],
        local_representation=_text(common.FacetValueType.double),
    )
    for attr in ATTRIBUTES:
        coded = attr in CODELIST_OF
        dsd.attributes.getdefault(
            attr,
            concept_identity=concepts[attr],
            local_representation=common.Representation(enumerated=codelists[CODELIST_OF[attr]])
            if coded
            else _text(common.FacetValueType.string),
            usage_status=common.UsageStatus.mandatory
            if attr == "OBS_STATUS"
            else common.UsageStatus.conditional,
            related_to=model.PrimaryMeasureRelationship(),
        )
    return dsd


class CatalogueCache:
    """The catalogue of a store, rebuilt only when the store's list of sources changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._catalogue: Catalogue | None = None

    def get(self, store: Store) -> Catalogue:
        """The catalogue of ``store`` (built on first use and after each new ingest)."""
        key = (store.path, *store.con.execute(
            "SELECT count(*), max(source_id), max(ingested_at) FROM sources"
        ).fetchall()[0])  # fmt: skip
        with self._lock:
            if self._catalogue is None or key != self._key:
                self._catalogue = build_catalogue(store)
                self._key = key
            return self._catalogue
