"""Kazakhstan's Bureau of National Statistics (BNS): names → codes, and tables downloaded by hand.

:func:`region_code` and :func:`country_code` turn the names BNS and Taldau print (Russian,
Kazakh or English; "г. Астана", "Южно-Казахстанская область"…) into ISO 3166-2:KZ and
ISO 3166-1 alpha-3 codes. :func:`load` imports a CSV or XLSX table given a small TOML mapping
that says which column holds the region, period, value and (optionally) measure, origin
country and sex, e.g.::

    dataset = "KZ_BNS_MIGRATION"
    unit = "persons"
    measure = "migration_arrivals"      # a constant, or name a column below
    [columns]
    region = "Регион"
    period = "Год"
    value = "Прибыло, человек"
    # measure = "Показатель"   counterpart = "Страна"   sex = "Пол"
    [measures]                          # optional: labels in the measure column → codes
    "Прибывшие" = "migration_arrivals"
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from keruen.areas import _reference_rows, name
from keruen.errors import InputError
from keruen.sources.common import (
    Batch,
    check_input_file,
    content_sha256,
    finite_number,
    release_date,
    release_in_file,
    today,
)
from keruen.sources.files import sha256_of
from keruen.sources.validate import CODE_PATTERN, validate_observations
from keruen.store import Provenance
from keruen.store.schema import PERIOD_YEARS

PUBLISHER = "Bureau of National Statistics of the Republic of Kazakhstan"
_STOP = {"г", "город", "city", "қаласы", "каласы", "обл"}
#: Names used in older publications or without a region word.
_REGION_ALIASES = {
    "южно казахстанская область": "KZ-61",
    "south kazakhstan region": "KZ-61",
    "казахстан": "KZ",
    "всего": "KZ",
    "республика казахстан всего": "KZ",
    "kazakhstan": "KZ",
    "нур султан": "KZ-71",
    "астана": "KZ-71",
    "алматы": "KZ-75",
    "шымкент": "KZ-79",
}
_COUNTRY_ALIASES = {
    "россия": "RUS", "российская федерация": "RUS", "киргизия": "KGZ", "кыргызстан": "KGZ",
    "кыргызская республика": "KGZ", "молдова": "MDA", "беларусь": "BLR", "белоруссия": "BLR",
    "таджикистан": "TJK", "туркменистан": "TKM", "туркмения": "TKM", "узбекистан": "UZB",
    "грузия": "GEO", "армения": "ARM", "азербайджан": "AZE", "украина": "UKR",
    "германия": "DEU", "китай": "CHN", "турция": "TUR", "сша": "USA", "монголия": "MNG",
    "латвия": "LVA", "литва": "LTU", "эстония": "EST", "израиль": "ISR", "корея": "KOR",
}
_SEX = {"мужчины": "sex=male", "женщины": "sex=female", "male": "sex=male", "female": "sex=female",
        "ерлер": "sex=male", "әйелдер": "sex=female", "м": "sex=male", "ж": "sex=female"}
_TOTAL = {"", "всего", "оба пола", "total", "both", "барлығы"}
_MISSING = {"", "-", "–", "—", "…", "...", "x", "х", ".."}


def normalise(text: str) -> str:
    """Lower-case words of a place name without punctuation or "г."/"город"."""
    words = re.sub(r"[^\w]+", " ", str(text).lower().replace("ё", "е")).split()
    return " ".join(w for w in words if w not in _STOP)


@cache
def _regions() -> dict[str, str]:
    out = dict(_REGION_ALIASES)
    for row in _reference_rows("kz_regions.csv"):
        out[row["code"].lower()] = row["code"]
        for col in ("name_en", "name_ru", "name_kk"):
            out[normalise(row[col])] = row["code"]
    return out


def region_code(label: Any) -> str | None:
    """ISO 3166-2:KZ code (``KZ`` for the whole country) of a region name or code, or None."""
    text = str(label).strip()
    if re.fullmatch(r"KZ(-\d{2})?", text):
        return text
    return _regions().get(normalise(text))


@cache
def _countries() -> dict[str, str]:
    import pycountry

    out = {}
    for country in pycountry.countries:
        for lang in ("en", "ru", "kk"):
            out[normalise(name(country.alpha_3, lang))] = country.alpha_3  # type: ignore[arg-type]
        out[normalise(country.name)] = country.alpha_3
    out.update(_COUNTRY_ALIASES)
    return out


def country_code(label: Any) -> str | None:
    """ISO alpha-3 code of a country name (Russian, Kazakh or English) or code, or None."""
    text = str(label).strip()
    if re.fullmatch(r"[A-Z]{3}", text):
        return text
    return _countries().get(normalise(text))


def period_of(value: Any) -> str | None:
    """A period from a year, ISO date or "dd.mm.yyyy" cell (or a "2023 год" label).

    None if the cell is none of these, names a day the calendar lacks (``31.02.2023``) or a
    year outside the store's years (:data:`~keruen.store.schema.PERIOD_YEARS`).
    """
    if isinstance(value, pd.Timestamp):
        value = value.date().isoformat()
    text = str(value).strip()
    if m := re.fullmatch(r"(\d{4})(\.0)?(\s*(год|г\.?|жыл))?", text):
        return m.group(1) if PERIOD_YEARS[0] <= int(m.group(1)) <= PERIOD_YEARS[1] else None
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00:00)?", text):
        return _calendar_day(m.group(1), m.group(2), m.group(3))
    if m := re.fullmatch(r"(\d{2})\.(\d{2})\.(\d{4})", text):
        return _calendar_day(m.group(3), m.group(2), m.group(1))
    return None


def _calendar_day(year: str, month: str, day: str) -> str | None:
    """``YYYY-MM-DD`` if it is a day of the calendar (not 31.02.2023), else None."""
    from datetime import date

    try:
        day_ = date(int(year), int(month), int(day))
    except ValueError:
        return None
    return day_.isoformat() if PERIOD_YEARS[0] <= day_.year <= PERIOD_YEARS[1] else None


def number_of(value: Any) -> float | None:
    """A number from a cell written with separators; None for "-", "…".

    BNS tables print "1 234 567" and "98 765,0": read by the one rule of
    :func:`~keruen.sources.common.finite_number` (``separators=True``), as Taldau and UN DESA
    cells are; a cell that is not a number (``true``, ``1_000``, ``inf``, ``1e309``, the
    ambiguous "1,500") raises :class:`ValueError` saying why.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().replace("\u00a0", " ")
        if text.lower() in _MISSING:
            return None
        return finite_number(text, separators=True)
    return finite_number(value)


