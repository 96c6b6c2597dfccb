"""SDMX messages: structures and data as SDMX-ML 2.1 and SDMX-CSV 1.0; errors.

SDMX-ML is written by ``sdmx1``'s writer from its information-model objects; two things that
writer leaves out of structure-specific data and the SDMX-ML 2.1 schemas require are added to
its lxml tree: the data structure's namespace in the header (``namespace``) and, on the data
set, ``xsi:type``, ``ss:structureRef`` and ``ss:dataScope``. SDMX-CSV 1.0 is ``sdmx1``'s CSV
writer (``sdmx.writer.csv`` with SDMX-CSV 1.0 options); SDMX-JSON 1.0, which ``sdmx1`` reads
but does not write, is built from the same data set by :mod:`.json_data`. Errors are SDMX-ML
2.1 error messages (``mes:Error`` holding ``mes:ErrorMessage code=…``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from typing import Any, cast

import pandas as pd
import sdmx
from lxml import etree
from sdmx import message
from sdmx.format.xml.v21 import qname
from sdmx.model import common
from sdmx.model import v21 as model

from keruen.sdmx_export.data import Selection
from keruen.sdmx_export.query import DataQuery, StructureQuery
from keruen.sdmx_export.structures import (
    AGENCY_ID,
    ATTRIBUTES,
    DIMENSIONS,
    DSD_ID,
    PRIMARY_MEASURE,
    TIME_DIMENSION,
    VERSION,
    Catalogue,
)
from keruen.writing import csv_text

#: Media types written (what the ``Content-Type`` header says).
MEDIA_TYPES: dict[str, str] = {
    "structurespecificdata": "application/vnd.sdmx.structurespecificdata+xml; version=2.1",
    "csvdata": "application/vnd.sdmx.data+csv; version=1.0.0",
    "jsondata": "application/vnd.sdmx.data+json; version=1.0.0",
    "structure": "application/vnd.sdmx.structure+xml; version=2.1",
    "schema": "application/xml",
    "error": "application/xml",
}
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific"


def dsd_namespace(dimension_at_observation: str = TIME_DIMENSION) -> str:
    """The namespace of structure-specific data (and of its schema) for this layout."""
    return (
        f"urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure={AGENCY_ID}:{DSD_ID}"
        f"({VERSION}):ObsLevelDim:{dimension_at_observation}"
    )


def _header(catalogue: Catalogue, prepared: dt.datetime | None = None) -> message.Header:
    return message.Header(
        id="KERUEN" + uuid.uuid4().hex[:16].upper(),
        test=False,
        prepared=prepared or dt.datetime.now(dt.UTC).replace(microsecond=0),
        sender=catalogue.agency,
    )


# -- structures -----------------------------------------------------------------------------
def structure_message(catalogue: Catalogue, query: StructureQuery) -> message.StructureMessage:
    """The structures ``query`` asks for, with those ``references`` adds (404 if none)."""
    from keruen.sdmx_export.errors import SdmxNoResults

    resource = query.resource
    every: dict[str, dict[str, Any]] = {
        "dataflow": dict(catalogue.dataflows),
        "datastructure": {catalogue.dsd.id: catalogue.dsd},
        "codelist": dict(catalogue.codelists),
        "conceptscheme": {catalogue.concepts.id: catalogue.concepts},
    }
    asked = every[resource]
    if query.ids is not None:
        asked = {k: v for k, v in asked.items() if k in query.ids}
    if not asked:
        raise SdmxNoResults(
            f"no {resource} {'+'.join(query.ids or ())!r}; held: {', '.join(every[resource])}"
        )
    chosen: dict[str, dict[str, Any]] = {resource: asked}
    parents, children = _related(catalogue, resource, asked)
    ref = query.references
    extra: dict[str, dict[str, Any]] = {}
    if ref in ("parents", "parentsandsiblings", "all"):
        _merge(extra, parents)
    if ref in ("parentsandsiblings", "all"):  # siblings: the parents' other children
        for kind, items in parents.items():
            _merge(extra, _related(catalogue, kind, items)[1])
    if ref in ("children", "descendants", "all"):
        _merge(extra, children)
        if ref != "children":
            for kind, items in list(children.items()):
                _merge(extra, _related(catalogue, kind, items)[1])
    if ref in every:  # a resource type: every related structure of that type
        related: dict[str, dict[str, Any]] = {}
        _merge(related, parents)
        _merge(related, children)
        for kind, items in list(children.items()):
            _merge(related, _related(catalogue, kind, items)[1])
        extra = {ref: related.get(ref, {})}
    _merge(chosen, extra)
    msg = message.StructureMessage(header=_header(catalogue))
    for kind in ("dataflow", "codelist", "conceptscheme", "datastructure"):
        for obj in chosen.get(kind, {}).values():
            msg.add(obj)
    return msg


def _merge(into: dict[str, dict[str, Any]], more: dict[str, dict[str, Any]]) -> None:
    for kind, items in more.items():
        into.setdefault(kind, {}).update(items)


def _related(
    catalogue: Catalogue, kind: str, items: dict[str, Any]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(parents, children) of ``items`` of type ``kind``, by type and id."""
    dsd = {catalogue.dsd.id: catalogue.dsd}
    if kind == "dataflow":
        return {}, {"datastructure": dsd}
    if kind == "datastructure":
        return {"dataflow": dict(catalogue.dataflows)}, {
            "codelist": dict(catalogue.codelists),
            "conceptscheme": {catalogue.concepts.id: catalogue.concepts},
        }
    return {"datastructure": dsd}, {}  # code lists and concept schemes


