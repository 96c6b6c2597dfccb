"""The report's forecasts section names what could not be estimated instead of failing."""

from __future__ import annotations

import pytest

from keruen.analysis import forecasts as fc_section
from keruen.analysis.scope import peer_group
from keruen.store import Store


def test_a_series_the_model_cannot_fit_is_named_with_the_reason(
    snapshot_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ARIMA(1,1,0) cannot be fitted on Nicaragua's bundled receipts (statsforecast fails);
    # with ARIMA as the report's model the section used to raise and end the report
    monkeypatch.setattr(fc_section, "FORECAST_MODELS", ("arima",))
    sec = fc_section.forecasts(snapshot_store, peer_group("NIC"))
    assert sec.held  # the other series is still forecast
    why = sec.values["not_estimated"]
    assert list(why) == ["remittances_received"]
    assert "arima could not be fitted" in why["remittances_received"]
    assert list(sec.values["verdicts"]) == ["remittances_paid:arima"]
    assert set(sec.tables["series"]["concept"]) == {"remittances_paid"}


def test_kazakhstans_forecast_bounds_are_not_negative(snapshot_store: Store) -> None:
    sec = fc_section.forecasts(snapshot_store, peer_group("KAZ"))
    fc = sec.tables["series"].dropna(subset=["lower"])
    assert len(fc) == 10  # five years of receipts and of payments
    assert (fc[["value", "lower", "upper"]] >= 0).all().all()
