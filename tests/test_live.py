"""Live checks against the real services; excluded by default (run with ``-m live``)."""

from __future__ import annotations

import pytest

from keruen.sources import worldbank

pytestmark = pytest.mark.live


def test_world_bank_api_answers_in_the_documented_shape() -> None:
    [batch] = worldbank.update(["SM.POP.TOTL"], countries=["KAZ", "UZB"], years="2015:2020")
    assert set(batch.frame["ref_area"]) <= {"KAZ", "UZB"} and not batch.frame.empty
    assert batch.provenance.title and batch.provenance.release[:2] == "20"


def test_world_bank_in_band_error_is_still_reported() -> None:
    from keruen.errors import SourceError

    with pytest.raises(SourceError):
        worldbank.update(["NOT.AN.INDICATOR.XYZ"], countries=["KAZ"])