def structure_xml(msg: message.StructureMessage) -> bytes:
    """An SDMX-ML 2.1 structure message."""
    return sdmx.to_xml(msg, pretty_print=True)


# -- data -----------------------------------------------------------------------------------
def data_message(
    catalogue: Catalogue,
    query: DataQuery,
    selection: Selection,
) -> message.DataMessage:
    """The data set of ``selection`` as ``sdmx1`` objects (series, or flat observations)."""
    dsd = catalogue.dsd
    flow = catalogue.dataflows[query.flow]
    ds = model.StructureSpecificDataSet(structured_by=dsd, described_by=flow)
    table = selection.table
    with_obs = query.detail in ("full", "dataonly")
    with_attrs = query.detail in ("full", "nodata")
    pm = dsd.measures.get(PRIMARY_MEASURE)
    attrs = {a: dsd.attributes.get(a) for a in ATTRIBUTES}
    time = dsd.dimensions.get(TIME_DIMENSION)

    # attribute values repeat (one unit, vintage, source… for many observations): each is
    # made once and shared, as are the time-period keys
    shared: dict[tuple[str, str], common.AttributeValue] = {}
    periods: dict[str, common.Key] = {}

    def attribute(a: str, value: Any) -> common.AttributeValue:
        found = shared.get((a, value))
        if found is None:
            found = shared[(a, value)] = common.AttributeValue(value=str(value), value_for=attrs[a])
        return found

    def period(value: str) -> common.Key:
        found = periods.get(value)
        if found is None:
            found = periods[value] = dsd.make_key(common.Key, {TIME_DIMENSION: value})
        return found

    def observation(row: dict[str, Any], key: common.Key, series: Any) -> model.Observation:
        attached = (
            {a: attribute(a, row[a]) for a in ATTRIBUTES if row[a] is not None}
            if with_attrs
            else {}
        )
        value = row[PRIMARY_MEASURE]
        return model.Observation(
            series_key=series,
            dimension=key,
            value=None if value is None or math.isnan(value) else value,
            value_for=pm,
            attached_attribute=attached,
        )

    rows = table.to_dict(orient="records")
    if query.dimension_at_observation == "AllDimensions":
        observations = [
            observation(r, dsd.make_key(common.Key, {d: r[d] for d in (*DIMENSIONS,
                                                                       TIME_DIMENSION)}), None)
            for r in rows
        ]  # fmt: skip
        ds.add_obs(observations)
        observation_dimension: Any = common.AllDimensions
    else:
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for r in rows:
            groups.setdefault(tuple(r[d] for d in DIMENSIONS), []).append(r)
        for values, members in groups.items():
            series = dsd.make_key(common.SeriesKey, dict(zip(DIMENSIONS, values, strict=True)))
            obs = (
                [observation(r, period(r[TIME_DIMENSION]), series) for r in members]
                if with_obs
                else []
            )
            ds.add_obs(obs, series)
            if not obs:
                ds.series[series] = []
        observation_dimension = time
    footer = None
    if selection.left_out:
        footer = message.Footer(
            code=1000,
            severity="Information",
            text=[
                common.InternationalString(
                    en=f"{selection.left_out} value(s) left out: their period is no SDMX time "
                    "period (keruen query shows them)"
                )
            ],
        )
    return message.DataMessage(
        header=_header(catalogue),
        data=[ds],
        dataflow=flow,
        observation_dimension=observation_dimension,
        footer=footer,
    )


