"""Turkmenistan does not contradict itself (issue 18.2).

The newest WDI release held (2025-07) marks Turkmenistan's remittances received as not
reported from 2005, while the WDI 2023-05 release holds US$ 24 m (2010) … 1 m (2022). The trend
section reads the older release and names it; the peer ranking uses the latest year common to
the group and the country, and a figure more than ten years older than the group's is not
ranked as current.
"""

from __future__ import annotations

import html
import re

from keruen.analysis.cache import ReportCache
from keruen.analysis.runner import run
from keruen.analysis.scope import peer_group
from keruen.store import Store


def _sections(store: Store, country: str) -> dict:
    return run(store, peer_group(country), ("trend", "cis"), cache=ReportCache(mode="off"))


def test_trend_reads_the_release_that_holds_turkmenistan_and_names_it(
    snapshot_store: Store,
) -> None:
    trend = _sections(snapshot_store, "TKM")["trend"]
    series = trend.tables["series"].set_index("year")["inflow"]
    assert series[2010] == 24e6 and series[2022] == 1e6
    assert trend.values["older_release"]["inflow"] == {
        "release": "WDI 2023-05-10",
        "newest": "WDI 2025-07-01",
        "dataset": "WB_WDI",
    }
    assert trend.values["releases"]["inflow"] == [
        {"release": "WDI 2023-05-10", "first": 2010, "last": 2022}
    ]
    assert {s["vintage"] for s in trend.sources} == {"WDI 2023-05-10"}


def test_kazakhstan_keeps_the_newest_release(snapshot_store: Store) -> None:
    trend = _sections(snapshot_store, "KAZ")["trend"]
    assert trend.values["older_release"] == {}
    assert trend.values["releases"]["inflow"][0]["release"] == "WDI 2025-07-01"


def test_ranks_use_a_common_recent_year_and_never_a_stale_figure(snapshot_store: Store) -> None:
    cis = _sections(snapshot_store, "TKM")["cis"]
    assert cis.values["inflow_year"] == 2022  # the latest year the group and TKM report
    assert cis.values["rank_inflow_latest"][0] > 0
    # its remittances paid end in 1997: not ranked against the group's 2022
    assert cis.values["stale"] == {"outflow": 1997}
    assert cis.values["outflow_year"] >= 2020
    assert cis.values["rank_outflow_latest"][0] == -1
    assert "TKM" in cis.values["not_reported_outflow_latest"]


def test_turkmenistan_report_says_which_release_and_never_that_none_is_held(
    built_report: object,
) -> None:
    page = (built_report("TKM", "en") / "index.html").read_text("utf-8")  # type: ignore[operator]
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
    assert "No remittance figures are held" not in text
    assert "release (years) used: WDI 2023-05-10 (2010–2022)" in text
    assert "the newest release held, WDI 2025-07-01, reports none" in text
    assert "ranks 6 of 9 in 1996" not in text and "in 1996." not in text
    assert "is for 1997, more than ten years before the group's latest" in text
