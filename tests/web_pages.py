"""The dashboard's pages every language check walks (browser and no-browser tests share it)."""

from __future__ import annotations

#: Page paths after ``/{lang}/``: one of each kind, with the query strings that change it.
PAGES = [
    "",
    "country/KAZ",
    "country/TKM",
    "bilateral?country=KAZ&role=origin",
    "bilateral?country=KAZ&role=destination&dataset=WB_BILATERAL_REMITTANCES&year=2017",
    "regions",
    "systems",
    "systems?period=1990&network=post_soviet",
    "compare?measure=remittances_received&area=KAZ,UZB,KGZ",
    "explore?measure=remittances_received_pct_gdp&year=2019",
    "sources",
]