def data_xml(msg: message.DataMessage) -> bytes:
    """SDMX-ML 2.1 structure-specific data."""
    from sdmx.writer.xml import writer

    root = writer.recurse(msg)
    all_dims = msg.observation_dimension is common.AllDimensions
    header_structure = root.find(qname("mes", "Header")).find(qname("mes", "Structure"))
    if all_dims:
        header_structure.set("dimensionAtObservation", "AllDimensions")
    namespace = dsd_namespace("AllDimensions" if all_dims else TIME_DIMENSION)
    header_structure.set("namespace", namespace)
    root = _with_namespace(root, "ns1", namespace)
    for ds in root.iter(qname("mes", "DataSet")):
        ds.set(f"{{{SS}}}structureRef", ds.attrib.pop("structureRef", DSD_ID))
        ds.set(f"{{{SS}}}action", "Information")
        ds.set(f"{{{SS}}}dataScope", "DataStructure")
        ds.set(f"{{{XSI}}}type", "ns1:DataSetType")
    return etree.tostring(root, encoding="utf-8", xml_declaration=True, pretty_print=True)


def _with_namespace(root: etree._Element, prefix: str, uri: str) -> etree._Element:
    """``root`` re-made with one more namespace declared on it (lxml cannot add one in place)."""
    new = etree.Element(root.tag, attrib=dict(root.attrib), nsmap={**root.nsmap, prefix: uri})
    new.text = root.text
    for child in list(root):
        new.append(child)
    return new


def data_csv(catalogue: Catalogue, query: DataQuery, msg: message.DataMessage) -> bytes:
    """SDMX-CSV 1.0: a DATAFLOW column, one per dimension, OBS_VALUE and the attributes."""
    from sdmx.format.csv import v1
    from sdmx.writer.csv import to_csv

    flow = catalogue.dataflows[query.flow]
    if query.detail in ("serieskeysonly", "nodata"):
        keys = [
            {"DATAFLOW": f"{AGENCY_ID}:{flow.id}({VERSION})",
             **{d: k.values[d].value for d in DIMENSIONS}}
            for k in msg.data[0].series
        ]  # fmt: skip
        frame = pd.DataFrame(keys, columns=["DATAFLOW", *DIMENSIONS])
    else:
        frame = cast(
            pd.DataFrame,
            to_csv(
                msg.data[0],
                format_options=v1.FormatOptions(),
                attributes="o" if query.detail == "full" else "",
                rtype=pd.DataFrame,
            ),
        )
        present = [c for c in ("DATAFLOW", *DIMENSIONS, TIME_DIMENSION, PRIMARY_MEASURE)
                   if c in frame.columns]  # fmt: skip
        attrs = [a for a in ATTRIBUTES if a in frame.columns]
        frame = frame[present + attrs]
    # text a spreadsheet would run as a formula is made inert, as in /api/v1's CSV
    return csv_text(frame, crlf=True).encode("utf-8")


# -- errors ---------------------------------------------------------------------------------
#: Characters XML 1.0 cannot hold (controls, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def error_xml(code: int, text: str) -> bytes:
    """An SDMX-ML 2.1 error message: ``<mes:Error><mes:ErrorMessage code=…>``.

    Characters XML cannot hold (a request may carry them) become U+FFFD.
    """
    from sdmx.writer.xml import Element

    root = Element("mes:Error")
    status = Element("mes:ErrorMessage", code=str(code))
    status.append(Element("com:Text", _NOT_XML.sub("\ufffd", text)))
    status[-1].set(qname("xml", "lang"), "en")
    root.append(status)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True, pretty_print=True)
