"""Source lines: the provenance that travels with every table and figure of the report."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from keruen.analysis.section import Section, estimates_of


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


def sources_used(sources: pd.DataFrame, sections: Mapping[str, Section]) -> pd.DataFrame:
    """The rows of the store's ``sources`` table behind ``sections``, in store order.

    A row is kept when a section cites its (dataset, vintage), or when it holds one of the
    model estimates the sections carry (matched by sha256); the sources of other countries'
    estimates, or of datasets no section read, are left out.
    """
    cited = {
        (str(s.get("dataset", "")), str(s.get("vintage", "")))
        for sec in sections.values()
        for s in sec.sources
    }
    digests = {e.digest for e in estimates_of(dict(sections))}
    if sources.empty:
        return sources
    pairs = zip(sources["dataset"].astype(str), sources["vintage"].astype(str), strict=True)
    keep = [pair in cited for pair in pairs]
    keep = [k or sha in digests for k, sha in zip(keep, sources["sha256"].astype(str), strict=True)]
    return sources[keep].reset_index(drop=True)
