"""Migration systems per UN DESA stock period, as a table (behind :func:`keruen.api.systems`).

The network, the model and its seed are the systems section's (:func:`keruen.analysis.systems.
systems`): each period's UN DESA country-to-country migrant stocks (origin → residence)
form a weighted directed graph whose Louvain communities (:func:`keruen.models.systems.
detect_systems`, seed :data:`keruen.analysis.systems.SYSTEM_SEED`) are the migration systems.
``network="post_soviet"`` keeps only stocks between post-Soviet states, the report's
sub-network for the Central Asian subsystem.

Detecting the systems of every period takes seconds, so the result is kept per process, keyed
on the sha256 of the UN DESA files held (a new vintage gives new systems).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from keruen.analysis.stocks import stocks_by_period
from keruen.analysis.systems import SYSTEM_SEED
from keruen.areas import group_members
from keruen.errors import ConfigError, DataNotAvailableError
from keruen.models.systems import MigrationSystems, detect_systems

if TYPE_CHECKING:
    from keruen.store import Store

#: The networks :func:`systems` detects systems in.
NETWORKS = ("world", "post_soviet")
#: The dataset whose bilateral stocks form the network.
DATASET = "UNDESA_IMS"
#: Unit of the strength columns.
STRENGTH_UNIT = "persons (migrant stock: in = immigrants held, out = emigrants abroad)"
#: Columns of :func:`systems`, in order.
COLUMNS = (
    "network",
    "period",
    "country",
    "system",
    "system_size",
    "in_strength",
    "out_strength",
    "net",
    "position",
    "role",
    "rank",
    "modularity",
    "unit",
    "dataset",
    "vintage",
    "release",
    "publisher",
    "licence",
    "method",
    "seed",
)

_LOCK = threading.Lock()
_MEMO: dict[tuple[tuple[str, ...], str], pd.DataFrame] = {}


def _digest(store: Store) -> tuple[str, ...]:
    rows = store.con.execute(
        "SELECT sha256 FROM sources WHERE dataset = ? ORDER BY sha256", [DATASET]
    ).fetchall()
    return tuple(str(r[0]) for r in rows)


def _table(result: MigrationSystems, network: str, prov: dict[str, Any], seed: int) -> pd.DataFrame:
    """Members joined with roles, one row per period and country, with provenance."""
    frame = result.members.merge(result.roles, on=["period", "country"], how="left")
    frame = frame.assign(
        network=network,
        period=frame["period"].astype(str),
        modularity=frame["period"].map(lambda p: result.modularity[p]),
        unit=STRENGTH_UNIT,
        method=result.method,
        seed=seed,
        **prov,
    )
    frame = frame.sort_values(["period", "system", "country"], ignore_index=True)
    return frame[list(COLUMNS)]


def _compute(store: Store) -> dict[str, pd.DataFrame]:
    """Both networks' systems in every period held (the systems section's inputs and seed)."""
    stocks = stocks_by_period(store)
    if not stocks:
        raise DataNotAvailableError(
            f"no bilateral migrant stocks ({DATASET}) in the store; load the UN DESA "
            "International Migrant Stock tables (keruen update undesa)"
        )
    long = pd.concat(
        [s[["orig", "dest", "stock"]].assign(period=p) for p, s in stocks.items()],
        ignore_index=True,
    )
    first = next(iter(stocks.values()))
    prov = {
        c: str(first[c].iloc[0]) if c in first and len(first) else ""
        for c in ("dataset", "vintage", "release", "publisher", "licence")
    }
    post_soviet = set(group_members("post_soviet"))
    networks = {
        "world": long,
        "post_soviet": long[long["orig"].isin(post_soviet) & long["dest"].isin(post_soviet)],
    }
    return {
        name: _table(
            detect_systems(net, value="stock", period="period", seed=SYSTEM_SEED),
            name,
            prov,
            SYSTEM_SEED,
        )
        for name, net in networks.items()
    }


def systems_table(store: Store, network: str) -> pd.DataFrame:
    """All periods of one network's systems (memoised on the UN DESA files' sha256)."""
    if network not in NETWORKS:
        raise ConfigError(f"unknown network {network!r}; expected one of {', '.join(NETWORKS)}")
    digest = _digest(store)
    with _LOCK:  # one computation at a time; later callers find the memo
        if (digest, network) not in _MEMO:
            tables = _compute(store)
            for key in [k for k in _MEMO if k[0] != digest]:
                del _MEMO[key]
            for name, table in tables.items():
                _MEMO[(digest, name)] = table
        return _MEMO[(digest, network)]


def select(
    table: pd.DataFrame, periods: list[str] | None, countries: Iterable[str] | None
) -> pd.DataFrame:
    """Rows of the given periods (all if None; one not held is an error) and countries."""
    held = sorted(table["period"].unique())
    out = table
    if periods is not None:
        absent = [p for p in periods if p not in held]
        if absent and len(absent) == len(periods):
            raise DataNotAvailableError(
                f"no migrant-stock period {', '.join(absent[:5])} held; periods held: "
                f"{', '.join(held)}"
            )
        out = out[out["period"].isin(periods)]
    if countries is not None:
        out = out[out["country"].isin(list(countries))]
    return out.reset_index(drop=True)