#: Mapping keys and what each must hold.
_MAPPING_KEYS = {
    "dataset", "title", "unit", "release", "sheet", "header_row", "separator", "encoding",
    "measure", "measures", "columns", "url", "licence",
}


def _read(path: Path, mapping: dict[str, Any]) -> pd.DataFrame:
    """The table as text cells, its header on row ``header_row`` (1-based)."""
    from keruen.sources.readers import check_header_names, limits, scan_csv, xlsx_rows

    header = int(mapping.get("header_row", 1))
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        head: tuple[Any, ...] | None = None
        rows: list[tuple[Any, ...]] = []
        numbers: list[int] = []
        for number, cells in xlsx_rows(path, mapping.get("sheet", 0)):
            if number < header:
                continue
            if number == header:
                head = cells
                continue
            rows.append(cells)
            numbers.append(number - header)
        if head is None:
            raise InputError(f"no header on row {header} (header_row)", file=path,
                             field="header_row")
        names = [str(c).strip() if c is not None else f"column {j + 1}"
                 for j, c in enumerate(head)]
        check_header_names(path, names, header)
        width = len(names)
        ragged = next((n for n, r in zip(numbers, rows, strict=True) if len(r) > width), None)
        if ragged is not None:
            raise InputError("the row has more cells than the header", file=path, row=ragged,
                             field=f"column {width + 1}")
        table = pd.DataFrame([r + (None,) * (width - len(r)) for r in rows], columns=names,
                             dtype=object)
        table.attrs["rows"] = numbers
        _refuse_unsaved_formulas(path, mapping, table, header)
        return table
    import csv

    max_rows, _ = limits()
    options: dict[str, Any] = {
        "sep": mapping.get("separator", ","), "encoding": mapping.get("encoding", "utf-8"),
    }
    try:
        scan_csv(path, header_row=header, sep=options["sep"], encoding=options["encoding"])
        return pd.read_csv(path, header=header - 1, dtype=str, keep_default_na=False,
                           nrows=max_rows, **options)
    except InputError:
        raise
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not {options['encoding']} text (byte {exc.start}); set encoding in the mapping",
            file=path, field="encoding") from None
    except pd.errors.EmptyDataError:
        raise InputError("the file is empty", file=path) from None
    except (ValueError, OSError, pd.errors.ParserError, csv.Error) as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise InputError(f"cannot read the table ({reason})", file=path) from None


