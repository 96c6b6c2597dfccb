"""SWOT items as data (``data/swot_items.toml``), chosen by the country's role.

A country's *role* (:func:`country_role`) says which items speak to it: a **receiving**
country (its workers abroad send more home than foreign workers send out of it, e.g.
Uzbekistan) is judged on its dependence on remittances, its concentration on one sender, the
cost of sending money to it and its emigration; a **sending** country (a net payer, e.g. the
paper's Kazakhstan) on its pull on foreign workers. Items of role ``both`` apply to every
country. :func:`receiving_items` computes the generic items of a receiving country from the
store and its sections, each judged against the threshold the data file gives and names.
"""

from __future__ import annotations

import math
import operator
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import pandas as pd

from keruen.analysis.missing import reported
from keruen.analysis.peers import STALE_YEARS
from keruen.analysis.section import Section
from keruen.analysis.stocks import bilateral_periods, bilateral_stocks
from keruen.errors import ConfigError
from keruen.store import Store
from keruen.store.concepts import concept_series

Role = Literal["receiving", "sending", "both"]
#: A donor–recipient index within ±this margin of 0 makes a country both receiving and sending.
ROLE_MARGIN = 0.2
#: First year of the window over which remittances received must have grown.
GROWTH_FROM = 2016
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_FIELDS = ("key", "role", "quadrant", "indicator", "op", "threshold", "threshold_text")
_QUADRANTS = ("strengths", "weaknesses", "opportunities", "threats")


@dataclass(frozen=True)
class ItemSpec:
    """One item of ``data/swot_items.toml`` (see the file's header for each field)."""

    key: str
    role: Role
    quadrant: str
    indicator: str
    op: str
    threshold: float | str
    threshold_text: str
    threshold_source: str
    source: str

    def meets(self, value: float, threshold: float | None = None) -> bool:
        """Whether ``value`` meets the item's threshold (``threshold`` when it is computed)."""
        limit = float(self.threshold) if threshold is None else threshold
        return _OPS[self.op](value, limit)


@cache
def item_specs() -> dict[str, ItemSpec]:
    """The items of ``data/swot_items.toml`` by key (checked: a bad row is named)."""
    text = resources.files("keruen.data").joinpath("swot_items.toml").read_text("utf-8")
    specs: dict[str, ItemSpec] = {}
    for n, row in enumerate(tomllib.loads(text).get("item", []), 1):
        where = f"data/swot_items.toml, item {n} ({row.get('key', '?')})"
        missing = [f for f in _FIELDS if f not in row]
        if missing:
            raise ConfigError(f"{where}: missing field(s) {', '.join(missing)}")
        if row["role"] not in ("receiving", "sending", "both"):
            raise ConfigError(f"{where}: role {row['role']!r}; valid: receiving, sending, both")
        if row["quadrant"] not in _QUADRANTS or row["op"] not in _OPS:
            raise ConfigError(f"{where}: quadrant or op not one of {_QUADRANTS} / {list(_OPS)}")
        specs[row["key"]] = ItemSpec(
            **{f: row[f] for f in _FIELDS},
            threshold_source=row.get("threshold_source", ""),
            source=row.get("source", ""),
        )
    return specs


def country_role(trend: Section) -> Role:
    """``receiving``, ``sending`` or ``both``, from remittances received and paid.

    The donor–recipient index (paid − received) ÷ (paid + received) of the latest year with
    both flows: below −:data:`ROLE_MARGIN` receiving, above +:data:`ROLE_MARGIN` sending, else
    both. With one flow held only, that flow's role; with none, both.
    """
    series = trend.tables.get("series", pd.DataFrame())
    if series.empty:
        return "both"
    both = series.dropna(subset=["dri"])
    if len(both):
        dri = float(both["dri"].iloc[-1])
        return "receiving" if dri < -ROLE_MARGIN else "sending" if dri > ROLE_MARGIN else "both"
    has_in, has_out = series["inflow"].notna().any(), series["outflow"].notna().any()
    if has_in != has_out:
        return "receiving" if has_in else "sending"
    return "both"


def applies(spec: ItemSpec, role: Role) -> bool:
    """Whether an item of ``spec`` is given to a country of ``role``."""
    return spec.role == "both" or role == "both" or spec.role == role


@dataclass(frozen=True)
class Measured:
    """An indicator's value for a country: value (NaN: not held), period, extra, area named."""

    value: float
    period: str = ""
    extra: float = math.nan
    area: str = ""
    threshold: float | None = None


