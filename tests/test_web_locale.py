"""Dashboard charts in the page's language (issue 19.1) and one palette keyed by series (19.4).

Pages are fetched through the ASGI app over the bundled snapshot; their embedded Vega-Lite specs
and the d3 locale the page hands to Vega are read as JSON (the browser tests draw them).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from keruen.web.app import create_app  # noqa: E402
from tests.web_pages import PAGES  # noqa: E402


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    from keruen.sources.snapshot import open_store

    path = Path(tmp_path_factory.mktemp("web-locale")) / "keruen.duckdb"
    with open_store(path, quiet=True):
        pass
    return TestClient(create_app(path, query_timeout=400, warm=False))


def _scripts(page: str) -> dict[str, Any]:
    found = re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>', page, re.S)
    return {key: json.loads(html.unescape(text)) for key, text in found}


def _walk(node: Any, key: str) -> list[Any]:
    """Every value held under ``key`` anywhere in a spec."""
    out: list[Any] = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                out.append(v)
            out.extend(_walk(v, key))
    elif isinstance(node, list):
        for v in node:
            out.extend(_walk(v, key))
    return out


@pytest.fixture(scope="module")
def pages(client: TestClient) -> dict[tuple[str, str], str]:
    out = {}
    for lang in ("en", "ru", "kk"):
        for path in PAGES:
            response = client.get(f"/{lang}/{path}")
            assert response.status_code == 200, (lang, path)
            out[(lang, path)] = response.text
    return out


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_page_gives_vega_the_languages_number_format(pages: dict, lang: str) -> None:
    """Axis ticks read 4 500 and 2 809,0 (not 4,500 / 374.4): the d3 locale of the language."""
    for path in PAGES:
        locale = _scripts(pages[(lang, path)])["vega-locale"]
        number = locale["number"]
        assert (number["decimal"], number["thousands"]) == (",", "\u00a0"), path
        assert number["minus"] == "\u2212"
        assert len(locale["time"]["months"]) == 12
        assert all(re.fullmatch(r"[^A-Za-z]+", m) for m in locale["time"]["months"]), path
    assert _scripts(pages[("en", "")])["vega-locale"]["number"]["thousands"] == ","


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_charts_tooltip_is_titled_in_the_language(pages: dict, lang: str) -> None:
    """No tooltip shows a raw field name ("year | series | value"): each line has a title in the
    language, and numbers are formatted by the locale (a d3 format, no hard-coded separators)."""
    charts = 0
    for path in PAGES:
        specs = {k: v for k, v in _scripts(pages[(lang, path)]).items() if k.startswith("spec-")}
        for key, spec in specs.items():
            charts += 1
            held = _walk(spec, "tooltip")
            tips = [t for tip in held for t in (tip if isinstance(tip, list) else [tip])]
            tips = [t for t in tips if isinstance(t, dict) and "field" in t]
            assert tips, (path, key)
            for tip in tips:
                title = tip.get("title")
                assert title, (path, key, tip)
                assert not re.search(r"[A-Za-z]", title), (path, key, title)
    assert charts >= 6


def _colours(spec: dict[str, Any]) -> dict[str, str]:
    """Shown label → colour, from every explicit colour scale of a spec."""
    out: dict[str, str] = {}
    for color in _walk(spec, "color"):
        scale = color.get("scale", {}) if isinstance(color, dict) else {}
        if "domain" in scale and "range" in scale:
            out.update(zip(scale["domain"], scale["range"], strict=True))
    return out


def test_received_and_paid_have_one_colour_in_every_language(pages: dict) -> None:
    from keruen.web.views import labels

    seen: dict[str, set[str]] = {}
    for lang in ("en", "ru", "kk"):
        t = labels()[lang]
        spec = _scripts(pages[(lang, "country/KAZ")])["spec-remittances"]
        colours = _colours(spec)
        assert set(colours) == {t["received"], t["paid"]}  # the legend lists what is drawn
        for series in ("received", "paid"):
            seen.setdefault(series, set()).add(colours[t[series]])
        balance = _colours(_scripts(pages[(lang, "country/KAZ")])["spec-balance"])
        seen.setdefault("net_migration", set()).add(balance[t["net_migration"]])
    assert all(len(c) == 1 for c in seen.values()), seen
    assert seen["received"] != seen["paid"]


@pytest.mark.parametrize("path", ["systems", "systems?period=1990&network=post_soviet"])
def test_a_system_has_one_colour_on_the_map_and_the_size_chart(pages: dict, path: str) -> None:
    scripts = _scripts(pages[("kk", path)])
    on_map = _colours(scripts["spec-systems-map"])
    on_chart = _colours(scripts["spec-system-sizes"])
    assert on_map
    for system, colour in on_map.items():
        assert on_chart[system] == colour, system
    legend = _walk(scripts["spec-system-sizes"], "legend")
    assert any(isinstance(g, dict) and g.get("labelLimit") == 0 for g in legend)


# -- 19.2: method and source lines, releases and groups in the language ------------------------
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_method_and_source_lines_have_no_english(pages: dict, lang: str) -> None:
    """"Метод: ensemble_median forecast (statsforecast) with 80% split-conformal…", "World Bank
    (mirrored by datahub.io…)", "IMS 2019 revision": every source and method line is translated."""
    from tests.wording import latin_words, visible_text

    lines = 0
    for path in PAGES:
        for line in re.findall(r'<p class="source">(.*?)</p>', pages[(lang, path)], re.S):
            lines += 1
            assert latin_words(visible_text(line)) == [], (path, visible_text(line))
    assert lines >= 10


