"""Values a publisher writes for "not reported", turned into missing values as a release is read.

The knowledge is data: ``keruen/data/not_reported.toml`` lists, per dataset and measures, the
value that means "not reported" and where that is known from. :func:`mark_frame` (pandas, the
importers) and :func:`mark_staged` (DuckDB, ``keruen load`` and the snapshot) apply the same
rules: such a cell becomes ``value`` empty with ``obs_status`` "M".
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from keruen.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

RULES_FILE = "not_reported.toml"


@dataclass(frozen=True)
class NotReported:
    """One rule: in ``dataset``, a value equal to ``value`` for ``measures`` is not reported."""

    dataset: str
    measures: tuple[str, ...]
    value: float
    why: str
    source: str


@cache
def rules() -> tuple[NotReported, ...]:
    """The rules of ``keruen/data/not_reported.toml``, checked."""
    text = resources.files("keruen.data").joinpath(RULES_FILE).read_text("utf-8")
    try:
        entries = tomllib.loads(text).get("rule", [])
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"unreadable rules ({exc})", file=RULES_FILE) from None
    out = []
    for i, entry in enumerate(entries, start=1):
        try:
            rule = NotReported(
                dataset=str(entry["dataset"]),
                measures=tuple(str(m) for m in entry["measures"]),
                value=float(entry["value"]),
                why=str(entry["why"]),
                source=str(entry["source"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"rule {i} is incomplete ({exc})", file=RULES_FILE, row=i) from None
        out.append(rule)
    return tuple(out)


def mark_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every "not reported" cell made missing (status M); others unchanged."""
    if frame.empty:
        return frame
    hit = None
    for rule in rules():
        match = (
            (frame["dataset"] == rule.dataset)
            & frame["measure"].isin(rule.measures)
            & (frame["value"] == rule.value)
        )
        hit = match if hit is None else hit | match
    if hit is None or not hit.any():
        return frame
    out = frame.copy()
    out["value"] = out["value"].astype("float64").mask(hit)
    out["obs_status"] = out["obs_status"].mask(hit, "M")
    return out


def mark_staged(con: Any, table: str = "observations") -> int:
    """Apply the rules to a staged DuckDB ``table`` in place; returns the cells marked."""
    marked = 0
    for rule in rules():
        marks = ", ".join("?" for _ in rule.measures)
        found = con.execute(
            f"UPDATE {table} SET value = NULL, obs_status = 'M' "
            f"WHERE dataset = ? AND measure IN ({marks}) AND value = ?",
            [rule.dataset, *rule.measures, rule.value],
        ).fetchall()
        marked += int(found[0][0]) if found else 0
    return marked
