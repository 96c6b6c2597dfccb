"""The cost of sending remittances (SDG 10.c.1) in the report, the profile, the API and the
command line (issue 19 item 15), all from the one section ``analysis.remittance_cost``."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from keruen.analysis.remittance_cost import SDG_TARGET, remittance_cost
from keruen.analysis.scope import peer_group
from keruen.i18n import format_number
from keruen.store import Store
from keruen.store.concepts import concept_series


def _own(store: Store, concept: str, country: str) -> pd.Series:
    frame = concept_series(store, concept, [country])
    return frame.set_index(frame["period"].astype(int))["value"].dropna()


@pytest.mark.parametrize("country", ["DEU", "UZB", "RUS"])
def test_the_section_holds_the_world_banks_costs_and_counts_years_above_target(
    snapshot_store: Store, country: str
) -> None:
    section = remittance_cost(snapshot_store, peer_group(country))
    costs = section.tables["costs"].set_index("year")
    pairs = (("cost_from", "remittance_cost_from"), ("cost_to", "remittance_cost_to"))
    for column, concept in pairs:
        expected = _own(snapshot_store, concept, country)
        got = costs[column].dropna()
        assert got.to_dict() == pytest.approx(expected.to_dict())
        assert section.values[f"{column}_years"] == len(expected)
        assert section.values[f"{column}_above_target"] == int((expected >= SDG_TARGET).sum())
    assert section.values["target"] == 3.0
    assert country in set(section.tables["peers"]["ref_area"])
    assert {s["dataset"] for s in section.sources} == {"WB_WDI"}


def test_a_country_without_costs_is_not_held(snapshot_store: Store) -> None:
    section = remittance_cost(snapshot_store, peer_group("TKM"))
    assert not section.held and section.values["not_held"] == ["remittance_costs"]


def test_the_report_states_the_cost_beside_the_target(built_report) -> None:  # type: ignore[no-untyped-def]
    folder: Path = built_report("UZB", "en")
    html = (folder / "index.html").read_text("utf-8")
    part = html.split('id="cost"', 1)[1].split("<h2", 1)[0]
    assert "less than 3% of the amount sent" in part
    csv = pd.read_csv(folder / "tables" / "remittance_cost.csv")
    last = csv.dropna(subset=["cost_to"]).iloc[-1]
    cost = format_number(last.cost_to, "en", 2)
    assert f"cost on average {cost}% of the amount sent in {int(last.year)}" in part
    shown = re.findall(r'<tr><td>(\d{4})</td><td class="n[^"]*">([^<]*)</td>', part)
    assert [int(y) for y, _ in shown] == list(csv["year"])
    assert set(csv["unit"]) == {"percent of amount sent"}
    assert "remittance_cost" in (folder / "numbers.json").read_text("utf-8")


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_reports_cost_part_is_translated(built_report, lang: str) -> None:  # type: ignore[no-untyped-def]
    html = (built_report("UZB", lang) / "index.html").read_text("utf-8")
    part = html.split('id="cost"', 1)[1].split("<h2", 1)[0]
    assert "SDG" not in part and "Sending" not in part
    from keruen.presentation.locale import Locale

    assert f"{Locale(lang).pct(3.0, 0)} " in part  # the target in the language's form


def test_the_profile_and_the_api_show_the_same_costs(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from keruen.sources.snapshot import open_store
    from keruen.web.app import create_app

    path = tmp_path / "keruen.duckdb"
    with open_store(path, quiet=True):
        pass
    client = TestClient(create_app(path, query_timeout=400, warm=False))
    page = client.get("/en/country/UZB").text
    assert 'id="remittance-cost"' in page
    table = client.get("/en/country/UZB/remittance_cost.csv")
    assert table.status_code == 200
    csv = pd.read_csv(io.StringIO(table.text))
    api = client.get(
        "/api/v1/series", params={"measure": "remittance_cost_to", "area": "UZB"}
    ).json()["data"]
    by_year = {int(r["period"]): r["value"] for r in api}
    assert dict(zip(csv["year"], csv["cost_to"], strict=True)) == pytest.approx(by_year)
    rows = re.findall(
        r'<tr><td>(\d{4})</td><td class="n">([^<]*)</td>',
        page.split('id="remittance_cost"', 1)[1].split("</table>", 1)[0],
    )
    pairs = zip(csv["year"], csv["cost_to"], strict=True)
    assert [(int(y), v) for y, v in rows] == [(int(y), format_number(v, "en", 2)) for y, v in pairs]


def test_keruen_query_takes_the_concept_name(home: Path) -> None:
    from keruen.cli import main

    result = CliRunner().invoke(
        main,
        ["query", "WB_WDI", "--measure", "remittance_cost_from", "--area", "RUS"]
        + ["--format", "csv"],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert set(frame["measure"]) == {"SI.RMT.COST.OB.ZS"} and len(frame) == 10