def test_groups_are_named_in_the_language(client: TestClient) -> None:
    """``areas?kind=group&lang=kk`` returns Kazakh names (was "central asia", "cis")."""
    from keruen.presentation.labels import group_label
    from keruen.presentation.locale import Locale

    for lang in ("ru", "kk"):
        rows = client.get(f"/api/v1/areas?kind=group&lang={lang}").json()["data"]
        assert {r["code"] for r in rows} >= {"central_asia", "cis", "eaeu"}
        for row in rows:
            assert not re.search(r"[A-Za-z]", row["name"]), row
            # the report's group names (message catalogue) and the data agree
            assert row["name"] == group_label(row["code"], Locale(lang)._)
    rows = client.get("/api/v1/areas?kind=group&lang=kk").json()["data"]
    assert {r["code"]: r["name"] for r in rows}["central_asia"] == "Орталық Азия"


def test_every_snapshot_release_is_named_in_each_language() -> None:
    import tomllib
    from importlib import resources

    from keruen.i18n import release_label

    text = resources.files("keruen.data.snapshot").joinpath("manifest.toml").read_text("utf-8")
    vintages = {
        entry["vintage"]
        for entries in tomllib.loads(text).values()
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict) and "vintage" in entry
    }
    assert len(vintages) >= 10
    for lang in ("ru", "kk"):
        for vintage in vintages:
            assert release_label(vintage, lang) != vintage, (lang, vintage)
    estimate = release_label("keruen estimate cf701a922f49 (inputs to 2026-03-06)", "ru")
    assert estimate == "оценка keruen cf701a922f49 (исходные данные на 6 марта 2026\u202fг.)"


def test_method_templates_read_back_the_models_statements() -> None:
    """Each template recognises the English statement it translates, parameters included."""
    from keruen.presentation.locale import Locale
    from keruen.presentation.methods import _templates, method_text

    ru = Locale("ru")
    statements = {
        "forecast": _templates(lambda s: s)["forecast"].format(model="ets", level="80%"),
        "demographic": "demographic accounting, independence log-linear model fitted by IPF",
        "allocation": "Ratha-Shaw allocation of receipts, R_ij = R_i * w_ij / sum w (w_ij = M_ij)",
    }
    for key, statement in statements.items():
        text = method_text(statement, ru)
        assert text != statement and text[0].isupper(), key
        assert not re.search(r"\b(forecast|accounting|allocation|sum)\b", text), text
    assert "80\u00a0%" in method_text(statements["forecast"], ru)
    assert "модель независимости" in method_text(statements["demographic"], ru)


# -- 19.3: no Latin-script word outside the allowed list on any ru/kk page ----------------------
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_no_latin_words_on_any_page(pages: dict, lang: str) -> None:
    from tests.wording import latin_words, visible_text

    stray = {path: latin_words(visible_text(pages[(lang, path)])) for path in PAGES}
    assert {p: w for p, w in stray.items() if w} == {}


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_dates_and_percents_on_pages_follow_the_language(pages: dict, lang: str) -> None:
    """The sources page writes release dates in the language (not 2026-03-06); the forecast
    interval note writes 80 % (ru) / 80% (kk)."""
    text = re.sub(r"\s+", " ", pages[(lang, "sources")])
    assert not re.search(r"<td>\d{4}-\d{2}-\d{2}</td>", text)
    month = {"ru": "июля 2025", "kk": "2025 жылғы 1 шілде"}[lang]
    assert month in text
    profile = pages[(lang, "country/KAZ")]
    assert ("80\u00a0%" if lang == "ru" else "80%") in profile


def test_system_legends_are_not_clipped_and_sizes_are_counts(pages: dict) -> None:
    scripts = _scripts(pages[("ru", "systems")])
    for key in ("spec-systems-map", "spec-system-sizes"):
        held = _walk(scripts[key], "legend")
        legends = [g for g in held if isinstance(g, dict) and "orient" in g]
        assert legends and all(g.get("labelLimit") == 0 for g in legends), key
    tips = [t for t in _walk(scripts["spec-system-sizes"], "tooltip") if isinstance(t, list)][0]
    assert {t["field"]: t.get("format") for t in tips}["system_size"] == ",d"


def test_a_country_keeps_its_colour_in_the_comparison_in_every_language(pages: dict) -> None:
    from keruen.areas import name

    path = "compare?measure=remittances_received&area=KAZ,UZB,KGZ"
    seen: dict[str, set[str]] = {}
    for lang in ("en", "ru", "kk"):
        colours = _colours(_scripts(pages[(lang, path)])["spec-compare"])
        for code in ("KAZ", "UZB", "KGZ"):
            seen.setdefault(code, set()).add(colours[name(code, lang)])  # type: ignore[arg-type]
    assert all(len(c) == 1 for c in seen.values()), seen
    assert len({next(iter(c)) for c in seen.values()}) == 3
