"""The World Bank's WDI bulk download (``WDIData.csv`` / ``WDICSV.csv``) → tidy ``WB_WDI`` rows.

One row per economy × indicator, one column per year. Every cell the file holds is either
stored or refused: a header naming a year twice, a NUL byte in a cell, a year outside the
store's years (:data:`keruen.store.schema.PERIOD_YEARS`), a row wider than the header, a value
that is not a finite plain number and a file without one value are each an :class:`InputError`
naming the file, the data row and the field (the year column); nothing is stored then.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from keruen.areas import is_known
from keruen.errors import InputError
from keruen.sources.common import (
    PLAIN_NUMBER,
    Batch,
    NumberError,
    check_input_file,
    finite_number,
    release_date,
    today,
)
from keruen.sources.worldbank import (
    DATASET,
    LICENCE,
    PUBLISHER,
    IndicatorMetadata,
    is_aggregate,
    unit_of,
)
from keruen.store import Provenance
from keruen.store.schema import PERIOD_YEARS

BULK_ID_COLUMNS = ("Country Name", "Country Code", "Indicator Name", "Indicator Code")


def _check_header(path: Path, header: list[str]) -> None:
    """Refuse a header naming a column twice (a table reader keeps one) or a year out of range."""
    seen: dict[str, int] = {}
    for j, name in enumerate(header, start=1):
        key = name.strip()
        if key and key in seen:
            raise InputError(
                f"the header names column {key[:40]!r} twice (columns {seen[key]} and {j}); "
                "one of them would be lost", file=path, field=key[:40])
        seen[key] = j
        if "\x00" in name:
            raise InputError("the header holds a NUL byte (binary data, not a text table)",
                             file=path, field=f"column {j}")
        if re.fullmatch(r"\d{4}", key) and not PERIOD_YEARS[0] <= int(key) <= PERIOD_YEARS[1]:
            raise InputError(
                f"the header names year {key}, outside the years the store holds "
                f"({PERIOD_YEARS[0]}-{PERIOD_YEARS[1]})", file=path, field=key)


def _scan_bulk_csv(path: Path) -> list[str]:
    """The header of a WDI bulk CSV, after checking every row's cells and the size limits.

    A row with more cells than the header would silently lose them in a table reader, and a
    NUL byte would cut a cell short there: each is an :class:`InputError` naming the row and
    the field.
    """
    import csv

    from keruen.sources.readers import check_csv_width, limits

    max_rows, _ = limits()
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise InputError("the file is empty (no header row)", file=path)
            check_csv_width(path, len(header))
            _check_header(path, header)
            rows = 0
            for rows, cells in enumerate(reader, start=1):
                if rows > max_rows:
                    raise InputError(f"more than KERUEN_INPUT_MAX_ROWS={max_rows} rows",
                                     file=path)
                if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
                    raise InputError(
                        f"the row has {len(cells)} cells but the header names {len(header)}; "
                        "its extra cells would be lost",
                        file=path, row=rows, field=f"column {len(header) + 1}",
                    )
                for j, cell in enumerate(cells):
                    if "\x00" in cell:
                        raise InputError(
                            f"a NUL byte in the cell {cell[:40]!r} (binary data, not text)",
                            file=path, row=rows, field=header[j] if j < len(header) else
                            f"column {j + 1}")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=path) from None
    except csv.Error as exc:
        raise InputError(f"malformed CSV ({str(exc)[:200]})", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", file=path) from None
    if rows == 0:
        raise InputError("the file has a header but no data rows", file=path, row=1)
    return header


def _bulk_values(wide: pd.DataFrame, years: list[str], path: Path) -> pd.DataFrame:
    """The year columns as floats; a cell that is not a finite plain number names its place."""
    out = {}
    for year in years:
        text = wide[year].fillna("").astype(str).str.strip()
        filled = text != ""
        plain = text.str.fullmatch(PLAIN_NUMBER.pattern)
        bad = filled & ~plain
        numbers = pd.to_numeric(text.where(filled & plain, None), errors="coerce")
        bad |= filled & plain & ~numbers.abs().lt(float("inf"))
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            try:
                finite_number(text.iloc[row])
                reason = f"{text.iloc[row]!r} is not a number"
            except NumberError as exc:
                reason = str(exc)
            raise InputError(f"invalid value: {reason}", file=path, row=row + 1, field=year)
        out[year] = numbers.where(filled, None).astype("float64")
    return pd.DataFrame(out, index=wide.index)


def parse_bulk_csv(path: str | Path, *, include_aggregates: bool = False) -> pd.DataFrame:
    """The WDI bulk CSV (one row per country × indicator, one column per year) → tidy rows.

    Empty cells are left out (the file has no other marker of missing data). Unknown or empty
    economy codes, values that are not finite plain numbers (``1_000``, ``inf``, ``1e309``),
    rows with more cells than the header, a year named twice, a NUL byte and a file without a
    single value raise :class:`InputError` naming the row and field; aggregates are left out
    unless asked for. ``attrs["rows"]`` holds each tidy row's data row in the file.
    """
    path = check_input_file(path)
    columns = _scan_bulk_csv(path)
    missing = [c for c in BULK_ID_COLUMNS if c not in columns]
    if missing:
        raise InputError(f"not the WDI bulk layout: no column {missing[0]!r}", file=path,
                         field=missing[0])
    years = [c for c in columns if re.fullmatch(r"\d{4}", str(c))]
    if not years:
        raise InputError("not the WDI bulk layout: no year columns", file=path, field="1960")
    try:
        wide = pd.read_csv(path, usecols=[*BULK_ID_COLUMNS, *years], dtype=str,
                           keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"malformed CSV ({str(exc)[:200]})", file=path) from None
    values = _bulk_values(wide, years, path)
    codes = wide["Country Code"].fillna("").astype(str).str.strip()
    if (codes == "").any():
        row = int((codes == "").to_numpy().nonzero()[0][0]) + 1
        raise InputError("empty economy code", file=path, row=row, field="Country Code")
    for column in ("Indicator Code",):
        empty = wide[column].fillna("").astype(str).str.strip() == ""
        if empty.any():
            raise InputError("empty indicator code", file=path,
                             row=int(empty.to_numpy().nonzero()[0][0]) + 1, field=column)
    known = {c: (is_aggregate(c), is_known(c)) for c in codes.unique()}
    bad = [c for c, (_, ok) in known.items() if not ok]
    if bad:
        row = int((codes == bad[0]).to_numpy().nonzero()[0][0]) + 1
        raise InputError(f"unknown economy code {bad[0][:40]!r}", file=path, row=row,
                         field="Country Code")
    wide = pd.concat([wide[["Indicator Name", "Indicator Code"]].fillna(""),
                      codes.rename("Country Code"), values], axis=1)
    if not include_aggregates:
        wide = wide[~codes.map(lambda c: known[c][0])]
    long = wide.melt(id_vars=["Country Code", "Indicator Name", "Indicator Code"],
                     value_vars=years, var_name="period", value_name="value", ignore_index=False)
    long = long[long["value"].notna()]
    if long.empty:
        raise InputError("no values: every year cell is empty (or holds an aggregate left "
                         "out); an empty release is not stored", file=path, field=years[0])
    units = {name: unit_of(IndicatorMetadata("", name, "", "", "", ""))
             for name in long["Indicator Name"].unique()}
    frame = pd.DataFrame({
        "dataset": DATASET,
        "measure": long["Indicator Code"].astype(object).to_numpy(),
        "ref_area": long["Country Code"].astype(object).to_numpy(),
        "counterpart_area": None,
        "breakdown": None,
        "period": long["period"].astype(object).to_numpy(),
        "value": long["value"].to_numpy(),
        "unit": long["Indicator Name"].map(units).astype(object).replace("", None).to_numpy(),
        "obs_status": "A",
    })
    frame.attrs["rows"] = [int(i) + 1 for i in long.index]
    return frame


def load_bulk_csv(path: str | Path, *, release: str, include_aggregates: bool = False) -> Batch:
    """Parse and validate a WDI bulk CSV into one batch (vintage ``WDI bulk <release>``)."""
    from keruen.sources.files import sha256_of
    from keruen.sources.validate import validate_observations

    path = Path(path)
    release = str(release_date(release))
    frame = validate_observations(parse_bulk_csv(path, include_aggregates=include_aggregates), path)
    prov = Provenance(
        dataset=DATASET, vintage=f"WDI bulk {release}", release=release, publisher=PUBLISHER,
        file_name=path.name, sha256=sha256_of(path),
        title="World Development Indicators (bulk CSV)",
        url="https://databank.worldbank.org/data/download/WDI_CSV.zip", licence=LICENCE,
        retrieved=today(), notes="Imported from the bulk CSV; empty cells left out.",
    )
    return Batch(frame, prov)
