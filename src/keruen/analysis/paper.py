"""The paper's stated figures, as the store holds them (Kelinbayeva et al., 2025).

The Migration Committee's and Ministry of Labour's figures exist only as the paper states them;
they are stored in the ``paper_figures`` table (a source of kind ``paper_figures``) and always
shown flagged as stated in the paper.
"""

from __future__ import annotations

import pandas as pd

from keruen.analysis.provenance import source_line
from keruen.store import Store

#: The country the paper analyses.
COUNTRY = "KAZ"
#: The year of the paper's latest figures.
PAPER_YEAR = 2023
#: The comparison group of the paper's CIS figures (CIS members and former members; no Baltics).
GROUP = "cis_and_former"


def paper_source(store: Store) -> list[dict[str, str]]:
    """The provenance line of the paper's stated figures."""
    return source_line(sources_of_kind(store, "paper_figures"))


def sources_of_kind(store: Store, kind: str) -> pd.DataFrame:
    """The stored files of one ``kind`` (e.g. ``paper_figures``), oldest first.

    Asked in SQL, so the report cache records a read of those files only, not of every source.
    """
    return store.con.execute("SELECT * FROM sources WHERE kind = ? ORDER BY source_id", [kind]).df()


def paper_rows(store: Store, measure: str) -> pd.DataFrame:
    """The paper's figures for one measure."""
    figs = store.paper_figures()
    return figs[figs["measure"] == measure].reset_index(drop=True)
