"""SDMX-JSON 1.0 data messages, built from an ``sdmx1`` data message.

``sdmx1`` reads SDMX-JSON but does not write it; this follows the SDMX-JSON 1.0 data-message
schema (``meta``, ``data.structure``, ``data.dataSets``): each dimension and attribute lists
its values once, a series key such as ``0:0:1:0:0`` indexes them, and an observation is
``[value, attribute value indices…]``. Names come from the code lists and concepts.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any, cast

import sdmx
from sdmx import message
from sdmx.model import common
from sdmx.model import v21 as model

from keruen.sdmx_export.query import DataQuery, period_bounds
from keruen.sdmx_export.structures import (
    AGENCY_ID,
    ATTRIBUTES,
    CODELIST_OF,
    DIMENSIONS,
    PRIMARY_MEASURE,
    TIME_DIMENSION,
    Catalogue,
)


def _name(obj: Any) -> str:
    return str(obj.name.localized_default("en") or obj.id)


def _values(catalogue: Catalogue, component: str, codes: Iterable[str]) -> list[dict[str, Any]]:
    codelist = catalogue.codelists[CODELIST_OF[component]]
    return [{"id": c, "name": _name(codelist[c])} for c in codes]


def _time_values(periods: Iterable[str]) -> list[dict[str, Any]]:
    out = []
    for p in periods:
        original = p.split("/")[0] if "/" in p else p
        bounds = period_bounds(original) if "/" not in p else None
        if "/" in p:  # a span written 2010-01-01/P14Y
            first = dt.date.fromisoformat(original)
            bounds = ("_Z", first, dt.date(first.year + int(p.split("/P")[1][:-1]) - 1, 12, 31))
        entry: dict[str, Any] = {"id": p.replace("/", "_"), "name": p}
        if bounds is not None:
            entry["start"] = f"{bounds[1].isoformat()}T00:00:00Z"
            entry["end"] = f"{bounds[2].isoformat()}T23:59:59Z"
        out.append(entry)
    return out


def _period_of(o: model.Observation) -> Any:
    """The TIME_PERIOD of an observation (in a series or flat)."""
    return cast(common.Key, o.dimension).values[TIME_DIMENSION].value


def data_json(catalogue: Catalogue, query: DataQuery, msg: message.DataMessage) -> bytes:
    """SDMX-JSON 1.0 data message: ``meta``, ``data.structure`` and ``data.dataSets``."""
    flow = catalogue.dataflows[query.flow]
    ds = msg.data[0]
    flat = query.dimension_at_observation == "AllDimensions"
    keys: list[tuple[common.Key, list[model.Observation]]]
    if flat:
        keys = [(cast(common.Key, o.dimension), [o]) for o in ds.obs]
    else:
        keys = [(k, list(obs)) for k, obs in ds.series.items()]
    dim_codes: dict[str, list[str]] = {d: [] for d in DIMENSIONS}
    periods: list[str] = []
    for key, obs in keys:
        for d in DIMENSIONS:
            dim_codes[d].append(str(key.values[d].value))
        for o in obs:
            periods.append(str(_period_of(o)))
    order = {d: list(dict.fromkeys(sorted(v))) for d, v in dim_codes.items()}
    time_order = sorted(dict.fromkeys(periods))
    index = {d: {c: i for i, c in enumerate(v)} for d, v in order.items()}
    time_index = {p: i for i, p in enumerate(time_order)}

    with_attrs = query.detail in ("full", "nodata")
    attr_values: dict[str, list[str]] = {a: [] for a in ATTRIBUTES}
    for _, obs in keys:
        for o in obs:
            for a, av in o.attached_attribute.items():
                attr_values[a].append(str(av.value))
    attr_order = {a: list(dict.fromkeys(sorted(v))) for a, v in attr_values.items()}
    attr_index = {a: {v: i for i, v in enumerate(vals)} for a, vals in attr_order.items()}
    used_attrs = [a for a in ATTRIBUTES if attr_order[a]] if with_attrs else []

    def cell(o: model.Observation) -> list[Any]:
        value = None if o.value is None else float(cast(float, o.value))
        out: list[Any] = [value]
        for a in used_attrs:
            av = o.attached_attribute.get(a)
            out.append(None if av is None else attr_index[a][str(av.value)])
        return out

    dims = []
    for pos, d in enumerate(DIMENSIONS):
        dims.append(
            {
                "id": d,
                "name": _name(catalogue.concepts[d]),
                "keyPosition": pos,
                "values": _values(catalogue, d, order[d]),
            }
        )
    time_dim = {
        "id": TIME_DIMENSION,
        "name": _name(catalogue.concepts[TIME_DIMENSION]),
        "keyPosition": len(DIMENSIONS),
        "roles": ["TIME_PERIOD"],
        "values": _time_values(time_order),
    }
    attributes = []
    for a in used_attrs:
        if a in CODELIST_OF:
            values = _values(catalogue, a, attr_order[a])
        else:
            values = [{"name": v} for v in attr_order[a]]
        attributes.append(
            {
                "id": a,
                "name": _name(catalogue.concepts[a]),
                "relationship": {"primaryMeasure": PRIMARY_MEASURE},
                "values": values,
            }
        )
    data_set: dict[str, Any] = {
        "action": "Information",
        "links": [{"urn": flow.urn or sdmx.urn.make(flow), "rel": "dataflow"}],
    }
    if flat:
        data_set["observations"] = {
            ":".join(str(index[d][str(k.values[d].value)]) for d in DIMENSIONS)
            + f":{time_index[str(k.values[TIME_DIMENSION].value)]}": cell(obs[0])
            for k, obs in keys
        }
        dimensions = {"observation": [*dims, time_dim]}
    else:
        series = {}
        for k, obs in keys:
            entry: dict[str, Any] = {"attributes": []}
            if query.detail in ("full", "dataonly"):
                entry["observations"] = {str(time_index[str(_period_of(o))]): cell(o) for o in obs}
            series[":".join(str(index[d][str(k.values[d].value)]) for d in DIMENSIONS)] = entry
        data_set["series"] = series
        dimensions = {"series": dims, "observation": [time_dim]}
    document = {
        "meta": {
            "schema": "https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/"
            "data-message/tools/schemas/1.0/sdmx-json-data-schema.json",
            "id": msg.header.id,
            "test": False,
            "prepared": (msg.header.prepared or dt.datetime.now(dt.UTC))
            .isoformat()
            .replace("+00:00", "Z"),
            "contentLanguages": ["en"],
            "sender": {"id": AGENCY_ID, "name": "keruen"},
        },
        "data": {
            "structure": {
                "links": [
                    {"urn": flow.urn or sdmx.urn.make(flow), "rel": "dataflow"},
                    {"urn": sdmx.urn.make(catalogue.dsd), "rel": "datastructure"},
                ],
                "name": _name(flow),
                "dimensions": dimensions,
                "attributes": {"dataSet": [], "series": [], "observation": attributes},
            },
            "dataSets": [data_set],
        },
    }
    return json.dumps(document, ensure_ascii=False, allow_nan=False).encode("utf-8")
