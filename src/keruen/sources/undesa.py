"""UN DESA International Migrant Stock: the published workbooks and tidy CSVs → ``UNDESA_IMS``.

The workbook ("UN_MigrantStockByOriginAndDestination_<edition>.xlsx", sheet "Table 1") has
title rows, then a row of sex groups ("... (both sexes)", "(males)", "(females)") above a header
row naming the destination and origin and their M49 "Location code" columns, followed by one
block of year columns per sex. Cells hold numbers or ".." (not available). Observations are
``migrant_stock`` with ref_area = destination, counterpart_area = origin (``WLD`` for all
origins), breakdown ``sex=male`` / ``sex=female`` or none for both sexes. Regional rows (M49
codes without an ISO country) are left out; ".." cells are skipped.

A tidy CSV (columns ``year``, destination, origin, optional ``sex``, value; codes as ISO alpha-3
or M49; e.g. ``year,dest_iso3,origin_iso3,stock``) gives the same observations.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from keruen import settings
from keruen.errors import InputError, SourceError
from keruen.sources.common import (
    Batch,
    NumberError,
    check_input_file,
    content_sha256,
    empty_observations,
    finite_number,
    release_date,
    require_rows,
    today,
)
from keruen.sources.files import read_table, sha256_of
from keruen.sources.http import fetch
from keruen.sources.validate import validate_observations
from keruen.store import Provenance
from keruen.writing import write_bytes

DATASET = "UNDESA_IMS"
MEASURE = "migrant_stock"
PUBLISHER = "United Nations, Department of Economic and Social Affairs, Population Division"
#: Release dates of the editions (first publication); other editions need ``release=``.
RELEASES = {2015: "2015-12-01", 2017: "2017-12-01", 2019: "2019-09-01", 2020: "2020-12-01",
            2024: "2025-01-14"}
#: M49 codes that are not ISO 3166-1 countries but are kept.
M49_EXTRA = {900: "WLD", 830: "CHI"}
_SEX = {"": None, "both": None, "total": None, "both sexes": None, "male": "sex=male",
        "males": "sex=male", "female": "sex=female", "females": "sex=female", "m": "sex=male",
        "f": "sex=female"}
#: Cells meaning "no data" in UN DESA tables (the row is skipped, not stored as zero).
MISSING_MARKERS = {"..", "…", "-", ""}


def m49_to_iso3(code: Any) -> str | None:
    """ISO alpha-3 (or ``WLD``/``CHI``) for an M49 numeric code; None for regions."""
    import pycountry

    try:
        number = int(float(str(code).strip()))
    except ValueError:
        return None
    if number in M49_EXTRA:
        return M49_EXTRA[number]
    country = pycountry.countries.get(numeric=f"{number:03d}")
    return country.alpha_3 if country is not None else None


def _area(code: Any) -> str | None:
    text = str(code).strip()
    if re.fullmatch(r"[A-Z]{3}", text):
        return text
    return m49_to_iso3(text)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _year(value: Any) -> int | None:
    text = _text(value)
    if re.fullmatch(r"\d{4}(\.0)?", text):
        return int(float(text))
    return None


def _find_header(rows: list[tuple[Any, ...]], file: Path) -> tuple[int, int, int]:
    """Index of the header row and of the destination / origin code columns."""
    for i, row in enumerate(rows[:40]):
        cells = [_text(c).lower() for c in row]
        dest = [j for j, c in enumerate(cells) if "code" in c and "destination" in c]
        orig = [j for j, c in enumerate(cells) if "code" in c and "origin" in c]
        if dest and orig:
            return i, dest[0], orig[0]
    raise InputError(
        "not the published International Migrant Stock layout: no header row naming "
        "'Location code of destination' and 'Location code of origin' in the first 40 rows",
        file=file,
        field="header",
    )


def _year_columns(
    header: tuple[Any, ...], groups: tuple[Any, ...] | None
) -> list[tuple[int, int, str | None]]:
    """(column, year, breakdown) for every year column.

    The sex comes from the group row above the header (its labels start at the first year
    column); without labels, the repeated year blocks are read as both sexes, males, females.
    """
    years = [(j, y) for j, c in enumerate(header) if (y := _year(c)) is not None]
    if not years:
        return []
    first = years[0][0]
    labels = [_text(g).lower() if j >= first else "" for j, g in enumerate(groups or ())]
    has_labels = any(labels)
    columns: list[tuple[int, int, str | None]] = []
    label, blocks, previous = "", 0, None
    for j, year in years:
        if has_labels and j < len(labels) and labels[j]:
            label = labels[j]
        if previous is None or year <= previous:
            blocks += 1
        previous = year
        if has_labels:
            sex = "sex=female" if "female" in label else "sex=male" if "male" in label else None
        else:
            sex = (None, "sex=male", "sex=female")[min(blocks, 3) - 1]
        columns.append((j, year, sex))
    return columns


def parse_workbook(path: str | Path, sheet: str | None = None) -> tuple[pd.DataFrame, int | None]:
    """Read a published IMS workbook → (tidy observations, edition year if stated).

    The sheet is streamed with the row / column limits of :mod:`keruen.sources.readers`.
    """
    from keruen.sources.readers import xlsx_rows

    path = Path(path)
    if sheet is None:
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, read_only=True)
            sheet = "Table 1" if "Table 1" in book.sheetnames else None
            book.close()
        except Exception as exc:  # openpyxl and zipfile raise many types for a bad file
            reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise InputError(f"not a readable .xlsx workbook ({reason})", file=path) from None
    stream = xlsx_rows(path, sheet)
    head: list[tuple[int, tuple[Any, ...]]] = []
    for number, cells in stream:  # the title rows and the header, within the first 40 rows
        head.append((number, cells))
        if number >= 40 or _is_header(cells):
            break
    edition = None
    for _, row in head[:10]:
        for cell in row:
            if m := re.search(r"International Migrant Stock (\d{4})", _text(cell)):
                edition = int(m.group(1))
                break
        if edition:
            break
    h, dest_col, orig_col = _find_header([cells for _, cells in head], path)
    header_number = head[h][0]
    groups = head[h - 1][1] if h > 0 and head[h - 1][0] == header_number - 1 else None
    columns = _year_columns(head[h][1], groups)
    if not columns:
        raise InputError("no year columns (1990, 1995, ...) in the header row", file=path,
                         row=header_number, field="header")
    headers = [_text(c) for c in head[h][1]]
    records = []
    for i, row in stream:
        dest = _area(row[dest_col]) if dest_col < len(row) and row[dest_col] is not None else None
        orig = _area(row[orig_col]) if orig_col < len(row) and row[orig_col] is not None else None
        if dest is None or orig is None:
            continue  # a regional row, a note, or a footnote line
        for j, year, sex in columns:
            cell = row[j] if j < len(row) else None
            if cell is None or _text(cell) in MISSING_MARKERS:
                continue
            try:
                value = finite_number(cell, separators=True)
            except NumberError as exc:
                raise InputError(
                    f"invalid value (worksheet row {i}): {exc}; expected a number or '..'",
                    file=path, row=i - header_number,
                    field=(headers[j] if j < len(headers) else "") or f"column {j + 1}",
                ) from None
            records.append(_record(dest, orig, sex, year, value))
    return _frame(records), edition


def _is_header(cells: tuple[Any, ...]) -> bool:
    text = [_text(c).lower() for c in cells]
    return any("code" in c and "destination" in c for c in text) and any(
        "code" in c and "origin" in c for c in text
    )


def _record(dest: str, orig: str, sex: str | None, year: int, value: float) -> dict[str, Any]:
    return {"dataset": DATASET, "measure": MEASURE, "ref_area": dest, "counterpart_area": orig,
            "breakdown": sex, "period": str(year), "value": value, "unit": "persons",
            "obs_status": "A"}


def _frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame.from_records(records) if records else empty_observations()


_CSV_COLUMNS = {
    "year": ("year", "period", "time"),
    "dest": ("dest_iso3", "dest_code", "destination_code", "destination", "ref_area"),
    "orig": ("origin_iso3", "origin_code", "origin", "counterpart_area"),
    "sex": ("sex",),
    "value": ("stock", "migrant_stock", "value"),
}


def parse_csv(path: str | Path) -> pd.DataFrame:
    """Read a tidy IMS CSV (see the module docstring) into observations."""
    path = Path(path)
    table = read_table(path)
    lower = {str(c).strip().lower(): c for c in table.columns}
    found: dict[str, Any] = {}
    for role, names in _CSV_COLUMNS.items():
        found[role] = next((lower[n] for n in names if n in lower), None)
        if found[role] is None and role != "sex":
            raise InputError(f"no {role} column; expected one of {', '.join(names)}",
                             file=path, field=names[0])
    records = []
    for i, row in enumerate(table.itertuples(index=False), start=1):
        values = dict(zip(table.columns, row, strict=True))
        raw = {role: values[col] if col is not None else None for role, col in found.items()}
        dest, orig = _area(raw["dest"] or ""), _area(raw["orig"] or "")
        if dest is None or orig is None:
            continue  # regions
        year = _year(raw["year"])
        if year is None:
            raise InputError(f"invalid year {raw['year']!r}", file=path, row=i, field=found["year"])
        sex_text = _text(raw["sex"]).lower()
        if sex_text not in _SEX:
            raise InputError(f"invalid sex {raw['sex']!r}; expected both, male or female",
                             file=path, row=i, field=found["sex"])
        if _text(raw["value"]) in MISSING_MARKERS:
            continue
        try:
            value = finite_number(raw["value"], separators=True)
        except NumberError as exc:
            raise InputError(f"invalid value: {exc}", file=path, row=i,
                             field=found["value"]) from None
        records.append(_record(dest, orig, _SEX[sex_text], year, value))
    return _frame(records)


def load(path: str | Path, *, release: str | None = None) -> Batch:
    """Parse a workbook (.xlsx) or tidy CSV into a validated batch with provenance."""
    path = check_input_file(path)
    release = release_date(release)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        frame, edition = parse_workbook(path)
    else:
        frame, edition = parse_csv(path), None
    frame = require_rows(validate_observations(frame, path), path)
    if edition is None and not frame.empty:
        edition = int(frame["period"].max())
    if release is None:
        release = RELEASES.get(edition or 0, f"{edition}-12-31")
    prov = Provenance(
        dataset=DATASET,
        vintage=f"IMS {edition} revision" if edition else f"IMS {release}",
        release=release,
        publisher=PUBLISHER,
        file_name=path.name,
        sha256=sha256_of(path),
        title=f"International Migrant Stock {edition or ''}: by destination, origin and sex",
        url="https://www.un.org/development/desa/pd/content/international-migrant-stock",
        licence="CC BY 3.0 IGO",
        notes=f"Imported from {path.name}; ref_area = destination, counterpart_area = origin; "
              f"'..' cells and regional rows left out. content sha256 {content_sha256(frame)[:16]}",
    )
    return Batch(frame, prov)


def update(url: str | None = None, *, release: str | None = None) -> list[Batch]:
    """Download the IMS workbook (setting ``KERUEN_UNDESA_IMS_URL``) and parse it.

    A body that is not a readable workbook in the published layout (truncated, an HTML error
    page, a changed layout) is a :class:`SourceError`; the store is not touched here.
    """
    import tempfile

    url = url or str(settings.get("KERUEN_UNDESA_IMS_URL"))
    resp = fetch(url, label="UN DESA IMS workbook")
    name = url.rsplit("/", 1)[-1] or "ims.xlsx"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / (name if name.endswith(".xlsx") else f"{name}.xlsx")
        write_bytes(path, resp.content)
        try:
            batch = load(path, release=release)
        except InputError as exc:
            raise SourceError(f"{url}: not the expected workbook: {exc.reason}") from None
    return [Batch(batch.frame, replace(batch.provenance, url=url, retrieved=today()))]
