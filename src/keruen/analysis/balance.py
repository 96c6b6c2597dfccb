"""The migration balance (UN WPP 2024) beside the remittance balance, for any country.

Sign convention of the whole report: positive = the country gains migrants or pays out more
remittances than it receives. WPP's net migration (immigrants − emigrants) is positive for net
immigration; the remittance balance is shown as net paid = paid − received, which has the sign
of the donor–recipient index (paid − received) ÷ (paid + received).
"""

from __future__ import annotations

import pandas as pd

from keruen.analysis.provenance import source_line
from keruen.analysis.scope import Scope
from keruen.analysis.section import Section
from keruen.store import Store

WPP_DATASET = "UN_WPP"
WPP_MEASURES = ("births", "deaths", "net_migration", "population_change")


def balance(store: Store, scope: Scope, trend: Section) -> Section | None:
    """Births, deaths, net migration, population change (thousand persons) and net paid.

    Remittances net paid (US$) stand beside them; None when the store holds no WPP data.
    """
    obs = store.observations(WPP_DATASET, list(WPP_MEASURES), ref_area=scope.country)
    if obs.empty:
        held = store.observations(WPP_DATASET, "net_migration")
        if held.empty:
            return None
        return Section("balance", {"balance": pd.DataFrame()}, {"held": False}, [])
    obs = obs[obs["period"].astype(int) >= scope.first_year]
    wide = obs.pivot_table(index="period", columns="measure", values="value").reset_index()
    wide["year"] = wide["period"].astype(int)
    series = trend.tables["series"][["year", "inflow", "outflow"]]
    table = wide.merge(series, on="year", how="left").sort_values("year").reset_index(drop=True)
    table["net_paid"] = table["outflow"] - table["inflow"]
    last = table.iloc[-1]
    values = {
        "held": True,
        "first_year": int(table["year"].iloc[0]),
        "last_year": int(last["year"]),
        "net_migration_last": float(last.get("net_migration", float("nan"))),
        "net_migration_sum": float(table["net_migration"].sum()),
        "years_net_immigration": int((table["net_migration"] > 0).sum()),
        "years": len(table),
        "both_agree": int(
            ((table["net_migration"] > 0) == (table["net_paid"] > 0))[
                table["net_paid"].notna()
            ].sum()
        ),
        "years_both": int(table["net_paid"].notna().sum()),
    }
    return Section("balance", {"balance": table}, values, source_line(obs) + trend.sources)
