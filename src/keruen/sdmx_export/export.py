"""``keruen export --sdmx DIR``: the messages the SDMX service answers, written to files.

``DIR/structure.xml`` holds every structure (dataflows, the data structure, code lists,
concepts), ``DIR/DSD_KERUEN.xsd`` the structure-specific schema of the data, and
``DIR/data/<DATAFLOW>.xml|.csv|.json`` each dataflow's data (SDMX-ML 2.1 structure-specific,
SDMX-CSV 1.0, SDMX-JSON 1.0): the same bytes as ``/sdmx/2.1/…`` would send, without the
service's bound on the number of observations.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from keruen.errors import ConfigError
from keruen.sdmx_export import service
from keruen.sdmx_export.errors import SdmxNoResults
from keruen.sdmx_export.schema import dsd_schema
from keruen.sdmx_export.structures import DSD_ID, build_catalogue
from keruen.writing import ensure_dir, write_bytes

if TYPE_CHECKING:
    from keruen.store import Store

#: File suffix → the ``format`` the service takes.
FORMATS: dict[str, str] = {"xml": "structurespecificdata", "csv": "csvdata", "json": "jsondata"}


def export(
    store: Store,
    directory: Path,
    flows: Sequence[str] = (),
    formats: Sequence[str] = tuple(FORMATS),
) -> list[Path]:
    """Write the structures, the schema and each dataflow's data; the files written."""
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ConfigError(f"unknown format {bad[0]!r}; choose from {', '.join(FORMATS)}")
    catalogue = build_catalogue(store)
    unknown = [f for f in flows if f not in catalogue.flows]
    if unknown:
        raise ConfigError(
            f"no dataflow {unknown[0]!r}; held: {', '.join(catalogue.flows) or 'none'}"
        )
    data_dir = directory / "data"
    ensure_dir(data_dir, root=directory)
    written = []
    answer = service.structures(catalogue, "datastructure", references="all")
    written.append(_write(directory, "structure.xml", answer.body))
    written.append(_write(directory, f"{DSD_ID}.xsd", dsd_schema(catalogue)))
    for flow in flows or list(catalogue.flows):
        try:
            q, msg = service.data_message(store, catalogue, flow)
        except SdmxNoResults:
            continue  # a dataflow whose figures have no SDMX time period
        for suffix in formats:
            answer = service.render(catalogue, q, msg, FORMATS[suffix])
            written.append(_write(directory, f"data/{flow}.{suffix}", answer.body))
    return written


def _write(root: Path, relative: str, body: bytes) -> Path:
    """Write ``body`` to ``root/relative`` whole, replacing links (see keruen.writing)."""
    path = root / relative
    write_bytes(path, body, root=root)
    return path
