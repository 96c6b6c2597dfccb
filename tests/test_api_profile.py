"""``keruen.api.profile``: a country's sections, the very numbers its report shows."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import keruen.api as kr
from keruen.analysis import ESTIMATED, Section
from keruen.report.numbers import clean, numbers
from keruen.store import Store


@pytest.mark.parametrize("country", ["KAZ", "UZB"])
def test_the_profile_is_what_the_report_shows(
    snapshot_store: Store, built_report: Callable[[str, str], Path], country: str
) -> None:
    profile = kr.profile(country, store=snapshot_store)
    assert profile.country == country
    assert all(isinstance(s, Section) for s in profile.values())
    shown = json.loads((built_report(country, "en") / "numbers.json").read_text("utf-8"))
    # numbers.json is written from the sections; the profile's give the same file
    assert json.loads(json.dumps(clean(numbers(dict(profile))), default=str)) == shown
    trend = pd.read_csv(built_report(country, "en") / "tables" / "trend.csv")
    ours = profile["trend"].tables["series"]
    assert list(trend["year"]) == list(ours["year"])


def test_a_profile_names_what_is_not_held(snapshot_store: Store) -> None:
    tkm = kr.profile("Turkmenistan", store=snapshot_store)
    assert tkm.country == "TKM"
    assert "volumes" in tkm.not_held and tkm.not_held["volumes"]  # no remittances paid
    assert set(ESTIMATED) <= set(tkm)
    assert "labour" not in tkm  # Kazakhstan's administrative figures only
