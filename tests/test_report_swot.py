"""SWOT items resting on the estimated sections: any country, each with a verdict that can say no.

Verdicts are recomputed from the sections' own numbers; an item whose estimate is not held, or
whose estimate depends on its assumptions, is "not testable", never a supported zero. The
sentences of every item name the country of the report, in every language, and none of them
speaks of Kazakhstan (or its currency) in another country's report.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from keruen.analysis import Section, run
from keruen.analysis.scope import peer_group
from keruen.analysis.swot import ONE_SOURCE_SHARE, estimated_items
from keruen.i18n import translations
from keruen.presentation.labels import swot_text
from keruen.store import Store

ESTIMATED_KEYS = {"net_immigration", "neighbour_pole", "one_source", "falling_receipts"}


@pytest.fixture(scope="module")
def items(snapshot_store: Store) -> dict[str, dict]:
    out = {}
    for country in ("KAZ", "UZB", "TKM", "DEU"):
        sections = run(snapshot_store, peer_group(country))
        items = sections["swot"].values["items"]
        out[country] = {"sections": sections, "items": {i.key: i for i in items}}
    return out


@pytest.mark.parametrize("country", ["KAZ", "UZB", "DEU"])
def test_estimated_items_are_judged_from_the_sections_numbers(items: dict, country: str) -> None:
    sections, got = items[country]["sections"], items[country]["items"]
    assert ESTIMATED_KEYS <= set(got)
    flows = sections["flows"].tables["flows"].iloc[-1]
    net = got["net_immigration"]
    assert net.value == pytest.approx(flows["net"])
    assert net.period == flows["period"]
    diff_net = flows["diff_inflow"] - flows["diff_outflow"]
    if (flows["net"] > 0) != (diff_net > 0):
        assert net.verdict == "not_testable"
    else:
        assert net.verdict == ("supported" if flows["net"] > 0 else "not_supported")
    pole = got["neighbour_pole"]
    track = sections["systems"].tables["track"].iloc[-1]
    assert pole.value == pytest.approx(track["net_neighbours"])
    assert pole.verdict == ("supported" if track["net_neighbours"] > 0 else "not_supported")
    one = got["one_source"]
    share = 100 * sections["corridors"].values["top_sender_share"]
    assert one.value == pytest.approx(share)
    assert one.verdict == ("supported" if share >= ONE_SOURCE_SHARE else "not_supported")
    fall = got["falling_receipts"]
    verdicts = sections["forecasts"].values["verdicts"]
    beats = next(v["beats_naive"] for k, v in verdicts.items() if k.startswith("remittances_rec"))
    if not beats:  # a forecast no better than the last value cannot support a fall
        assert fall.verdict == "not_testable"
    else:
        assert fall.verdict == ("supported" if fall.value < 0 else "not_supported")


def test_turkmenistan_items_rest_on_the_receipts_its_trend_shows(items: dict) -> None:
    # its receipts come from the release its trend reads (WDI 2023-05): the corridors measure
    # the largest sender's share, the forecast is scored; no cost series is held at all
    got = items["TKM"]["items"]
    assert got["one_source"].period == "2017" and 50 <= got["one_source"].value <= 100
    assert got["falling_receipts"].period.startswith("2022")
    assert got["cheap_sending"].verdict == "not_testable"
    assert math.isnan(got["cheap_sending"].value) and got["cheap_sending"].period == ""


def test_a_flow_estimate_contradicted_by_stock_differencing_is_not_testable() -> None:
    flows = Section(
        "flows",
        {
            "flows": pd.DataFrame(
                {
                    "period": ["2015-2019"],
                    "inflow": [100.0],
                    "outflow": [40.0],
                    "net": [60.0],
                    "diff_inflow": [10.0],
                    "diff_outflow": [50.0],
                }
            )
        },
    )
    (item,) = estimated_items({"flows": flows})
    assert item.key == "net_immigration" and item.verdict == "not_testable"
    agreeing = flows.tables["flows"].assign(diff_inflow=80.0)
    (item,) = estimated_items({"flows": Section("flows", {"flows": agreeing})})
    assert item.verdict == "supported"
    (item,) = estimated_items({"flows": Section("flows", {}, {"not_held": ["population"]})})
    assert item.verdict == "not_testable" and math.isnan(item.value)


def test_sections_left_out_give_no_estimated_item() -> None:
    assert estimated_items({}) == []


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
@pytest.mark.parametrize("country", ["UZB", "TKM", "DEU"])
def test_item_texts_name_the_country_and_never_kazakhstan(
    items: dict, lang: str, country: str
) -> None:
    _ = translations(lang).gettext
    kazakhstan = {"en": "Kazakhstan", "ru": "Казахстан", "kk": "Қазақстан"}[lang]
    tenge = {"en": "tenge", "ru": "тенге", "kk": "теңге"}[lang]
    for item in items[country]["items"].values():
        statement, indicator = swot_text(item, lang, _, country)
        text = statement + " " + indicator
        assert kazakhstan not in text and tenge not in text, (item.key, text)
        assert "{" not in text, text  # every placeholder filled
