"""Bilateral measures agree with the reference R implementation, migest 2.0.1.

Reference values were produced by tests/data/migest/generate_reference.R (see the README there):
migest's own index_* functions run on seeded synthetic systems of 4-20 regions and on the
documented example matrices. Where keruen deliberately defines a measure differently, the test
checks the parts that should still agree.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from keruen.errors import EstimationError
from keruen.indicators import (
    bilateral_summary,
    distance_decay,
    gini_dest_field,
    gini_orig_field,
    mean_distance,
    median_distance,
)
from keruen.sources.tables import load_bilateral

DATA = Path(__file__).parent / "data" / "migest"
REL = 1e-6


def _reference() -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = defaultdict(dict)
    with (DATA / "reference.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            # R writes NA where migest cannot estimate (an aliased coefficient).
            value = row["value"]
            out[row["case"]][row["measure"]] = float("nan") if value == "NA" else float(value)
    return dict(out)


REFERENCE = _reference()
CASES = sorted(REFERENCE)
SAME_DEFINITION = (
    "effectiveness",
    "anmr",
    "preference",
    "velocity",
    "connectivity",
    "inequality_equal",
    "inequality_sim",
    "gini_total",
    "gini_orig_standardized",
    "gini_dest_standardized",
    "acv",
    "cmp",
    "courgeau_k",
    "distance_mean",
    "distance_decay",
)


def _load(case: str):
    return load_bilateral(
        DATA / "cases" / f"{case}_flows.csv",
        DATA / "cases" / f"{case}_pop.csv",
        DATA / "cases" / f"{case}_dist.csv",
    )


def test_reference_covers_4_to_20_regions_and_the_documented_examples() -> None:
    sizes = {int(c.rsplit("_n", 1)[1]) for c in CASES if c.startswith("synthetic")}
    assert min(sizes) == 4 and max(sizes) == 20 and len(sizes) >= 8
    assert "migest_example_n04" in CASES and "plane_mulligan_hyp_n03" in CASES


@pytest.mark.parametrize("case", CASES)
def test_measures_with_migest_definitions_match_migest(case: str) -> None:
    data = _load(case)
    ref = REFERENCE[case]
    if np.isnan(ref["distance_decay"]):
        # migest's glm reports the decay as NA (aliased): keruen refuses instead of guessing.
        with pytest.raises(EstimationError, match="not identified"):
            distance_decay(data.flows, data.distances)
        ours = bilateral_summary(data.flows, data.population)
        ours["distance_mean"] = mean_distance(data.flows, data.distances)
        keys = [k for k in SAME_DEFINITION if k != "distance_decay"]
    else:
        ours = bilateral_summary(data.flows, data.population, data.distances)
        keys = list(SAME_DEFINITION)
    for key in keys:
        assert ours[key] == pytest.approx(ref[key], rel=REL, abs=1e-12), key


@pytest.mark.parametrize("case", CASES)
def test_field_ginis_reproduce_migest_weighted_ginis_under_its_weighting(case: str) -> None:
    # migest (via migration.indices) weights origin i's out-field Gini by i's *in*-flow share
    # and divides by n; keruen weights by the own margin. Recombining keruen's field Ginis the
    # migest way must give migest's numbers, which pins the field Ginis themselves.
    data = _load(case)
    m = data.flows
    n, total = m.shape[0], m.sum()
    orig = float((gini_orig_field(m) * m.sum(axis=0) / total).sum() / n)
    dest = float((gini_dest_field(m) * m.sum(axis=1) / total).sum() / n)
    ref = REFERENCE[case]
    assert orig == pytest.approx(ref["mwg_orig_migest"], rel=REL, abs=1e-12)
    assert dest == pytest.approx(ref["mwg_dest_migest"], rel=REL, abs=1e-12)
    assert (orig + dest) / 2 == pytest.approx(ref["mwg_mean_migest"], rel=REL, abs=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_keruen_weighted_ginis_are_own_margin_weighted_means(case: str) -> None:
    data = _load(case)
    m = data.flows
    ours = bilateral_summary(m, data.population)
    expected = float(np.average(gini_orig_field(m), weights=m.sum(axis=1)))
    assert ours["mwg_orig"] == pytest.approx(expected, rel=1e-12)
    assert 0.0 <= ours["mwg_dest"] <= 1.0
    # keruen's index does not shrink with n the way migest's does.
    assert ours["mwg_orig"] >= REFERENCE[case]["mwg_orig_migest"]


@pytest.mark.parametrize("case", CASES)
def test_median_distance_is_the_median_over_migrants_computed_in_r(case: str) -> None:
    data = _load(case)
    assert median_distance(data.flows, data.distances) == pytest.approx(
        REFERENCE[case]["distance_median_expanded"], rel=1e-12
    )


def test_median_definitions_differ_somewhere_so_the_difference_is_documented() -> None:
    differ = [
        c
        for c in CASES
        if not np.isclose(
            REFERENCE[c]["distance_median_expanded"], REFERENCE[c]["distance_median_migest"]
        )
    ]
    assert differ, "if migest's interpolated median always agreed, the docstring would be wrong"


@pytest.mark.parametrize("case", [c for c in CASES if not np.isnan(REFERENCE[c]["distance_decay"])])
def test_profiled_decay_fit_matches_migest_glm(case: str) -> None:
    # Large systems use the profile-likelihood fit instead of the dense GLM: it must give the
    # same maximum-likelihood coefficient as migest's glm().
    data = _load(case)
    beta = distance_decay(data.flows, data.distances, method="profile")
    assert beta == pytest.approx(REFERENCE[case]["distance_decay"], rel=REL)
