"""The SWOT for any country: items are data, chosen by the country's role (issue 18.4).

Uzbekistan (a receiving country: 15.6 % of GDP in remittances) used to get Kazakhstan's items,
all four strengths "not supported" and no weakness. Its SWOT now names its dependence against
the World Bank's 10 %-of-GDP mark, its concentration on one sender (the World Bank 2017
matrix), the cost of sending money to it (SDG 10.c.1 against the 3 % target) and its
emigration; Kazakhstan's items and verdicts stay as recorded.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from keruen.analysis.cache import ReportCache
from keruen.analysis.runner import run
from keruen.analysis.scope import peer_group
from keruen.analysis.swot_roles import ItemSpec, applies, country_role, item_specs
from keruen.store import Store

GOLDEN = Path(__file__).parent / "data" / "report_golden"


@pytest.fixture(scope="module")
def swots(snapshot_store: Store) -> dict:
    cache = ReportCache()  # the run's shared cache: the world-level parts are computed once
    return {
        c: run(snapshot_store, peer_group(c), ("swot",), cache=cache) for c in ("UZB", "KAZ", "TKM")
    }


def test_uzbekistan_is_judged_as_a_receiving_country(swots: dict) -> None:
    swot = swots["UZB"]["swot"]
    assert swot.values["role"] == "receiving"
    items = {i.key: i for i in swot.values["items"]}
    dep = items["dependence"]
    share = swots["UZB"]["share_gdp"].tables["shares"].set_index("ref_area")["share_derived"]
    assert dep.value == pytest.approx(share["UZB"]) and dep.value == pytest.approx(15.6, abs=0.05)
    assert dep.verdict == "supported" and dep.threshold == "≥ 10%"
    assert dep.quadrant == "weaknesses"
    conc = items["sender_concentration"]
    assert conc.area == "RUS" and conc.value == pytest.approx(100.0) and conc.period == "2017"
    assert conc.verdict == "supported" and conc.quadrant == "threats"
    cost = items["cheap_sending"]
    assert cost.value == pytest.approx(1.75) and cost.period == "2020"
    assert cost.verdict == "supported"  # 1.75 % ≤ the 3 % SDG target
    emi = items["emigration"]
    assert emi.value == pytest.approx(6.0, abs=0.1) and 3.0 < emi.extra < 4.0
    assert emi.verdict == "supported" and emi.threshold == f"> {emi.extra:.1f}%"
    for quadrant in ("strengths", "weaknesses"):
        verdicts = [i.verdict for i in swot.values["items"] if i.quadrant == quadrant]
        assert verdicts and set(verdicts) != {"not_supported"}, quadrant
    assert not {"net_payer", "low_dependence", "regional_pull"} & set(items)  # a payer's items


def test_kazakhstan_swot_is_unchanged(swots: dict) -> None:
    swot = swots["KAZ"]["swot"]
    assert swot.values["role"] == "sending"
    recorded = json.loads((GOLDEN / "KAZ" / "numbers.json").read_text("utf-8"))["swot"]
    now = [(i.key, i.period, i.verdict, i.threshold) for i in swot.values["items"]]
    assert now == [(r["key"], r["period"], r["verdict"], r["threshold"]) for r in recorded]
    for item, r in zip(swot.values["items"], recorded, strict=True):
        if r["value"] is None:
            assert math.isnan(item.value), item.key
        else:
            assert item.value == pytest.approx(r["value"]), item.key
    assert "financial_flows" in swot.values["paper"]  # the paper's Table 2, judged as before


def test_an_indicator_not_held_is_not_testable_and_holds_no_number(swots: dict) -> None:
    items = {i.key: i for i in swots["TKM"]["swot"].values["items"]}
    assert swots["TKM"]["swot"].values["role"] == "receiving"  # only receipts are reported
    assert items["cheap_sending"].verdict == "not_testable"  # no cost data
    assert math.isnan(items["cheap_sending"].value)
    # no 2023 receipts: its dependence is measured in its own latest year (WDI 2023-05's 2022)
    assert items["dependence"].period == "2022" and items["dependence"].verdict == "not_supported"


def test_every_item_given_is_declared_in_the_data_file(swots: dict) -> None:
    specs = item_specs()
    for sections in swots.values():
        role = sections["swot"].values["role"]
        for item in sections["swot"].values["items"]:
            spec = specs[item.key]
            assert applies(spec, role) and spec.quadrant == item.quadrant, item.key
            assert spec.threshold_source and spec.source == item.source, item.key


def test_roles_choose_the_items() -> None:
    spec = item_specs()["dependence"]
    assert isinstance(spec, ItemSpec) and spec.role == "receiving"
    assert applies(spec, "receiving") and applies(spec, "both") and not applies(spec, "sending")
    assert spec.meets(15.6) and not spec.meets(9.9)


def test_role_follows_the_donor_recipient_index(swots: dict) -> None:
    assert country_role(swots["UZB"]["trend"]) == "receiving"
    assert country_role(swots["KAZ"]["trend"]) == "sending"
