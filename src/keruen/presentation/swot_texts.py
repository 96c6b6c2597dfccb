"""Sentences of the SWOT items of a receiving country (:mod:`keruen.analysis.swot_roles`)."""

from __future__ import annotations

from collections.abc import Callable

from keruen.analysis.swot import SwotItem
from keruen.i18n import format_number

Gettext = Callable[[str], str]


def role_texts(
    item: SwotItem, lang: str, _: Gettext, name: str, sender: str
) -> dict[str, tuple[str, str]]:
    """(statement, indicator) of the generic items of a receiving country, by key.

    ``name`` is the country's name, ``sender`` the name of the area the item names (if any).
    """
    num = lambda v, d=1: format_number(v, lang, d)  # noqa: E731
    v, e, p = item.value, item.extra, item.period
    if v != v:  # NaN: the indicator's data are not held for the country
        none = _("Not held for {country}.").format(country=name)
        return {k: (s, none) for k, s in _statements(_, name).items()}
    texts = {
        "receipts_growth": _("Remittances received changed by {v}% over {p} (nominal US$).").format(
            v=num(v, 1), p=p
        ),
        "cheap_sending": _(
            "Average cost of sending money to {country} = {v}% of the amount sent in {p} "
            "(SDG indicator 10.c.1; target 3%)."
        ).format(country=name, v=num(v, 2), p=p),
        "dependence": _(
            "Remittances received = {v}% of GDP in {p}; the World Bank counts an economy "
            "receiving 10% of GDP or more as remittance-dependent."
        ).format(v=num(v, 1), p=p),
        "emigration": _(
            "Natives of {country} living abroad = {v}% of its population in {p}; "
            "international migrants = {e}% of the world's population (UN DESA)."
        ).format(country=name, v=num(v, 1), p=p, e=num(e, 1)),
        "sender_concentration": _(
            "{sender} sends {v}% of the remittances {country} receives in the World Bank's {p} "
            "bilateral matrix (sending countries it lists for {country}: {n})."
        ).format(sender=sender, v=num(v, 0), country=name, n=num(e, 0), p=p),
    }
    return {k: (s, texts[k]) for k, s in _statements(_, name).items()}


def _statements(_: Gettext, name: str) -> dict[str, str]:
    return {
        "receipts_growth": _(
            "Remittances received, a source of foreign currency for {country}, are growing."
        ).format(country=name),
        "cheap_sending": _(
            "Sending money to {country} costs less than the SDG target of 3%."
        ).format(country=name),
        "dependence": _("{country}'s economy depends on remittances received.").format(
            country=name
        ),
        "emigration": _("Many of {country}'s people work and live abroad.").format(country=name),
        "sender_concentration": _(
            "Remittances to {country} come mostly from one country, exposing it to that "
            "country's economy and policy."
        ).format(country=name),
    }
