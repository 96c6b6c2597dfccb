"""Migration systems: communities of a bilateral migration network and each country's role.

A period's bilateral table (flows or stocks, ``orig -> dest``) is a weighted directed graph.
Systems are its communities, found by maximising directed modularity with the Louvain method
(Blondel et al. 2008; Leicht & Newman 2008) as implemented in networkx, with a fixed seed so
that results repeat.  Each community is named after its largest member by total strength.

Roles: ``in_strength`` (weighted in-degree, immigrants or arrivals), ``out_strength``,
``net = in - out`` (receiver when positive, sender when negative) and ``hub`` or ``periphery``:
a hub's total strength is at least ``hub_share`` of the largest total strength in the period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from keruen.errors import EstimationError, InputError


@dataclass(frozen=True)
class MigrationSystems:
    """Communities and roles per period (``period`` is ``None``-free: ``"all"`` if none)."""

    members: pd.DataFrame
    roles: pd.DataFrame
    modularity: Mapping[object, float]
    method: str
    assumptions: tuple[str, ...]
    parameters: Mapping[str, object] = field(default_factory=dict)


def _clean(
    table: pd.DataFrame, orig: str, dest: str, value: str, period: str | None
) -> pd.DataFrame:
    cols = [orig, dest, value] + ([period] if period else [])
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise InputError(f"network table lacks columns {missing}", field=missing[0])
    df = table[cols].copy()
    vals = pd.to_numeric(df[value], errors="coerce")
    bad = vals.isna() | (vals < 0)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("values must be non-negative numbers", row=pos + 1, field=value)
    df[value] = vals.astype(float)
    df[orig], df[dest] = df[orig].astype(str), df[dest].astype(str)
    if period is None:
        df["period"] = "all"
    else:
        df = df.rename(columns={period: "period"})
    return df[df[orig] != df[dest]]


def detect_systems(
    table: pd.DataFrame,
    *,
    orig: str = "orig",
    dest: str = "dest",
    value: str = "value",
    period: str | None = None,
    seed: int = 0,
    resolution: float = 1.0,
    hub_share: float = 0.5,
) -> MigrationSystems:
    """Find migration systems and country roles in each period of a bilateral table."""
    import networkx as nx

    df = _clean(table, orig, dest, value, period)
    if df.empty:
        raise InputError("network table has no bilateral rows", field=value)
    member_rows, role_rows, modularity = [], [], {}
    for per, part in df.groupby("period", sort=True):
        g = nx.DiGraph()
        g.add_nodes_from(sorted(set(part[orig]) | set(part[dest])))
        for o, d, w in part[[orig, dest, value]].itertuples(index=False):
            if w > 0:
                g.add_edge(o, d, weight=w + (g[o][d]["weight"] if g.has_edge(o, d) else 0.0))
        if g.number_of_edges() == 0:
            raise EstimationError(f"period {per!r} has no positive flows to form systems")
        comms = nx.community.louvain_communities(
            g, weight="weight", resolution=resolution, seed=seed
        )
        modularity[per] = float(nx.community.modularity(g, comms, weight="weight"))
        ins = dict(g.in_degree(weight="weight"))
        outs = dict(g.out_degree(weight="weight"))
        total = {n: ins[n] + outs[n] for n in g}
        top = max(total.values())
        for comm in comms:
            name = max(sorted(comm), key=lambda n: total[n])
            for n in sorted(comm):
                member_rows.append(
                    {"period": per, "country": n, "system": name, "system_size": len(comm)}
                )
        for n in sorted(g):
            net = ins[n] - outs[n]
            role_rows.append(
                {
                    "period": per,
                    "country": n,
                    "in_strength": ins[n],
                    "out_strength": outs[n],
                    "net": net,
                    "position": "receiver" if net > 0 else ("sender" if net < 0 else "balanced"),
                    "role": "hub" if total[n] >= hub_share * top else "periphery",
                }
            )
    roles = pd.DataFrame(role_rows)
    roles["rank"] = (
        roles.assign(t=roles["in_strength"] + roles["out_strength"])
        .groupby("period")["t"]
        .rank(ascending=False, method="min")
        .astype(int)
    )
    return MigrationSystems(
        members=pd.DataFrame(member_rows),
        roles=roles,
        modularity=modularity,
        method="Louvain maximisation of directed, weighted modularity (networkx), per period",
        assumptions=(
            "a system is a group of countries exchanging more migrants among themselves than "
            "expected from their total in- and out-flows",
            f"hubs hold at least {hub_share:.0%} of the largest total strength in the period",
            "Louvain is heuristic: partitions can change with the seed; the seed is recorded",
        ),
        parameters={
            "seed": seed,
            "resolution": resolution,
            "hub_share": hub_share,
            "reference": "Blondel et al. (2008); Leicht & Newman (2008)",
        },
    )


def track_country(systems: MigrationSystems, country: str) -> pd.DataFrame:
    """One country's system, strengths, net position, role and rank in every period."""
    m = systems.members[systems.members["country"] == country]
    r = systems.roles[systems.roles["country"] == country]
    if m.empty:
        raise InputError(f"{country!r} is not in the network", field="country")
    return m.merge(r, on=["period", "country"]).sort_values("period").reset_index(drop=True)
