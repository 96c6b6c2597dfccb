"""Readable, translated names of the datasets and vintages in a source list.

The store names a dataset by an identifier (``WB_WDI``, ``KERUEN_ESTIMATES_GRAVITY``) and a
model estimate's vintage by its digest (``keruen estimate 805be20ecff0 (inputs to …)``); a
reader sees the dataset's name and, for an estimate, the date its inputs run to.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from keruen.i18n import format_date, release_label

Gettext = Callable[[str], str]

_ESTIMATE_PREFIX = "KERUEN_ESTIMATES_"
_ESTIMATE_VINTAGE = re.compile(r"^keruen estimate [0-9a-f]+ \(inputs to (?P<date>[^)]*)\)$")


def dataset_label(dataset: str, _: Gettext) -> str:
    """The translated name of a stored dataset (the identifier itself when unknown)."""
    names = {
        "WB_WDI": _("World Development Indicators"),
        "WB_KNOMAD_REMITTANCES": _("KNOMAD remittance inflows and outflows"),
        "WB_BILATERAL_REMITTANCES": _("Bilateral remittance estimates"),
        "WB_BILATERAL_MIGRANT_STOCKS": _("Bilateral migrant stock estimates"),
        "UNDESA_IMS": _("International Migrant Stock"),
        "UN_WPP": _("World Population Prospects"),
        "KZ_BNS_POPULATION": _("Population of Kazakhstan (BNS)"),
        "KZ_BNS_MIGRATION": _("Migration in Kazakhstan (BNS)"),
        "PAPER_KELINBAYEVA_2025": _("Figures stated in Kelinbayeva et al. (2025)"),
        "ILOSTAT": _("ILOSTAT international labour migration"),
        "KERUEN_ESTIMATES_FLOWS_FROM_STOCKS": _("keruen estimate: flows from stocks"),
        "KERUEN_ESTIMATES_REMITTANCE_CORRIDORS": _("keruen estimate: remittance corridors"),
        "KERUEN_ESTIMATES_MIGRANT_VOLUMES": _("keruen estimate: migrants implied by remittances"),
        "KERUEN_ESTIMATES_GRAVITY": _("keruen estimate: gravity model"),
        "KERUEN_ESTIMATES_FORECAST": _("keruen estimate: forecasts"),
        "KERUEN_ESTIMATES_SYSTEMS": _("keruen estimate: migration systems"),
    }
    if dataset in names:
        return names[dataset]
    if dataset.startswith(_ESTIMATE_PREFIX):
        model = dataset.removeprefix(_ESTIMATE_PREFIX).lower().replace("_", " ")
        return _("keruen estimate: {model}").format(model=model)
    return dataset


def vintage_label(vintage: str, _: Gettext, lang: str = "en") -> str:
    """A vintage as a reader needs it: an estimate's digest gives way to its inputs' date (in
    ``lang``'s long form); a release's name is translated (:func:`keruen.i18n.release_label`)."""
    match = _ESTIMATE_VINTAGE.match(vintage)
    if match:
        date = match["date"]
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            date = format_date(date, lang)
        return _("computed from inputs released up to {date}").format(date=date)
    return release_label(vintage, lang)
