"""All system-wide bilateral migration measures of one flow matrix, as one flat mapping."""

from __future__ import annotations

from numpy.typing import ArrayLike

from keruen.indicators import distance, focusing, impact, intensity
from keruen.indicators.flows import as_flow_matrix

#: Keys of :func:`bilateral_summary`, in output order (distance keys only with distances).
SUMMARY_KEYS: tuple[str, ...] = (
    "effectiveness",
    "anmr",
    "preference",
    "velocity",
    *focusing.FOCUSING_KEYS,
    "cmp",
    "courgeau_k",
)
DISTANCE_KEYS: tuple[str, ...] = ("distance_mean", "distance_median", "distance_decay")


def bilateral_summary(
    m: ArrayLike,
    population: ArrayLike,
    distances: ArrayLike | None = None,
    *,
    median: distance.MedianMethod = "interpolate",
) -> dict[str, float]:
    """Impact, connectivity, focusing and intensity measures (plus distance ones if given).

    The keys are :data:`SUMMARY_KEYS` (+ :data:`DISTANCE_KEYS`); each value is documented by the
    function of the same name in :mod:`keruen.indicators`; ``median`` is the method of
    :func:`~keruen.indicators.distance.median_distance` (migest's interpolated one by default).
    """
    a = as_flow_matrix(m)
    out: dict[str, float] = {
        "effectiveness": impact.effectiveness(a),
        "anmr": impact.anmr(a, population),
        "preference": impact.preference(a, population),
        "velocity": impact.velocity(a, population),
        **focusing.focusing_measures(a),
        "cmp": intensity.cmp(a, population),
        "courgeau_k": intensity.courgeau_k_matrix(a, population),
    }
    if distances is not None:
        out["distance_mean"] = distance.mean_distance(a, distances)
        out["distance_median"] = distance.median_distance(a, distances, method=median)
        out["distance_decay"] = distance.distance_decay(a, distances)
    return out