def _refuse_unsaved_formulas(path: Path, mapping: dict[str, Any], table: pd.DataFrame,
                             header: int) -> None:
    """Refuse a formula cell of a mapped column saved without its result (it reads as empty).

    Only when a mapped column has empty cells is the sheet read a second time, formulas shown.
    """
    from keruen.sources.readers import xlsx_rows

    wanted = [c for c in mapping["columns"].values() if c in table.columns]
    empty = {(n, c) for c in wanted for n, v in zip(table.attrs["rows"], table[c], strict=True)
             if v is None}
    if not empty:
        return
    position = {c: list(table.columns).index(c) for c in wanted}
    for number, cells in xlsx_rows(path, mapping.get("sheet", 0), formulas=True):
        row = number - header
        for column in wanted:
            j = position[column]
            cell = cells[j] if j < len(cells) else None
            if (row, column) in empty and cell is not None:
                raise InputError(
                    f"a formula ({str(cell)[:60]!r}) saved without its result; open the "
                    "workbook in a spreadsheet and save it (or paste the values)",
                    file=path, row=row, field=column)


def read_mapping(path: str | Path) -> dict[str, Any]:
    """Read and check a mapping file (see the module docstring)."""
    import codecs

    path = Path(path)
    try:
        mapping = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)[:200]
        raise InputError(f"unreadable mapping ({reason})", file=path) from None
    unknown = sorted(set(mapping) - _MAPPING_KEYS)
    if unknown:
        raise InputError(f"unknown key {unknown[0]!r}; known: {', '.join(sorted(_MAPPING_KEYS))}",
                         file=path, field=unknown[0])
    columns = mapping.get("columns")
    if not isinstance(columns, dict):
        raise InputError("the mapping needs a [columns] table", file=path, field="columns")
    for key in ("region", "period", "value"):
        if key not in columns:
            raise InputError(f"[columns] must name the {key} column", file=path, field=key)
    for role, column in columns.items():
        if not isinstance(column, str) or not column.strip():
            raise InputError(f"[columns] {role} must be a column name (text)", file=path,
                             field=f"columns.{role}")
    if "measure" not in columns and "measure" not in mapping:
        raise InputError(
            "give a constant measure or a [columns] measure", file=path, field="measure"
        )
    for key in ("dataset", "measure"):
        if key in mapping and not re.fullmatch(CODE_PATTERN, str(mapping[key])):
            raise InputError(f"invalid {key} {str(mapping[key])[:80]!r}; use letters, digits "
                             "and _ . : = + -", file=path, field=key)
    measures = mapping.get("measures", {})
    if not isinstance(measures, dict) or not all(
        isinstance(v, str) and re.fullmatch(CODE_PATTERN, v) for v in measures.values()
    ):
        raise InputError('[measures] must be a table of "label" = "code" pairs (codes of '
                         "letters, digits and _ . : = + -)", file=path, field="measures")
    header = mapping.get("header_row", 1)
    if isinstance(header, bool) or not isinstance(header, int) or not 1 <= header <= 1000:
        raise InputError(f"header_row must be a whole number from 1 to 1000, got {header!r:.40}",
                         file=path, field="header_row")
    encoding = mapping.get("encoding", "utf-8")
    try:
        if not isinstance(encoding, str):
            raise LookupError
        codecs.lookup(encoding)
        "a".encode(encoding)  # a text encoding: rot13 or base64 are codecs but not encodings
    except LookupError:
        raise InputError(f"unknown encoding {str(encoding)[:40]!r} (e.g. utf-8, cp1251)",
                         file=path, field="encoding") from None
    separator = mapping.get("separator", ",")
    if not isinstance(separator, str) or len(separator) != 1 or separator in "\"\r\n":
        raise InputError(f"separator must be one character such as , or ; (got {separator!r:.20})",
                         file=path, field="separator")
    sheet = mapping.get("sheet", 0)
    if isinstance(sheet, bool) or not isinstance(sheet, (str, int)):
        raise InputError("sheet must be a sheet name or a 0-based number", file=path,
                         field="sheet")
    for key in ("title", "unit", "url", "licence"):
        if key in mapping and not isinstance(mapping[key], str):
            raise InputError(f"{key} must be text", file=path, field=key)
    if "release" in mapping:
        mapping["release"] = release_in_file(mapping["release"], path)
    return mapping


