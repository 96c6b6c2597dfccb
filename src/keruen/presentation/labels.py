"""Translatable sentences of the report: reasons of the reconciliation, SWOT items, labels.

All English source strings sit in ``_()`` calls here or in the template, so ``pybabel
extract`` finds them; the Russian and Kazakh catalogues translate them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from keruen.analysis.swot import SwotItem
from keruen.areas import name as area_name
from keruen.i18n import format_date, format_number, release_label
from keruen.presentation.swot_texts import role_texts

Gettext = Callable[[str], str]


def measure_label(measure: str, _: Gettext) -> str:
    """Human label of a paper measure."""
    labels = {
        "international_migrants": _("International migrants"),
        "international_migrants_working_age": _("International migrants of working age"),
        "international_migrant_workers": _("International migrant workers"),
        "remittances_to_lmic": _("Remittances to low- and middle-income countries"),
        "remittances_received": _("Remittances received"),
        "remittances_paid": _("Remittances paid"),
        "remittances_received_pct_gdp": _("Remittances received, % of GDP"),
        "remittances_paid_to_received_ratio_mean": _("Outflow/inflow ratio, average"),
        "foreign_workers_under_quota": _("Foreign workers under the quota"),
        "foreign_workers_under_quota_with_work_permit_share": _(
            "Share of quota workers holding work permits"
        ),
        "labour_immigrants_arrived": _("Labour immigrants arrived"),
        "labour_migrants_regional_share": _("Share of foreign labour migrants in the region"),
        "foreigners_arriving_annually": _("Foreigners arriving annually"),
        "illegal_labour_migrants_estimate_low": _("Illegal labour migrants, low estimate"),
        "illegal_labour_migrants_estimate_high": _("Illegal labour migrants, high estimate"),
        "illegal_migrants_identified_deported": _("Illegal migrants identified and deported"),
        "foreign_workers_quota_share_of_workforce": _("Foreign-worker quota, % of labour force"),
        "foreign_workers_quota": _("Foreign-worker quota"),
        "labour_emigrants_departed": _("Labour emigrants departed"),
        "citizens_in_labour_migration": _("Citizens in labour migration abroad"),
        "citizens_in_labour_migration_share": _("Share of citizens in labour migration abroad"),
        "emigrants_total": _("Emigrants"),
        "emigrants_specialists": _("Emigrant specialists"),
        "emigrant_specialists_by_profession": _("Emigrant specialists by profession"),
        "rank_remittances_received": _("Kazakhstan's rank in remittances received (CIS)"),
        "rank_remittances_paid": _("Kazakhstan's rank in remittances paid (CIS)"),
    }
    return labels.get(measure, measure)


def profession_label(value: str, _: Gettext) -> str:
    """Translated profession group (the paper's brain-drain breakdown)."""
    labels = {
        "IT specialists": _("IT specialists"),
        "Engineering and technical workers": _("Engineering and technical workers"),
        "Medical workers": _("Medical workers"),
        "Scientists and researchers": _("Scientists and researchers"),
        "Teachers": _("Teachers"),
    }
    return labels.get(value, value)


def group_label(group: str, _: Gettext) -> str:
    """Translated name of a peer group (a keruen group or a World Bank region)."""
    labels = {
        "cis_and_former": _("CIS members and former members"),
        "cis": _("CIS"),
        "central_asia": _("Central Asia"),
        "eaeu": _("EAEU"),
        "post_soviet": _("post-Soviet states"),
        "wb_region:Europe & Central Asia": _("Europe and Central Asia"),
        "wb_region:East Asia & Pacific": _("East Asia and Pacific"),
        "wb_region:Latin America & Caribbean": _("Latin America and the Caribbean"),
        "wb_region:Middle East, North Africa, Afghanistan & Pakistan": _(
            "Middle East, North Africa, Afghanistan and Pakistan"
        ),
        "wb_region:North America": _("North America"),
        "wb_region:South Asia": _("South Asia"),
        "wb_region:Sub-Saharan Africa": _("Sub-Saharan Africa"),
    }
    return labels.get(group, group.removeprefix("wb_region:"))


def publisher_label(publisher: str, _: Gettext) -> str:
    """Translated publisher name of a source line."""
    labels = {
        "World Bank": _("World Bank"),
        "World Bank (mirrored by datahub.io core datasets)": _(
            "World Bank (mirrored by datahub.io core datasets)"
        ),
        "World Bank / KNOMAD": _("World Bank / KNOMAD"),
        "UN DESA Population Division": _("UN DESA Population Division"),
        "Bureau of National Statistics of the Republic of Kazakhstan": _(
            "Bureau of National Statistics of the Republic of Kazakhstan"
        ),
        "United Nations, Department of Economic and Social Affairs, Population Division": _(
            "United Nations, Department of Economic and Social Affairs, Population Division"
        ),
        "Kelinbayeva et al. (2025), Al-Farabi Kazakh National University": _(
            "Kelinbayeva et al. (2025), Al-Farabi Kazakh National University"
        ),
        "keruen (estimate)": _("keruen (estimate)"),
        "World Bank (WDI, KNOMAD)": _("World Bank (WDI, KNOMAD)"),
        "keruen estimate from UN DESA stocks and UN WPP": _(
            "keruen estimate from UN DESA stocks and UN WPP"
        ),
        "keruen estimate from World Bank data": _("keruen estimate from World Bank data"),
        "Kelinbayeva et al. 2025 (Migration Committee)": _(
            "Kelinbayeva et al. 2025 (Migration Committee)"
        ),
        "figures quoted with citation": _("figures quoted with citation"),
        "Open data (stat.gov.kz terms of use)": _("Open data (stat.gov.kz terms of use)"),
        "CC BY 4.0 (keruen estimates; inputs keep their own licences)": _(
            "CC BY 4.0 (keruen estimates; inputs keep their own licences)"
        ),
    }
    return labels.get(publisher, publisher)


def area_label(code: str, lang: str, _: Gettext) -> str:
    """An area's name in ``lang``; non-country areas of the paper are translated here."""
    special = {
        "WLD": _("World"),
        "LMY": _("Low- and middle-income countries"),
        "CIS": _("CIS"),
        "Europe": _("Europe"),
        "ROW": _("Rest of the world"),
    }
    if code in special:
        return special[code]
    try:
        return area_name(code, lang)  # type: ignore[arg-type]
    except Exception:  # professions and other non-area counterparts
        return profession_label(code, _)


def reason_text(code: str, params: dict[str, Any], lang: str, _: Gettext) -> str:
    """The sentence explaining a reconciliation row (releases named and dates written in
    ``lang``)."""
    num = lambda v, d=1: format_number(v, lang, d)  # noqa: E731
    params = dict(params)
    for key in ("vintage", "gdp_vintage"):
        if isinstance(params.get(key), str):
            params[key] = release_label(params[key], lang)
    for key in ("release", "published"):
        if isinstance(params.get(key), str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", params[key]):
            params[key] = format_date(params[key], lang)
    if code == "same_release":
        return _(
            "Same World Bank release as the paper ({vintage}); the difference is rounding."
        ).format(**params)
    if code == "later_release_agrees":
        return _(
            "Held from {vintage} (released {release}), published after the paper ({published}), "
            "so not the release the paper used; the values agree to rounding."
        ).format(**{k: params[k] for k in ("vintage", "release", "published")})
    if code == "later_release_revision":
        return _(
            "Held from {vintage} (released {release}), published after the paper ({published}); "
            "the difference is a revision between releases."
        ).format(**{k: params[k] for k in ("vintage", "release", "published")})
    if code == "other_release":
        return _("Value from another release ({vintage}); the difference is a revision.").format(
            **params
        )
    if code == "derived_share":
        return _(
            "No official value for this year is held (the official series held ends in "
            "{official_year}); computed as remittances received ÷ GDP, which rounds to "
            "the paper's figure."
        ).format(**params)
    if code == "gdp_vintage":
        return _(
            "Computed as remittances received ÷ GDP (the official series held ends in "
            "{official_year}). The paper's share implies a GDP of {implied} US$ million for "
            "{area}; the GDP held ({gdp_vintage}) is {gdp} US$ million, so the difference "
            "comes from the GDP release used."
        ).format(
            official_year=params["official_year"],
            implied=num(params["implied_gdp"] / 1e6, 0),
            area=area_label(params["area"], lang, _),
            gdp_vintage=params["gdp_vintage"],
            gdp=num(params["gdp"] / 1e6, 0),
        )
    if code == "not_held":
        if "last_period" in params:
            return _(
                "Not held for this year: the series held ends in {last_period} "
                "({last_value}, {vintage}). The paper's figure is shown, flagged."
            ).format(
                last_period=params["last_period"],
                vintage=params["vintage"],
                last_value=num(params["last_value"], 0),
            )
        return _("Not held for this year; the paper's figure is shown, flagged.")
    if code == "ratio_years":
        return _(
            "Mean of the yearly ratios over {first}–{last}, the years with both flows held "
            "(ratio of the totals: {sums}). The paper reads 'about ten times' from a chart "
            "over 2010–2023."
        ).format(first=params["first"], last=params["last"], sums=num(params["ratio_of_sums"], 2))
    if code == "aggregate_definition":
        return _(
            "World Bank aggregate 'low & middle income' ({vintage}); the paper's figure is "
            "the Migration and Development Brief's estimate, which covers a different "
            "country set and fills in missing reporters."
        ).format(**params)
    if code == "internal_check":
        check = params.get("check")
        if check == "thirty_percent":
            return _(
                "No independent series held; equals 30% of the 130,000 emigrants, as the "
                "paper states."
            )
        if check == "implied_labour_force":
            return _(
                "No labour-force series held; the quota and this share imply a labour force "
                "of {lf} persons."
            ).format(lf=num(params["labour_force"], 0))
        if check == "listed_parts":
            return _(
                "Administrative figure (Migration Committee via the paper); the countries "
                "the paper lists add up to {listed}."
            ).format(listed=num(params["listed"], 0))
    if code == "admin_only_region":
        return _(
            "Administrative figure (Migration Committee via the paper); the region holds "
            "{share}% of Kazakhstan's residents ({year}, BNS)."
        ).format(share=num(params["population_share"], 1), year=params["year"])
    if code == "rank_zero_reporters":
        return _(
            "The paper ranks Kazakhstan last of {paper_n}; keruen ranks only the {n} countries "
            "reporting a value (not reported: {zero}), and Kazakhstan is {rank} of {n}."
        ).format(
            paper_n=params.get("paper_n", params["n"]),
            rank=params["rank"],
            n=params["n"],
            zero=", ".join(
                area_label(c.strip(), lang, _) for c in params["zero"].split(",") if c.strip()
            )
            or "–",
        )
    if code == "rank_outflow_year":
        return _(
            "Latest year held is {year} (the paper's is 2023); {missing} report no value for it."
        ).format(
            year=params["year"],
            missing=", ".join(
                area_label(c.strip(), lang, _) for c in params["missing"].split(",") if c.strip()
            ),
        )
    return _(
        "Administrative figure published only through the paper; no series is held to "
        "compare it with."
    )


def swot_text(item: SwotItem, lang: str, _: Gettext, country: str = "KAZ") -> tuple[str, str]:
    """(statement, indicator) sentences of a SWOT item for ``country``."""
    num = lambda v, d=1: format_number(v, lang, d)  # noqa: E731
    v, e, p = item.value, item.extra, item.period
    name = area_label(country, lang, _)
    texts = {
        "net_payer": (
            _(
                "{country} pays out more in remittances than it receives: its labour market "
                "draws workers from abroad."
            ).format(country=name),
            _(
                "Donor–recipient index (O−I)/(O+I) = {v} in {p}; positive in {e}% of years held."
            ).format(v=num(v, 2), p=p, e=num(e, 0)),
        ),
        "low_dependence": (
            _("{country}'s economy does not depend on remittances received.").format(country=name),
            _(
                "Remittances received = {v}% of GDP in {p} (highest in the comparison group: {e}%)."
            ).format(v=num(v, 2), p=p, e=num(e, 1)),
        ),
        "regional_pull": (
            _("{country} is a receiving centre of its region's labour migration.").format(
                country=name
            ),
            _("Rank {v} of {n} in remittances paid in the comparison group in {p}.").format(
                v=num(v, 0), n=num(e, 0), p=p
            ),
        ),
        "brain_drain": (
            _("Skilled people leave: the emigration of specialists erodes human capital."),
            _("Specialists = {v}% of emigrants in {p}.").format(v=num(v, 0), p=p),
        ),
        "negative_labour_balance": (
            _("More citizens leave for work than foreign workers arrive, by the official counts."),
            _("Labour immigrants − labour emigrants = {v} persons in {p}.").format(
                v=num(v, 0), p=p
            ),
        ),
        "regional_concentration": (
            _("Foreign labour concentrates in a few regions, leaving others short of workers."),
            _("The two leading regions hold {v}% of foreign labour migrants ({p}).").format(
                v=num(v, 0), p=p
            ),
        ),
        "neighbour_supply": (
            _("Neighbouring Central Asian countries offer a close, visa-free labour supply."),
            _("Uzbekistan, Kyrgyzstan and Tajikistan = {v}% of labour immigrants in {p}.").format(
                v=num(v, 1), p=p
            ),
        ),
        "quota_room": (
            _("A smaller quota leaves room to target foreign hiring at skills in short supply."),
            _("Foreign-worker quota changed by {v}% over {p}.").format(v=num(v, 1), p=p),
        ),
        "single_destination": (
            _(
                "Dependence on one destination exposes emigrant workers to Russia's economy and "
                "policy."
            ),
            _("Russia = {v}% of labour emigrants in {p}.").format(v=num(v, 1), p=p),
        ),
        "falling_outflows": (
            _("{country}'s pull on foreign workers has weakened.").format(country=name),
            _(
                "Remittances paid changed by {v}% over {p} (nominal US$, a window after the "
                "2015 devaluation of the tenge)."
            ).format(v=num(v, 1), p=p)
            if country == "KAZ"
            else _("Remittances paid changed by {v}% over {p} (nominal US$).").format(
                v=num(v, 1), p=p
            ),
        ),
        **_estimated_texts(item, lang, _, name),
        **role_texts(item, lang, _, name, area_label(item.area, lang, _) if item.area else ""),
        "informal_employment": (
            _("Much foreign employment is unrecorded, so official figures understate it."),
            _(
                "The paper's guesses of illegal labour migrants range from {v} to {e} persons; "
                "no series is held."
            ).format(v=num(v, 0), e=num(e, 0)),
        ),
    }
    return texts[item.key]


def _estimated_texts(
    item: SwotItem, lang: str, _: Gettext, name: str
) -> dict[str, tuple[str, str]]:
    """(statement, indicator) of the SWOT items resting on the estimated sections."""
    num = lambda v, d=1: format_number(v, lang, d)  # noqa: E731
    v, e, p = item.value, item.extra, item.period
    not_held = _("No estimate: its inputs are not held for {country}.").format(country=name)
    held = v == v  # NaN: the estimate's inputs are not held
    return {
        "net_immigration": (
            _("{country} gains people through migration: more arrive than leave.").format(
                country=name
            ),
            _(
                "Estimated net migrant flow (arrivals − departures, from UN DESA stocks) = {v} "
                "persons in {p}; stock differencing gives {e}."
            ).format(v=num(v, 0), p=p, e=num(e, 0))
            if held
            else not_held,
        ),
        "neighbour_pole": (
            _("{country} draws migrants from its neighbours.").format(country=name),
            _(
                "Migrants born in the neighbours living in {country} − natives of {country} "
                "living in the neighbours = {v} persons in {p} (UN DESA)."
            ).format(country=name, v=num(v, 0), p=p)
            if held
            else not_held,
        ),
        "one_source": (
            _("Remittances received depend on one sending country."),
            _(
                "The largest sending country's share of remittances received = {v}% in {p} "
                "(corridor estimate)."
            ).format(v=num(v, 1), p=p)
            if held
            else _(
                "No corridor estimate: the release the allocation reads holds no remittances "
                "received by {country} in the corridor year."
            ).format(country=name),
        ),
        "falling_receipts": (
            _("Remittances received are set to fall."),
            _(
                "Forecast change of remittances received over {p} = {v}%; judged only if the "
                "forecast beats the naive one on this series' own backtest."
            ).format(v=num(v, 1), p=p)
            if held
            else _("No forecast: too few years of remittances received are reported."),
        ),
    }


def verdict_label(verdict: str, _: Gettext) -> str:
    """Translated SWOT verdict."""
    return {
        "supported": _("supported by the data held"),
        "not_supported": _("not supported by the data held"),
        "not_testable": _("not testable with the data held"),
    }[verdict]


def quadrant_label(quadrant: str, _: Gettext) -> str:
    """Translated SWOT quadrant name."""
    return {
        "strengths": _("Strengths"),
        "weaknesses": _("Weaknesses"),
        "opportunities": _("Opportunities"),
        "threats": _("Threats"),
    }[quadrant]
