"""Estimates written to the store: flagged E, provenance with method and parameters, idempotent."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.errors import InputError
from keruen.store import Store
from keruen.store.estimates import PUBLISHER, Estimate, content_hash, store_estimates


def _estimate(value: float = 10.0, rate: float = 0.01) -> Estimate:
    rows = pd.DataFrame(
        {
            "measure": ["migrant_flow_in", "migrant_flow_out"],
            "ref_area": ["KAZ", "KAZ"],
            "counterpart_area": ["RUS", "RUS"],
            "period": ["2015-2019", "2015-2019"],
            "value": [value, 2.5],
            "unit": ["persons", "persons"],
        }
    )
    return Estimate(
        model="flows from stocks",
        rows=rows,
        method="test method",
        assumptions=("closed world",),
        parameters={"death_rate": rate},
        inputs=(
            {"dataset": "UNDESA_IMS", "vintage": "IMS 2019 revision", "release": "2019-09-01"},
        ),
    )


def test_stored_estimate_is_flagged_e_with_method_and_parameters_in_provenance() -> None:
    store = Store(":memory:")
    [res] = store_estimates(store, [_estimate()])
    assert res.rows_added == 2 and not res.already_present
    obs = store.observations("KERUEN_ESTIMATES_FLOWS_FROM_STOCKS", counterpart_area="RUS")
    assert set(obs["obs_status"]) == {"E"}
    assert sorted(obs["value"]) == [2.5, 10.0]
    src = store.sources().iloc[0]
    assert src["publisher"] == PUBLISHER
    assert src["release"] == "2019-09-01"  # the newest input's release, not the run date
    notes = json.loads(src["notes"])
    assert notes["method"] == "test method"
    assert notes["parameters"] == {"death_rate": 0.01}
    assert notes["inputs"][0]["dataset"] == "UNDESA_IMS"
    assert src["sha256"] == content_hash(_estimate())


def test_second_run_adds_nothing_and_changed_inputs_make_a_new_vintage() -> None:
    store = Store(":memory:")
    store_estimates(store, [_estimate()])
    before = store.checksum()
    [again] = store_estimates(store, [_estimate()])
    assert again.already_present and again.rows_added == 0
    assert store.checksum() == before
    [changed] = store_estimates(store, [_estimate(rate=0.012)])
    assert not changed.already_present
    assert len(store.vintages("KERUEN_ESTIMATES_FLOWS_FROM_STOCKS")) == 2
    [other] = store_estimates(store, [_estimate(value=11.0)])
    assert not other.already_present


def test_an_estimate_with_a_missing_value_is_refused() -> None:
    with pytest.raises(InputError):
        store_estimates(Store(":memory:"), [_estimate(value=float("nan"))])


def test_report_estimates_land_in_the_store_as_estimates(snapshot_store: Store) -> None:
    from keruen.analysis import ESTIMATED, estimates_of, peer_group, run

    sections = run(snapshot_store, peer_group("KAZ"), only=ESTIMATED)
    estimates = estimates_of(sections)
    assert {e.dataset for e in estimates} >= {
        "KERUEN_ESTIMATES_FLOWS_FROM_STOCKS",
        "KERUEN_ESTIMATES_REMITTANCE_CORRIDORS",
        "KERUEN_ESTIMATES_MIGRANT_VOLUMES",
        "KERUEN_ESTIMATES_GRAVITY",
        "KERUEN_ESTIMATES_FORECAST",
        "KERUEN_ESTIMATES_SYSTEMS",
    }
    store_estimates(snapshot_store, estimates)
    before = snapshot_store.checksum()
    assert all(r.already_present for r in store_estimates(snapshot_store, estimates))
    assert snapshot_store.checksum() == before
    flows = snapshot_store.observations(
        "KERUEN_ESTIMATES_FLOWS_FROM_STOCKS", "migrant_flow_out", "KAZ"
    )
    assert set(flows["obs_status"]) == {"E"} and set(flows["publisher"]) == {PUBLISHER}
    # the stored partner flows add up to the section's Kazakhstan totals, period by period
    stored = flows.groupby("period")["value"].sum()
    table = sections["flows"].tables["flows"].set_index("period")["outflow"]
    pd.testing.assert_series_equal(stored, table, check_names=False, rtol=1e-9)


def test_cli_estimate_kazakhstan_stores_once(home: object) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["estimate", "kazakhstan"])
    assert first.exit_code == 0, first.output
    assert "rows added" in first.output and "already held" not in first.output
    second = runner.invoke(main, ["estimate", "kazakhstan"])
    assert second.exit_code == 0, second.output
    assert second.output.count("already held") == 6
    listed = runner.invoke(main, ["sources", "--format", "csv"])
    assert "KERUEN_ESTIMATES_GRAVITY" in listed.output and PUBLISHER in listed.output