def parse_table(path: str | Path, mapping: dict[str, Any]) -> pd.DataFrame:
    """A BNS table → tidy observations, following ``mapping``."""
    path = Path(path)
    table = _read(path, mapping)
    columns: dict[str, str] = mapping["columns"]
    for role, column in columns.items():
        if column not in table.columns:
            raise InputError(
                f"the mapping names a {role} column {column!r} that the table lacks; its "
                f"columns: {', '.join(map(str, table.columns))}", file=path, field=column)
    records = []
    kept: list[int] = []
    numbers = table.attrs.get("rows") or range(1, len(table) + 1)
    for i, row in zip(numbers, table.to_dict("records"), strict=True):
        def fail(role: str, what: str, _i: int = i, _row: dict[str, Any] = row) -> InputError:
            return InputError(f"{what} {str(_row[columns[role]])[:80]!r}", file=path, row=_i,
                              field=columns[role])

        if all(pd.isna(v) or str(v).strip() == "" for v in row.values()):
            continue
        region = region_code(row[columns["region"]])
        if region is None:
            raise fail("region", "unknown region (expected a Kazakh region name or KZ-xx code)")
        period = period_of(row[columns["period"]])
        if period is None:
            raise fail("period", "invalid period (expected a year, YYYY-MM-DD or dd.mm.yyyy: a "
                       f"real calendar day, years {PERIOD_YEARS[0]}-{PERIOD_YEARS[1]})")
        try:
            value = number_of(row[columns["value"]])
        except ValueError as exc:
            raise InputError(f"invalid number: {exc}", file=path, row=i,
                             field=columns["value"]) from None
        if value is None:
            continue
        measure = mapping.get("measure")
        if "measure" in columns:
            label = str(row[columns["measure"]]).strip()
            measure = mapping.get("measures", {}).get(label, label)
            if not isinstance(measure, str):
                raise fail("measure", "measure label without a code in [measures]")
            if not re.fullmatch(CODE_PATTERN, measure):
                raise fail("measure", "measure label without a code in [measures]")
        counterpart = None
        if "counterpart" in columns:
            counterpart = country_code(row[columns["counterpart"]])
            if counterpart is None:
                raise fail("counterpart", "unknown country")
        breakdown = None
        if "sex" in columns:
            sex = str(row[columns["sex"]]).strip().lower()
            if sex not in _TOTAL:
                breakdown = _SEX.get(sex)
                if breakdown is None:
                    raise fail("sex", "unknown sex label")
        records.append({
            "dataset": mapping.get("dataset", "KZ_BNS"), "measure": measure, "ref_area": region,
            "counterpart_area": counterpart, "breakdown": breakdown, "period": period,
            "value": value, "unit": mapping.get("unit"), "obs_status": "A",
        })
        kept.append(int(i))
    if not records:
        raise InputError("no values: the table has no data row with a value; an empty "
                         "release is not stored", file=path, field=columns["value"])
    frame = pd.DataFrame.from_records(records)
    frame.attrs["rows"] = kept
    return frame


def load(path: str | Path, mapping_path: str | Path, *, release: str | None = None) -> Batch:
    """Import a BNS table with its mapping; one batch whose vintage is the file."""
    path = check_input_file(path)
    release = release_date(release)
    mapping = read_mapping(mapping_path)
    frame = validate_observations(parse_table(path, mapping), path)
    release = release or str(mapping.get("release") or today())
    dataset = str(mapping.get("dataset", "KZ_BNS"))
    prov = Provenance(
        dataset=dataset, vintage=f"BNS {path.stem} {release}", release=release,
        publisher=PUBLISHER, file_name=path.name, sha256=sha256_of(path),
        title=str(mapping.get("title", f"BNS table {path.name}")),
        url=str(mapping.get("url", "https://stat.gov.kz")), licence=str(mapping.get("licence", "")),
        retrieved=today(),
        notes=f"Imported by hand with mapping {Path(mapping_path).name}; "
              f"content sha256 {content_sha256(frame)[:16]}",
    )
    return Batch(frame, prov)
