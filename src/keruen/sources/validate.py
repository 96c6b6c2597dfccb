"""Validation of tidy tables before they reach the store.

Schemas are pandera ``DataFrameSchema`` objects; a failure becomes one :class:`InputError`
naming the file, the first offending data row (1-based, header excluded) and the field, with
the bad value and what was expected.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pandas as pd

from keruen.areas import is_known
from keruen.errors import InputError
from keruen.store.schema import OBS_STATUS, OBSERVATION_COLUMNS, PAPER_COLUMNS

#: Periods: a year, year-month, date, quarter, or a year range (e.g. 2010-2023).
PERIOD_PATTERN = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?|-Q[1-4]|-\d{4})?$"
#: Text codes: letters, digits and a few separators (no spaces at the ends).
CODE_PATTERN = r"^[A-Za-z0-9_.:=+\-]+$"


def _matching(pattern: str):  # type: ignore[no-untyped-def]
    """A vectorised pandera check: cells match ``pattern`` (each distinct value tried once)."""
    from pandera.pandas import Check

    regex = re.compile(pattern)

    def check(values: pd.Series) -> pd.Series:
        distinct = pd.unique(values.dropna())
        good = {v for v in distinct if isinstance(v, str) and regex.match(v)}
        return values.isna() | values.isin(good)

    return Check(check, element_wise=False, error=f"matches {pattern}")


def _known_codes(codes: pd.Series) -> pd.Series:
    """Element-wise "is a known area code", looking each distinct code up once."""
    distinct = pd.unique(codes.dropna())
    known = {c for c in distinct if isinstance(c, str) and is_known(c)}
    return codes.isin(known)


@cache
def _observation_schema():  # type: ignore[no-untyped-def]
    from pandera.pandas import Check, Column, DataFrameSchema

    known_area = Check(_known_codes, element_wise=False, error="known area code")
    optional_area = Check(
        lambda s: s.isna() | _known_codes(s), error="known area code or empty"
    )
    return DataFrameSchema(
        {
            "dataset": Column(str, _matching(CODE_PATTERN)),
            "measure": Column(str, _matching(CODE_PATTERN)),
            "ref_area": Column(str, known_area),
            "counterpart_area": Column(str, optional_area, nullable=True),
            "breakdown": Column(str, _matching(CODE_PATTERN), nullable=True),
            "period": Column(str, _matching(PERIOD_PATTERN)),
            "value": Column(float, nullable=True, coerce=True),
            "unit": Column(str, nullable=True),
            "obs_status": Column(str, Check.isin(list(OBS_STATUS))),
        },
        strict=True,
        ordered=False,
    )


@cache
def _paper_schema():  # type: ignore[no-untyped-def]
    from pandera.pandas import Column, DataFrameSchema

    return DataFrameSchema(
        {
            "measure": Column(str, _matching(CODE_PATTERN)),
            "ref_area": Column(str),
            "counterpart_area": Column(str, nullable=True),
            "period": Column(str),
            "value": Column(float, coerce=True),
            "unit": Column(str, nullable=True),
            "original_source": Column(str, nullable=True),
            "where_in_paper": Column(str, nullable=True),
        },
        strict=True,
        ordered=False,
    )


_EXPECTED = {
    "period": "a period such as 2023, 2023-01, 2023-01-01, 2023-Q1 or 2010-2023",
    "obs_status": f"one of {', '.join(OBS_STATUS)} ({', '.join(OBS_STATUS.values())})",
    "value": "a number (or empty for a missing value)",
    "ref_area": "an ISO 3166-1 alpha-3, ISO 3166-2:KZ or World Bank aggregate code",
    "counterpart_area": "an ISO 3166-1 alpha-3, ISO 3166-2:KZ or World Bank aggregate code",
}


def _check_columns(frame: pd.DataFrame, required: tuple[str, ...], file: str | Path) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; the file has "
            f"{', '.join(map(str, frame.columns)) or 'no columns'}; "
            f"required: {', '.join(required)}",
            file=file,
            field=missing[0],
        )
    extra = [c for c in frame.columns if c not in required]
    if extra:
        raise InputError(
            f"unexpected column(s) {', '.join(map(str, extra))}; allowed: {', '.join(required)}",
            file=file,
            field=str(extra[0]),
        )


def _validate(
    frame: pd.DataFrame, schema, columns: tuple[str, ...], file: str | Path
) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    import pandera.errors

    _check_columns(frame, columns, file)
    frame = frame.reset_index(drop=True)
    try:
        return schema.validate(frame, lazy=True)  # type: ignore[no-any-return]
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases.dropna(subset=["index"]).copy()
        if cases.empty:
            first = exc.failure_cases.iloc[0]
            raise InputError(f"{first['check']}", file=file, field=str(first["column"])) from None
        cases["index"] = cases["index"].astype(int)
        first = cases.sort_values(["index"]).iloc[0]
        column = str(first["column"])
        expected = _EXPECTED.get(column, str(first["check"]))
        raise InputError(
            f"invalid value {first['failure_case']!r}; expected {expected}",
            file=file,
            row=int(first["index"]) + 1,
            field=column,
        ) from None


def validate_observations(frame: pd.DataFrame, file: str | Path) -> pd.DataFrame:
    """Check a tidy observation table; returns it with ``value`` as float."""
    out = _validate(frame, _observation_schema(), OBSERVATION_COLUMNS, file)
    key = list(OBSERVATION_COLUMNS[:6])
    dup = out.duplicated(subset=key, keep="first")
    if dup.any():
        row = int(dup.to_numpy().nonzero()[0][0])
        raise InputError(
            "duplicate observation: the same dataset, measure, areas, breakdown and period "
            f"appear twice (first at row {int(out.loc[dup.idxmax()].name) + 1})",
            file=file,
            row=row + 1,
            field="period",
        )
    missing_value = out["value"].isna() & (out["obs_status"] != "M")
    if missing_value.any():
        row = int(missing_value.to_numpy().nonzero()[0][0])
        raise InputError(
            "empty value; a missing value must carry obs_status 'M'",
            file=file,
            row=row + 1,
            field="value",
        )
    return out[list(OBSERVATION_COLUMNS)]


def validate_paper_figures(frame: pd.DataFrame, file: str | Path) -> pd.DataFrame:
    """Check a table of figures stated in a publication (see ``store.schema.PAPER_COLUMNS``)."""
    return _validate(frame, _paper_schema(), PAPER_COLUMNS, file)[list(PAPER_COLUMNS)]
