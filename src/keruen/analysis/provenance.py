"""Source lines: the provenance that travels with every table and figure of the report."""

from __future__ import annotations

import pandas as pd


def source_line(frame: pd.DataFrame) -> list[dict[str, str]]:
    """The distinct (publisher, dataset, vintage, licence, url) behind the rows of ``frame``."""
    cols = [c for c in ("publisher", "dataset", "vintage", "licence", "url") if c in frame]
    if not cols or frame.empty:
        return []
    distinct = frame[cols].drop_duplicates().fillna("")
    return [dict(zip(cols, map(str, row), strict=True)) for row in distinct.itertuples(index=False)]


def merge_sources(*lists: list[dict[str, str]]) -> list[dict[str, str]]:
    """Concatenate source lists, keeping each distinct source once, in order."""
    seen: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
    for items in lists:
        for item in items:
            seen.setdefault(tuple(sorted(item.items())), item)
    return list(seen.values())
