"""Missing is missing: a country or year without data is never drawn, ranked or listed as zero.

The World Development Indicators store an exact 0 for remittances of economies that publish no
balance of payments (Turkmenistan); no reporting economy has exactly zero personal
remittances, so a zero remittance value is treated as "not reported" alongside empty values.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


def reported(frame: pd.DataFrame, column: str = "value") -> pd.DataFrame:
    """Rows of ``frame`` whose ``column`` is a reported value (not empty, not a 0 placeholder)."""
    if frame.empty:
        return frame
    keep = frame[column].notna() & (frame[column] != 0)
    return frame[keep].reset_index(drop=True)


def not_reported(members: Iterable[str], held: pd.DataFrame, column: str = "ref_area") -> list[str]:
    """Members of a group with no row in ``held``: to be listed as "not reported", not ranked."""
    present = set(held[column]) if len(held) else set()
    return sorted(set(members) - present)
