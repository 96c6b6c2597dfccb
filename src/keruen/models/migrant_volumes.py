"""Labour-migrant numbers implied by remittance outflows.

``N = R / (p * r)``: the outflow ``R`` (e.g. personal remittances sent from Russia to
Kazakhstan in a year), divided by the average yearly amount ``r`` sent per remitting migrant
and the share ``p`` of migrants who remit.  Neither ``r`` nor ``p`` is observed for a
corridor; both come from surveys, so the result always carries a range: the central value
uses ``(r, p)``, the bounds use ``(r_high, p_high)`` and ``(r_low, p_low)`` (a larger amount
per migrant implies fewer migrants).  The method follows the "remittance-implied migration"
reasoning used, e.g., by the World Bank Migration and Remittances Factbook; the numbers it
gives are only as good as the per-migrant assumption, which is stated beside them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from keruen.errors import InputError


@dataclass(frozen=True)
class MigrantVolumes:
    """Implied migrant numbers: ``estimates`` has ``central``, ``low`` and ``high`` columns."""

    estimates: pd.DataFrame
    method: str
    assumptions: tuple[str, ...]
    parameters: Mapping[str, object] = field(default_factory=dict)


def _positive(x: float, name: str, upper: float | None = None) -> float:
    if not np.isfinite(x) or x <= 0 or (upper is not None and x > upper):
        bound = f" and at most {upper}" if upper is not None else ""
        raise InputError(f"{name} must be positive{bound}, got {x!r}", field=name)
    return float(x)


def migrants_from_remittances(
    outflows: pd.Series,
    per_migrant: float,
    *,
    per_migrant_range: tuple[float, float] | None = None,
    remitter_share: float = 1.0,
    remitter_share_range: tuple[float, float] | None = None,
) -> MigrantVolumes:
    """Divide remittance outflows by the yearly amount per migrant, with a sensitivity range.

    ``per_migrant_range = (r_low, r_high)`` defaults to ±30 % of ``per_migrant``;
    ``remitter_share_range`` to ``remitter_share`` itself.  ``low = R / (p_high * r_high)``,
    ``high = R / (p_low * r_low)``.
    """
    r = _positive(per_migrant, "per_migrant")
    r_low, r_high = per_migrant_range if per_migrant_range is not None else (0.7 * r, 1.3 * r)
    _positive(r_low, "per_migrant_range")
    _positive(r_high, "per_migrant_range")
    if not r_low <= r <= r_high:
        raise InputError(
            f"per_migrant_range {r_low, r_high} must bracket {r}", field="per_migrant_range"
        )
    p = _positive(remitter_share, "remitter_share", 1.0)
    p_low, p_high = remitter_share_range if remitter_share_range is not None else (p, p)
    _positive(p_low, "remitter_share_range", 1.0)
    _positive(p_high, "remitter_share_range", 1.0)
    if not p_low <= p <= p_high:
        raise InputError(
            f"remitter_share_range {p_low, p_high} must bracket {p}", field="remitter_share_range"
        )
    flows = pd.to_numeric(pd.Series(outflows), errors="coerce")
    bad = flows.isna() | (flows < 0)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            "remittance outflows must be non-negative numbers", row=pos + 1, field="outflows"
        )
    est = pd.DataFrame(
        {
            "outflow": flows.astype(float),
            "central": flows / (p * r),
            "low": flows / (p_high * r_high),
            "high": flows / (p_low * r_low),
        }
    )
    return MigrantVolumes(
        estimates=est,
        method="remittance-implied migrant numbers, N = R / (p * r)",
        assumptions=(
            f"a remitting migrant sends {r:g} a year on average (range {r_low:g}-{r_high:g})",
            f"a share {p:g} of migrants remits (range {p_low:g}-{p_high:g})",
            "recorded outflows capture the remittances of these migrants (no informal channels)",
            "every remitting migrant is counted once, whatever the length of stay",
        ),
        parameters={
            "per_migrant": r,
            "per_migrant_range": (r_low, r_high),
            "remitter_share": p,
            "remitter_share_range": (p_low, p_high),
        },
    )
