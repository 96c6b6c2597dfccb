"""Turkmenistan does not contradict itself (issue 18.2).

The newest WDI release held (2025-07) marks Turkmenistan's remittances received as not
reported from 2005, while the WDI 2023-05 release holds US$ 24 m (2010) … 1 m (2022). The trend
section reads the older release and names it; the peer ranking uses the latest year common to
the group and the country, and a figure more than ten years older than the group's is not
ranked as current.
"""

from __future__ import annotations

import csv as csv_module
import html
import io
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
        "measure": "BX.TRF.PWKR.CD.DT",
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


# -- one release choice for every section reading Turkmenistan's remittance totals (18.2) ------
def test_every_section_reads_turkmenistan_from_the_release_its_trend_names(
    snapshot_store: Store,
) -> None:
    keys = ("trend", "corridors", "forecasts", "share_gdp", "swot")
    got = run(snapshot_store, peer_group("TKM"), keys, cache=ReportCache())  # the run's cache
    trend, corridors = got["trend"], got["corridors"]
    release = trend.values["releases"]["inflow"][0]["release"]
    inflow = trend.tables["series"].set_index("year")["inflow"]
    # the corridors are estimated, their receipts margin is the trend's 2017 figure, named so
    assert corridors.held, corridors.values.get("not_held")
    assert corridors.values["received"] == inflow[2017]
    assert corridors.values["releases"]["inflow"] == [
        {"release": release, "first": 2017, "last": 2017}
    ]
    assert corridors.values["older_release"]["inflow"] == trend.values["older_release"]["inflow"]
    assert release in {s["vintage"] for s in corridors.sources}
    # no receipts of its own, no figure from the newest release: every corridor into it is a
    # share of that recorded margin
    into = corridors.tables["corridors"].query("receiver == 'TKM'")["estimate"].dropna()
    assert len(into) and into.sum() <= inflow[2017]
    # the forecast reads the same release and years as the trend
    forecasts = got["forecasts"]
    assert forecasts.held
    assert forecasts.values["releases"]["remittances_received"] == (
        trend.values["releases"]["inflow"]
    )
    # the share of GDP: its own latest year in that release, so the SWOT measures it
    latest = got["share_gdp"].values["own_latest"]
    assert latest["year"] == int(inflow.dropna().index.max())
    dependence = next(i for i in got["swot"].values["items"] if i.key == "dependence")
    assert dependence.period == str(latest["year"]) and dependence.value == latest["share"]


def test_corridors_say_which_release_and_never_that_the_trends_figures_are_not_held(
    built_report: object,
) -> None:
    page = (built_report("TKM", "en") / "index.html").read_text("utf-8")  # type: ignore[operator]
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
    assert "remittances received (World Bank/KNOMAD)" not in text  # no "not held" for them
    named = "Remittances received for Turkmenistan: release (years) used: WDI 2023-05-10 (2017)."
    assert named in text
    corridors = text[text.index("Turkmenistan: remittance corridors, 2017 (estimate)") :]
    assert "Turkmenistan, received: 5.0 US$ million recorded" in corridors


def test_the_profile_shows_the_figures_its_sections_rank(snapshot_store: Store) -> None:
    from pathlib import Path

    from fastapi.testclient import TestClient

    from keruen.web.app import create_app

    client = TestClient(create_app(Path(snapshot_store.path), query_timeout=400, warm=False))
    page = client.get("/en/country/TKM").text
    assert 'id="report-pending"' not in page
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
    table = text[text.index("Remittance indicators") : text.index("Immigrants living here")]
    assert "No data held" not in table
    assert "2022 1.0" in table and "2017 5.0" in table  # the trend's (and the ranks') figures
    assert "the figures shown are those of the older release WDI 2023-05-10" in table
    assert "Rank by remittances received (2022): 12 of 12" in text
    assert "Remittance corridors (2017)" in text or 'id="corridors"' in page
    # the older release's figures can be downloaded as shown: the note links their CSV
    note = re.search(r'class="source older-release" data-flow="inflow">.*?href="([^"]+)"', page)
    assert note is not None
    csv = client.get(html.unescape(note.group(1)))
    assert csv.status_code == 200
    rows = list(csv_module.DictReader(io.StringIO(csv.text)))
    values = {int(r["period"]): float(r["value"]) for r in rows}
    assert values[2022] == 1e6 and values[2017] == 5e6
    assert {r["vintage"] for r in rows} == {"WDI 2023-05-10"}


def test_corridors_not_held_for_their_year_say_which_years_are_held(
    snapshot_store: Store,
) -> None:
    # Andorra's receipts and payments are held from 2019 only: the corridors (2017) are not
    # estimated, and the section names the release and years its other sections use
    keys = ("trend", "corridors")
    got = run(snapshot_store, peer_group("AND"), keys, cache=ReportCache())  # the run's cache
    corridors, trend = got["corridors"], got["trend"]
    assert not corridors.held and corridors.values["year"] == 2017
    assert corridors.values["releases"] == {"inflow": [], "outflow": []}
    other = corridors.values["held_other_years"]
    assert other["inflow"] == trend.values["releases"]["inflow"]
    assert other["inflow"][0]["first"] > 2017
