"""``keruen report --country``: one report structure for any country; missing is never zero.

Reports for Kazakhstan, its neighbours, Russia, Germany and Turkmenistan (which reports almost
nothing) are built in all three languages, the estimated sections included wherever their
inputs are held; every number in ``numbers.json`` and every chart's CSV is checked so that no
zero stands for "no data", and no unreported country is ranked.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from keruen.analysis.releases import held_series
from keruen.analysis.scope import parse_countries, peer_group
from keruen.cli import main
from keruen.presentation.locale import Locale
from keruen.store import Store
from keruen.store.concepts import concept_series

COUNTRIES = ("KAZ", "UZB", "KGZ", "TJK", "RUS", "DEU", "TKM")
LANGS = ("en", "ru", "kk")
#: Chart and table columns that hold a remittance amount, share, ratio or count.
VALUE_COLUMNS = ("value", "value_musd", "inflow", "outflow", "ratio", "quota", "share_derived")
#: Columns of the estimated sections where a zero could only stand for an input not held.
ESTIMATE_COLUMNS = (
    "estimate",
    "wb",
    "all_outflow",
    "all_central",
    "ca_outflow",
    "ca_central",
    "in_strength",
    "out_strength",
    "from_neighbours",
    "to_neighbours",
)
#: The estimated sections as numbers.json names them, and their heading in English.
ESTIMATED = {
    "flows": "{name}: migrant flows in and out, estimated from migrant stocks",
    "corridors": "{name}: remittance corridors, 2017 (estimate)",
    "volumes": "Labour migrants implied by remittances (estimate)",
    "gravity": "a gravity model (estimate)",
    "forecast_scores": "{name}: forecasts of remittances, with backtests (estimate)",
    "systems": "{name}: migration system, 1990–2019 (estimate)",
}
#: Phrases of Kazakhstan's own estimated text that must not appear in another country's report.
KAZAKHSTAN_ONLY = (
    "Kazakhstan's",
    "moved to Kazakhstan",
    "Sent from Kazakhstan",
    "To Kazakhstan",
    "From Kazakhstan",
    "Central Asian neighbours",
    "tenge",
    "Migration Committee",
)


@pytest.fixture(scope="module")
def reports(built_report: Callable[[str, str], Path]) -> dict:
    return {(c, lang): built_report(c, lang) for c in COUNTRIES for lang in LANGS}


@pytest.mark.parametrize("country", COUNTRIES)
def test_every_country_builds_in_three_languages(reports: dict, country: str) -> None:
    for lang in LANGS:
        folder = reports[country, lang]
        html = (folder / "index.html").read_text("utf-8")
        assert f'<html lang="{lang}">' in html
        numbers = json.loads((folder / "numbers.json").read_text("utf-8"))
        assert numbers["country"] == country
        for section_id in ("trend", "peers", "share", "balance", "position", "swot", "methods"):
            assert f'id="{section_id}"' in html, (country, lang, section_id)


def _zeros(value: object, path: str = "", columns: tuple[str, ...] = VALUE_COLUMNS) -> list[str]:
    """Paths of exact zeros among the value fields (``columns``) of numbers.json."""
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k in columns and isinstance(v, int | float) and v == 0:
                found.append(f"{path}.{k}")
            found += _zeros(v, f"{path}.{k}", columns)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _zeros(v, f"{path}[{i}]", columns)
    return found


@pytest.mark.parametrize("country", COUNTRIES)
def test_no_zero_stands_for_no_data_in_numbers_or_charts(reports: dict, country: str) -> None:
    folder = reports[country, "en"]
    numbers = json.loads((folder / "numbers.json").read_text("utf-8"))
    remittance_parts = {k: numbers[k] for k in ("trend", "cis", "share_gdp", "measures")}
    assert _zeros(remittance_parts) == []
    # estimated sections: a section whose inputs are not held holds no number at all, and no
    # zero stands for an input not held (a flow estimated at 0 is the estimator's answer, the
    # smallest flows consistent with the stocks, and is listed by the plausibility check)
    estimates = numbers["estimates"]
    for key in ESTIMATED:
        part = estimates[key]
        if isinstance(part, dict):
            assert set(part) == {"not_held"} and part["not_held"], (country, key)
    found = _zeros({k: estimates[k] for k in ESTIMATED if k != "flows"})
    found += _zeros(estimates, columns=ESTIMATE_COLUMNS)
    assert found == [], (country, found)
    for csv in (folder / "figures").glob("*.csv"):
        frame = pd.read_csv(csv)
        if csv.name.endswith("_estimated_flows.csv"):
            _zero_flows_are_flagged(frame, estimates, country)
            continue
        if "series" in frame and csv.name.endswith("_remittance_forecasts.csv"):
            # a forecast truncated at 0 is the model's answer (keruen.models.forecast: a
            # non-negative series gets non-negative forecasts; Turkmenistan's receipts, falling
            # from 35 m to 1 m, reach it), not a stand-in for data: only held years are checked
            frame = frame[~frame["series"].str.endswith("forecast")]
        for col in set(VALUE_COLUMNS) & set(frame.columns):
            values = pd.to_numeric(frame[col], errors="coerce")
            assert not (values == 0).any(), f"{csv.name}: {col} has a zero"
    for csv in (folder / "tables").glob("*.csv"):
        frame = pd.read_csv(csv)
        for col in set(ESTIMATE_COLUMNS) & set(frame.columns):
            values = pd.to_numeric(frame[col], errors="coerce")
            assert not (values == 0).any(), f"{csv.name}: {col} has a zero"


def _zero_flows_are_flagged(frame: pd.DataFrame, estimates: dict, country: str) -> None:
    """A total flow estimated at zero is never silent: the plausibility check warns for it.

    Demographic accounting finds the smallest flows consistent with the stocks, so it can
    answer 0 where the stocks grew; the report then lists the pairs it contradicts.
    """
    warnings = estimates["flows_values"]["plausibility"]
    for row in frame[frame["value"] == 0].itertuples():
        side = "orig" if row.series == "Outflow" else "dest"
        assert any(w["period"] == row.x and w[side] == country for w in warnings), row


def _inputs_held(store: Store, country: str) -> dict[str, bool]:
    """Which estimated sections have their inputs held, read from the store independently of
    the sections, through the one release choice (:func:`keruen.analysis.releases.held_series`:
    Turkmenistan's receipts come from WDI 2023-05, as its trend says)."""

    def held(concept: str, first: int, last: int = 2030) -> pd.DataFrame:
        frame = held_series(store, concept, [country])[0]
        return frame[frame["period"].astype(int).between(first, last)]

    since_2000 = [held(c, 2000) for c in ("remittances_received", "remittances_paid")]
    desa = store.observations("UNDESA_IMS", "migrant_stock", ref_area=country)
    return {
        "flows": desa["counterpart_area"].notna().any(),
        # both recorded sides of 2017 where held; a country reporting neither has no corridor
        "corridors": bool(
            len(held("remittances_paid", 2017, 2017))
            or len(held("remittances_received", 2017, 2017))
        ),
        "volumes": bool(len(held("remittances_paid", 2010))),
        "gravity": True,
        "forecast_scores": any(len(s) >= 12 for s in since_2000),
        "systems": desa["counterpart_area"].notna().any(),
    }


@pytest.mark.parametrize("country", COUNTRIES)
def test_estimated_sections_are_built_where_their_inputs_are_held(
    snapshot_store: Store, reports: dict, country: str
) -> None:
    held = _inputs_held(snapshot_store, country)
    name = Locale("en").area(country)
    for lang in LANGS:
        folder = reports[country, lang]
        numbers = json.loads((folder / "numbers.json").read_text("utf-8"))
        for key, is_held in held.items():
            part = numbers["estimates"][key]
            assert isinstance(part, list) == is_held, (country, lang, key)
            if is_held:
                assert part, (country, lang, key)
        figures = {p.stem for p in (folder / "figures").glob("*.png")}
        assert (f"12_{country.lower()}_estimated_flows" in figures) == held["flows"]
        assert ("14_implied_migrants" in figures) == held["volumes"]
        assert ("15_remittance_forecasts" in figures) == held["forecast_scores"]
    html = (reports[country, "en"] / "index.html").read_text("utf-8")
    for key, heading in ESTIMATED.items():
        assert heading.format(name=name) in html, (country, key)
    not_held = sum(1 for v in held.values() if not v)
    assert html.count(f"Not held for {name}: ") == not_held + (country != "KAZ")
    if country == "TKM":  # reports no remittances paid: those estimates say what is missing
        assert "Not held for Turkmenistan: remittances paid (World Bank/KNOMAD)." in html


def test_uzbekistan_estimates_name_uzbekistan_as_their_focus(reports: dict) -> None:
    numbers = json.loads((reports["UZB", "en"] / "numbers.json").read_text("utf-8"))
    est = numbers["estimates"]
    assert est["flows_values"]["country"] == "UZB"
    assert est["flows_values"]["regions_chosen"] == "closed_world"  # every country at once
    assert all("UZB" in (r["sender"], r["receiver"]) for r in est["corridors"])
    assert est["corridors_values"]["country"] == "UZB"
    assert est["volumes_values"]["country"] == "UZB"
    assert est["systems_values"]["country"] == "UZB"
    assert "KAZ" in est["systems_values"]["neighbours"]  # its neighbourhood, not Kazakhstan's
    assert "UZB" not in est["systems_values"]["neighbours"]
    html = (reports["UZB", "en"] / "index.html").read_text("utf-8")
    estimated = html[html.index('id="estimates"') : html.index('id="cite"')]
    swot = html[html.index('id="swot"') : html.index('id="estimates"')]
    for phrase in KAZAKHSTAN_ONLY:
        assert phrase not in estimated + swot, phrase
    assert "Uzbekistan, estimate: in 2015-2019" in estimated


def test_turkmenistan_is_listed_as_not_reported_and_never_ranked(reports: dict) -> None:
    numbers = json.loads((reports["KAZ", "en"] / "numbers.json").read_text("utf-8"))
    paper_year = numbers["cis"]["inflows_paper_year"]
    assert "TKM" not in {r["ref_area"] for r in paper_year}
    assert "TKM" in numbers["cis_values"]["not_reported_inflow_paper_year"]
    # with Turkmenistan left out, Kazakhstan is last among the reporters, as the paper says
    kaz = next(r for r in paper_year if r["ref_area"] == "KAZ")
    assert kaz["rank"] == len(paper_year)
    html = (reports["KAZ", "en"] / "index.html").read_text("utf-8")
    assert "Not reported (left out, not counted as zero)" in html


def test_a_missing_year_is_a_gap_not_a_zero(snapshot_store: Store, reports: dict) -> None:
    # Kyrgyzstan reports no remittances paid after 2021: its trend keeps the later years empty
    paid = concept_series(snapshot_store, "remittances_paid", ["KGZ"]).dropna(subset=["value"])
    last_paid = int(paid["period"].astype(int).max())
    numbers = json.loads((reports["KGZ", "en"] / "numbers.json").read_text("utf-8"))
    later = [r for r in numbers["trend"] if r["year"] > last_paid]
    assert later and all(r["outflow"] is None for r in later)
    chart = pd.read_csv(reports["KGZ", "en"] / "figures" / "01_kgz_remittances.csv")
    paid_rows = chart[(chart["flow"] == "Remittances paid") & (chart["year"] > last_paid)]
    assert len(paid_rows) and paid_rows["value_musd"].isna().all()
    # the quota chart of Kazakhstan shows the 2017-2021 years as gaps
    quota = pd.read_csv(reports["KAZ", "en"] / "figures" / "09_quota.csv")
    assert set(range(2017, 2022)) <= set(quota.loc[quota["quota"].isna(), "year"])


def test_peer_group_follows_memberships_and_can_be_overridden() -> None:
    assert peer_group("KAZ").group == "cis_and_former"
    assert peer_group("DEU").group == "wb_region:Europe & Central Asia"
    assert "FRA" in peer_group("DEU").members
    assert peer_group("KAZ", "central_asia").members == ("KAZ", "KGZ", "TJK", "TKM", "UZB")
    assert parse_countries("kaz, UZB,kaz") == ["KAZ", "UZB"]


def test_kazakhstan_only_sections_say_what_is_not_held(reports: dict) -> None:
    html = (reports["UZB", "en"] / "index.html").read_text("utf-8")
    assert "Not held for Uzbekistan" in html
    assert 'id="reconciliation"' not in html
    kaz = (reports["KAZ", "en"] / "index.html").read_text("utf-8")
    assert 'id="reconciliation"' in kaz and "Not held for Kazakhstan" not in kaz


def test_migration_balance_is_read_from_un_wpp(snapshot_store: Store, reports: dict) -> None:
    numbers = json.loads((reports["TJK", "en"] / "numbers.json").read_text("utf-8"))
    wpp = snapshot_store.observations("UN_WPP", "net_migration", "TJK", period="2020")
    row = next(r for r in numbers["balance"] if r["year"] == 2020)
    assert row["net_migration"] == pytest.approx(float(wpp["value"].iloc[0]))
    # one sign convention: net paid = paid − received, the sign of the donor–recipient index
    for r in numbers["balance"]:
        if r["inflow"] is not None and r["outflow"] is not None:
            assert r["net_paid"] == pytest.approx(r["outflow"] - r["inflow"])


def test_every_figure_and_table_has_a_csv_with_provenance_linked_beside_it(reports: dict) -> None:
    folder = reports["KAZ", "en"]
    html = (folder / "index.html").read_text("utf-8")
    pngs = sorted((folder / "figures").glob("*.png"))
    assert len(pngs) >= 17
    for png in pngs:
        csv = png.with_suffix(".csv")
        frame = pd.read_csv(csv)
        assert {"source", "vintage", "unit"} <= set(frame.columns), csv.name
        assert frame["source"].notna().all() and frame["vintage"].notna().all()
        for ext in ("png", "svg", "csv"):
            assert f'href="figures/{png.stem}.{ext}"' in html
    tables = sorted((folder / "tables").glob("*.csv"))
    assert len(tables) >= 10
    for table in tables:
        assert f'href="tables/{table.name}"' in html
    assert html.count('href="numbers.json"') >= len(pngs)


def test_table_of_contents_links_to_every_section(reports: dict) -> None:
    html = (reports["RUS", "ru"] / "index.html").read_text("utf-8")
    for anchor in re.findall(r'<a href="#([\w-]+)">', html):
        assert f'id="{anchor}"' in html


def test_cli_writes_one_folder_per_country_and_an_index(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "multi"
    result = CliRunner().invoke(main, ["report", "--country", "tkm,DEU", "--out", str(out)])
    assert result.exit_code == 0, result.output
    index = (out / "index.html").read_text("utf-8")
    assert 'href="TKM/index.html"' in index and 'href="DEU/index.html"' in index
    assert (out / "TKM" / "index.html").exists() and (out / "DEU" / "numbers.json").exists()
    assert "TKM: drawing the figures" in result.stderr  # progress of the report's steps


def test_cli_rejects_a_code_that_is_not_a_country(home: Path) -> None:
    result = CliRunner().invoke(main, ["report", "--country", "KAZ,XX1"])
    assert result.exit_code != 0 and "XX1" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["report", "--group", "nope"])
    assert result.exit_code != 0 and "unknown group 'nope'" in result.output


def test_numbers_json_has_no_nan_or_infinity(reports: dict) -> None:
    text = (reports["TKM", "kk"] / "numbers.json").read_text("utf-8")
    assert "NaN" not in text and "Infinity" not in text
    assert not math.isnan(json.loads(text)["position"]["years"])
