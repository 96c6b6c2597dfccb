"""Migration systems of the UN DESA stock network and a country's place in them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from keruen.analysis.provenance import merge_sources, source_line
from keruen.analysis.scope import Scope, country_name
from keruen.analysis.section import Section, not_held
from keruen.areas import group_members
from keruen.errors import InputError
from keruen.models.systems import detect_systems, track_country
from keruen.store import Store
from keruen.store.estimates import Estimate, inputs_of

SYSTEM_SEED = 0


def new_memo(store: Store) -> dict[tuple[str, ...], object]:
    """An empty memo of the migration networks detected in one run (shared by its countries)."""
    return {}
#: regional network is its peer group.
POST_SOVIET = "post_soviet"


def region_network(scope: Scope) -> tuple[str, tuple[str, ...]]:
    """(name, members) of the regional network in which a country's system is traced."""
    post_soviet = group_members(POST_SOVIET)
    if scope.country in post_soviet:
        return POST_SOVIET, tuple(post_soviet)
    return scope.group, tuple(sorted({*scope.members, scope.country}))


def systems(
    store: Store,
    scope: Scope,
    bilateral_stocks: dict[str, pd.DataFrame],
    system_networks: dict[tuple[str, ...], object],
) -> Section:
    """Migration systems of the UN DESA stock network per period; the country's place in them.

    The paper's claim (a Central Asian subsystem with Kazakhstan as its receiving centre) is
    asked of any country and its neighbourhood (:attr:`~keruen.analysis.scope.Scope.neighbours`)
    on its regional network (:func:`region_network`): in the latest period, does the country
    share its system with at least two neighbours, is it that system's largest member, and
    does it hold more migrants born in its neighbours than they hold of its natives?
    ``system_networks`` memoises the detected systems (the world's is the same for every
    country); ``bilateral_stocks`` is :func:`keruen.analysis.stocks.stocks_by_period`.
    """
    country = scope.country
    stocks, networks = bilateral_stocks, system_networks
    long = pd.concat(
        [s[["orig", "dest", "stock"]].assign(period=p) for p, s in stocks.items()],
        ignore_index=True,
    )
    if not ((long["orig"] == country) | (long["dest"] == country)).any():
        return not_held("systems", country, "bilateral_stocks")
    if ("world",) not in networks:
        networks[("world",)] = detect_systems(
            long, value="stock", period="period", seed=SYSTEM_SEED
        )
    world = networks[("world",)]
    network, members = region_network(scope)
    if members not in networks:
        sub = long[long["orig"].isin(members) & long["dest"].isin(members)]
        networks[members] = detect_systems(sub, value="stock", period="period", seed=SYSTEM_SEED)
    region = networks[members]
    try:
        own_world = track_country(world, country)  # type: ignore[arg-type]
        own_region = track_country(region, country)  # type: ignore[arg-type]
    except InputError:
        return not_held("systems", country, "bilateral_stocks")
    near = list(scope.neighbours)
    rows = []
    for p in sorted(set(own_world["period"]) & set(own_region["period"])):
        mem = region.members[region.members["period"] == p]  # type: ignore[attr-defined]
        system = mem.loc[mem["country"] == country, "system"].iloc[0]
        in_system = sorted(mem.loc[mem["system"] == system, "country"])
        wmem = world.members[world.members["period"] == p]  # type: ignore[attr-defined]
        wsys = wmem.loc[wmem["country"] == country, "system"].iloc[0]
        s = stocks[p]
        into = s[(s["dest"] == country) & s["orig"].isin(near)]["stock"]
        out = s[(s["orig"] == country) & s["dest"].isin(near)]["stock"]
        # no stock held for any neighbour is not a stock of zero
        from_n = float(into.sum()) if len(into) else np.nan
        to_n = float(out.sum()) if len(out) else np.nan
        rows.append(
            {
                "period": p,
                "world_system": wsys,
                "world_system_size": int((wmem["system"] == wsys).sum()),
                "region_system": system,
                "region_members": in_system,
                "neighbours_in_system": sorted(set(in_system) & set(near)),
                "is_centre": system == country,
                "from_neighbours": from_n,
                "to_neighbours": to_n,
                "net_neighbours": from_n - to_n,
            }
        )
    track = pd.DataFrame(rows).merge(
        own_world[["period", "in_strength", "out_strength", "net", "position", "role", "rank"]],
        on="period",
    )
    last = track.iloc[-1]
    checks = {
        "same_system": len(last["neighbours_in_system"]) >= 2,
        "centre": bool(last["is_centre"]),
        "receives_from_neighbours": bool(last["net_neighbours"] > 0),
    }
    est_rows = [
        {
            "measure": measure,
            "ref_area": country,
            "breakdown": f"network={net}",
            "period": str(r["period"]),
            "value": float(r[col]),
            "unit": unit,
        }
        for _, r in own_world.iterrows()
        for measure, col, unit, net in (
            ("system_size", "system_size", "countries", "world"),
            ("system_rank", "rank", "rank", "world"),
        )
    ] + [
        {
            "measure": "system_size",
            "ref_area": country,
            "breakdown": f"network={network}",
            "period": str(r["period"]),
            "value": float(r["system_size"]),
            "unit": "countries",
        }
        for _, r in own_region.iterrows()
    ]
    values = {
        "country": country,
        "method": world.method,  # type: ignore[attr-defined]
        "assumptions": world.assumptions,  # type: ignore[attr-defined]
        "seed": SYSTEM_SEED,
        "network": network,
        "neighbours": near,
        "checks": checks,
        "supported": all(checks.values()),
        "first_period": str(track.iloc[0]["period"]),
        "last_period": str(last["period"]),
        "modularity": {str(k): v for k, v in world.modularity.items()},  # type: ignore[attr-defined]
        "estimates": [
            Estimate(
                model="systems",
                rows=pd.DataFrame(est_rows),
                method=world.method,  # type: ignore[attr-defined]
                assumptions=world.assumptions,  # type: ignore[attr-defined]
                parameters=dict(world.parameters),  # type: ignore[attr-defined]
                inputs=inputs_of(long.assign(**_prov(stocks))),
                title=f"{country_name(country)}'s migration system (UN DESA stock network)",
            )
        ],
    }
    sources = merge_sources(*(source_line(s) for s in stocks.values()))
    return Section("systems", {"track": track}, values, sources)


def _prov(stocks: dict[str, pd.DataFrame]) -> dict[str, object]:
    first = next(iter(stocks.values()))
    return {c: first[c].iloc[0] for c in ("dataset", "vintage", "release") if c in first}
