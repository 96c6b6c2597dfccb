"""Pure computation of migration indicators on tables and matrices (no I/O).

Bilateral (origin–destination) measures follow Bell et al. (2002), "Cross-national comparison of
internal migration: issues and measures", JRSS A 165(3); the UN Manual VI (1970); Plane &
Mulligan (1997); and are checked against the R package migest 2.0.
"""

from keruen.indicators.distance import (
    as_distance_matrix,
    distance_decay,
    mean_distance,
    median_distance,
    weighted_median,
)
from keruen.indicators.distribution import hhi, shares, top_k_share
from keruen.indicators.flows import (
    as_flow_matrix,
    in_flows,
    matrix_from_long,
    net_flows,
    out_flows,
    population_vector,
    region_totals,
    turnover,
)
from keruen.indicators.focusing import (
    acv,
    connectivity,
    cv_dest,
    cv_orig,
    focusing_measures,
    gini_dest_field,
    gini_dest_standardized,
    gini_orig_field,
    gini_orig_standardized,
    gini_total,
    independence_fit,
    inequality_equal,
    inequality_sim,
    mwg_dest,
    mwg_mean,
    mwg_orig,
)
from keruen.indicators.impact import (
    anmr,
    effectiveness,
    preference,
    preference_matrix,
    velocity,
    velocity_matrix,
)
from keruen.indicators.intensity import (
    cmp,
    courgeau_k,
    courgeau_k_matrix,
    crude_migration_probability,
)
from keruen.indicators.summary import DISTANCE_KEYS, SUMMARY_KEYS, bilateral_summary

__all__ = [
    "DISTANCE_KEYS",
    "SUMMARY_KEYS",
    "acv",
    "anmr",
    "as_distance_matrix",
    "as_flow_matrix",
    "bilateral_summary",
    "cmp",
    "connectivity",
    "courgeau_k",
    "courgeau_k_matrix",
    "crude_migration_probability",
    "cv_dest",
    "cv_orig",
    "distance_decay",
    "effectiveness",
    "focusing_measures",
    "gini_dest_field",
    "gini_dest_standardized",
    "gini_orig_field",
    "gini_orig_standardized",
    "gini_total",
    "hhi",
    "in_flows",
    "independence_fit",
    "inequality_equal",
    "inequality_sim",
    "matrix_from_long",
    "mean_distance",
    "median_distance",
    "mwg_dest",
    "mwg_mean",
    "mwg_orig",
    "net_flows",
    "out_flows",
    "population_vector",
    "preference",
    "preference_matrix",
    "region_totals",
    "shares",
    "top_k_share",
    "turnover",
    "velocity",
    "velocity_matrix",
    "weighted_median",
]
