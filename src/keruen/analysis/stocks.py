"""UN DESA bilateral migrant stocks as the analyses read them (country × country, per period)."""

from __future__ import annotations

import pandas as pd

from keruen.store import Store


def bilateral_stocks(store: Store, period: str) -> pd.DataFrame:
    """UN DESA country-to-country stocks of one period: ``orig, dest, stock`` + provenance."""
    obs = store.observations("UNDESA_IMS", "migrant_stock", period=period)
    obs = obs[obs["counterpart_area"].notna() & (obs["counterpart_area"] != "WLD")]
    return obs.rename(columns={"counterpart_area": "orig", "ref_area": "dest", "value": "stock"})


def bilateral_periods(store: Store) -> set[str]:
    """The periods for which UN DESA country-to-country stocks are held."""
    row = store.con.execute(
        "SELECT list(DISTINCT period) FROM observations WHERE dataset = 'UNDESA_IMS' "
        "AND counterpart_area IS NOT NULL AND counterpart_area <> 'WLD'"
    ).fetchone()
    return set(row[0]) if row and row[0] else set()


def stocks_by_period(store: Store) -> dict[str, pd.DataFrame]:
    """:func:`bilateral_stocks` of every period held, oldest first."""
    periods = sorted(
        store.con.execute(
            "SELECT DISTINCT period FROM observations WHERE dataset = 'UNDESA_IMS' "
            "AND counterpart_area IS NOT NULL AND counterpart_area <> 'WLD'"
        ).df()["period"]
    )
    return {p: bilateral_stocks(store, p) for p in periods}
