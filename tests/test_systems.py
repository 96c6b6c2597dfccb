"""Migration systems: planted communities are found, roles and tracking are right."""

from __future__ import annotations

import pandas as pd
import pytest

from keruen.errors import EstimationError, InputError
from keruen.models.synthetic import network_with_blocks
from keruen.models.systems import detect_systems, track_country


@pytest.mark.parametrize("seed", range(6))
def test_planted_blocks_are_recovered(seed: int) -> None:
    net = network_with_blocks(seed, n_blocks=3, size=5)
    assert net["synthetic"].all()
    res = detect_systems(net, seed=seed)
    found = res.members.groupby("system")["country"].apply(frozenset)
    truth = net.groupby("block")["orig"].apply(frozenset)
    assert set(found) == set(truth)
    assert res.modularity["all"] > 0.3
    assert res.parameters["seed"] == seed


def test_same_seed_same_partition() -> None:
    net = network_with_blocks(11, within=20.0, between=8.0)
    a, b = detect_systems(net, seed=3), detect_systems(net, seed=3)
    pd.testing.assert_frame_equal(a.members, b.members)


def _star(period: int, centre: str, leaves: list[str], inflow: float) -> list[dict]:
    rows = []
    for leaf in leaves:
        rows.append({"orig": leaf, "dest": centre, "value": inflow, "year": period})
        rows.append({"orig": centre, "dest": leaf, "value": 1.0, "year": period})
    return rows


def test_roles_and_tracking_over_periods() -> None:
    east, west = ["E1", "E2", "E3"], ["W1", "W2", "W3"]
    rows = []
    for year in (2000, 2010):
        rows += _star(year, "HE", east, 50.0) + _star(year, "HW", west, 50.0)
    # KZ sends to the eastern hub in 2000 and to the western hub in 2010
    rows.append({"orig": "KZ", "dest": "HE", "value": 60.0, "year": 2000})
    rows.append({"orig": "KZ", "dest": "HW", "value": 60.0, "year": 2010})
    rows.append({"orig": "HE", "dest": "HW", "value": 1.0, "year": 2000})
    rows.append({"orig": "HE", "dest": "HW", "value": 1.0, "year": 2010})
    res = detect_systems(pd.DataFrame(rows), period="year", seed=1)
    kz = track_country(res, "KZ")
    assert list(kz["period"]) == [2000, 2010]
    assert list(kz["system"]) == ["HE", "HW"]
    assert (kz["position"] == "sender").all() and (kz["role"] == "periphery").all()
    hub = res.roles[(res.roles["country"] == "HE") & (res.roles["period"] == 2000)].iloc[0]
    assert hub["role"] == "hub" and hub["position"] == "receiver" and hub["rank"] == 1
    assert hub["in_strength"] == 3 * 50.0 + 60.0


def test_bad_network_inputs_are_named_errors() -> None:
    with pytest.raises(InputError, match="lacks columns"):
        detect_systems(pd.DataFrame({"orig": ["A"], "dest": ["B"]}))
    with pytest.raises(InputError, match="non-negative") as info:
        detect_systems(pd.DataFrame({"orig": ["A", "B"], "dest": ["B", "A"], "value": [1.0, -3.0]}))
    assert info.value.row == 2
    with pytest.raises(EstimationError, match="no positive flows"):
        detect_systems(pd.DataFrame({"orig": ["A"], "dest": ["B"], "value": [0.0]}))
    net = network_with_blocks(0)
    with pytest.raises(InputError, match="not in the network"):
        track_country(detect_systems(net), "KZ")
