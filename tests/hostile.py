"""Builders of small input files for every ingest path, with one chosen cell set to a value.

Each builder writes a valid file around ``value`` (text written as is) so that a test can put
a hostile value (inf, "1,500", "=1+1", "<script>", a NUL byte...) exactly where a number, a
code or a label is read, and know which data row and field an error must name. The files are
SYNTHETIC (made here); their numbers mean nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.fakeserver import DATA

SDMX_XML = (DATA / "sdmx" / "ilostat_generic.xml").read_text("utf-8")
TALDAU_JSON = DATA / "taldau" / "migration_arrivals_by_region.json"
BNS_MAPPING = """
dataset = "KZ_BNS_MIGRATION"
unit = "persons"
release = "2024-03-15"
measure = "migration_arrivals"
[columns]
region = "Region"
period = "Year"
value = "Value"
"""
TIDY_HEADER = "dataset,measure,ref_area,counterpart_area,breakdown,period,value,unit,obs_status"


def sdmx_file(folder: Path, value: str) -> Path:
    """An SDMX-ML generic message whose FIRST observation value is ``value`` (observation 1)."""
    escaped = value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    first = '<generic:ObsValue value="12.5"'
    text = SDMX_XML.replace(first, f'<generic:ObsValue value="{escaped}"', 1)
    path = folder / "ilostat_hostile.xml"
    path.write_text(text, "utf-8")
    return path


def taldau_file(folder: Path, value: Any, raw: str | None = None) -> Path:
    """A Taldau answer whose first row's first period value is ``value`` (row 1, periods[0]).

    ``raw``: JSON text written in place of the value (e.g. ``Infinity`` or ``1e999``).
    """
    payload = json.loads(TALDAU_JSON.read_text("utf-8"))
    payload[0]["periods"][0]["value"] = "__HOSTILE__" if raw is not None else value
    text = json.dumps(payload, ensure_ascii=False)
    if raw is not None:
        text = text.replace('"__HOSTILE__"', raw)
    path = folder / "migration_arrivals_by_region.json"
    path.write_text(text, "utf-8")
    return path


def wdi_file(folder: Path, value: str, *, code: str = "KAZ", extra: str = "") -> Path:
    """A WDI bulk CSV whose second data row's 2021 cell is ``value`` (row 2, field 2021)."""
    lines = [
        "Country Name,Country Code,Indicator Name,Indicator Code,2020,2021",
        "Kazakhstan,KAZ,Population (people),SP.POP.TOTL,19000000,19200000",
        f"Somewhere,{code},Population (people),SP.POP.TOTL,5000,{value}{extra}",
    ]
    path = folder / "WDIData.csv"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def bns_files(folder: Path, value: str, *, mapping: str = BNS_MAPPING) -> tuple[Path, Path]:
    """A BNS CSV whose second data row's value is ``value`` (row 2, field Value), and a mapping."""
    table = folder / "bns_table.csv"
    cell = '"' + value.replace('"', '""') + '"'
    table.write_text(
        f"Region,Year,Value\nг. Астана,2023,1 234\nАкмолинская область,2023,{cell}\n", "utf-8"
    )
    path = folder / "mapping.toml"
    path.write_text(mapping, "utf-8")
    return table, path


def undesa_file(folder: Path, value: str) -> Path:
    """A tidy IMS CSV whose second data row's stock is ``value`` (row 2, field stock)."""
    cell = '"' + value.replace('"', '""') + '"'
    path = folder / "ims_tidy.csv"
    path.write_text(
        f"year,dest_iso3,origin_iso3,stock\n2020,KAZ,UZB,100\n2020,RUS,KAZ,{cell}\n", "utf-8"
    )
    return path


def tidy_csv(folder: Path, *, value: str = "1", measure: str = "m1", unit: str = "persons",
             dataset: str = "ADV") -> Path:
    """A tidy CSV for ``keruen load`` whose second data row carries the given cells."""
    def q(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    path = folder / "tidy.csv"
    path.write_text(
        f"{TIDY_HEADER}\n{dataset},m1,KAZ,,,2020,5,persons,A\n"
        f"{q(dataset)},{q(measure)},KAZ,,,2021,{q(value)},{q(unit)},A\n",
        "utf-8",
    )
    return path


def wb_page(value: Any, *, lastupdated: str = "2099-01-01") -> str:
    """A one-page World Bank answer whose KAZ 2020 value is ``value`` (raw JSON if a str)."""
    header = {"page": 1, "pages": 1, "per_page": 1000, "total": 2, "sourceid": "2",
              "lastupdated": lastupdated}
    rows = [
        {"indicator": {"id": "SM.POP.TOTL", "value": "International migrant stock, total"},
         "country": {"id": "KZ", "value": "Kazakhstan"}, "countryiso3code": "KAZ",
         "date": "2020", "value": "__HOSTILE__", "unit": "", "obs_status": "", "decimal": 0},
        {"indicator": {"id": "SM.POP.TOTL", "value": "International migrant stock, total"},
         "country": {"id": "UZ", "value": "Uzbekistan"}, "countryiso3code": "UZB",
         "date": "2020", "value": 1000, "unit": "", "obs_status": "", "decimal": 0},
    ]
    text = json.dumps([header, rows])
    raw = value if isinstance(value, str) and re.fullmatch(r"[-+0-9.eE]+|-?Infinity|NaN", value) \
        else json.dumps(value)
    return text.replace('"__HOSTILE__"', raw)