def receiving_items(
    store: Store, country: str, trend: Section, share_gdp: Section
) -> list[tuple[ItemSpec, Measured]]:
    """The generic items of role ``receiving``, each with what was measured for ``country``."""
    specs = item_specs()
    measured = {
        "receipts_growth": _growth(trend),
        "cheap_sending": _cost(store, country),
        "dependence": _dependence(share_gdp, country),
        "emigration": _emigration(store, country),
        "sender_concentration": _concentration(store, country),
    }
    return [(specs[k], m) for k, m in measured.items()]


def _growth(trend: Section) -> Measured:
    series = trend.tables["series"].dropna(subset=["inflow"]).set_index("year")["inflow"]
    window = series[series.index >= GROWTH_FROM]
    if len(window) < 3:
        return Measured(math.nan)
    change = 100.0 * (float(window.iloc[-1]) / float(window.iloc[0]) - 1.0)
    return Measured(change, f"{int(window.index[0])}–{int(window.index[-1])}")


def _cost(store: Store, country: str) -> Measured:
    cost = reported(concept_series(store, "remittance_cost_to", [country]))
    if cost.empty:
        return Measured(math.nan)
    last = cost.sort_values("period").iloc[-1]
    return Measured(float(last["value"]), str(last["period"]))


def _dependence(share_gdp: Section, country: str) -> Measured:
    shares = share_gdp.tables["shares"]
    own = shares.loc[shares["ref_area"] == country, "share_derived"].dropna()
    if len(own):
        return Measured(float(own.iloc[0]), str(share_gdp.values["derived_year"]))
    # inflows ending before the table's year (Turkmenistan's, in the release the trend reads):
    # the country's own latest year, if it is not stale
    latest = share_gdp.values.get("own_latest")
    derived = share_gdp.values.get("derived_year")
    if latest and derived and int(derived) - int(latest["year"]) <= STALE_YEARS:
        return Measured(float(latest["share"]), str(latest["year"]))
    return Measured(math.nan)


def _emigration(store: Store, country: str) -> Measured:
    """Natives abroad ÷ population (%), and the world's migrants ÷ its population, same period."""
    periods = sorted(bilateral_periods(store))
    if not periods:
        return Measured(math.nan)
    period = periods[-1]
    stocks = bilateral_stocks(store, period)
    abroad = float(stocks.loc[stocks["orig"] == country, "stock"].sum())
    pop = concept_series(store, "population", [country, "WLD"], [period])
    pop = pop.set_index("ref_area")["value"]
    if abroad <= 0 or country not in pop or "WLD" not in pop:
        return Measured(math.nan)
    world = 100.0 * float(stocks["stock"].sum()) / float(pop["WLD"])
    return Measured(100.0 * abroad / float(pop[country]), period, extra=abroad, threshold=world)


def _concentration(store: Store, country: str) -> Measured:
    """The largest sender's share (%) of the corridors the World Bank 2017 matrix lists."""
    ref = store.observations("WB_BILATERAL_REMITTANCES", "bilateral_remittances", country)
    ref = reported(ref)
    if ref.empty:
        return Measured(math.nan)
    top = ref.sort_values("value").iloc[-1]
    share = 100.0 * float(top["value"]) / float(ref["value"].sum())
    senders = float(len(ref))
    return Measured(share, str(top["period"]), senders, area=str(top["counterpart_area"]))


def as_fields(spec: ItemSpec, m: Measured) -> dict[str, Any]:
    """Keyword fields of a :class:`~keruen.analysis.swot.SwotItem` for a measured item."""
    held = not math.isnan(m.value)
    meets = held and spec.meets(m.value, m.threshold)
    verdict = ("supported" if meets else "not_supported") if held else "not_testable"
    return {
        "quadrant": spec.quadrant,
        "key": spec.key,
        "value": m.value,
        "unit": "percent",
        "period": m.period,
        "verdict": verdict,
        "source": spec.source,
        "threshold": _threshold_text(spec, m),
        "extra": m.extra if m.threshold is None else m.threshold,
        "area": m.area,
    }


def _threshold_text(spec: ItemSpec, m: Measured) -> str:
    """The threshold as shown; a threshold computed from data that is not held shows "–"."""
    if "{" not in spec.threshold_text:
        return spec.threshold_text
    if m.threshold is None:
        return spec.threshold_text.split("{", 1)[0] + "–"
    return spec.threshold_text.format(threshold=m.threshold)
