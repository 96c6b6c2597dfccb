"""Wording checks shared by the dashboard's and the report's language tests (issue 19.3).

A Russian or Kazakh page may show Latin script only for names that have no Cyrillic form:
software, dataset and release acronyms, codes (ISO, indicator and dataset identifiers), formulas
and cited authors. Everything else in Latin script is an untranslated word.
"""

from __future__ import annotations

import html
import re
from functools import cache

#: Latin-script words a ru/kk page may show (names and acronyms without a Cyrillic form).
ALLOWED = {
    # the project, its commands, its formats and interfaces
    "keruen", "report", "country", "serve", "REST", "API", "CSV", "JSON", "SVG", "PNG", "PDF",
    "OpenAPI", "SDMX", "jsonl", "en", "ru", "kk",
    # publishers' own names of datasets and releases, licences
    "WDI", "KNOMAD", "WPP", "IMS", "CC", "BY", "IGO", "datahub", "io", "stat", "gov", "kz",
    "SDG", "ISO", "OSM",
    # methods and software named in method lines
    "statsforecast", "networkx", "PPML", "IPF", "ARIMA", "MASE", "SWOT", "ETS", "migest",
    "Louvain",
    # authors cited in method paragraphs (references keep their original script)
    "Abel", "Sander", "Cohen", "Beine", "Bertoli", "Fernández", "Huertas", "Moraga", "Ratha",
    "Shaw", "Santos", "Silva", "Tenreyro",
    # mathematical functions in formulas
    "exp", "log", "max",
}


@cache
def _area_codes() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.countries)


def visible_text(page: str) -> str:
    """The text a reader sees: no scripts, styles, code spans, tags or URLs."""
    page = re.sub(r"(?is)<(script|style|code|kbd|pre|svg)\b.*?</\1>", " ", page)
    page = re.sub(r"(?s)<[^>]+>", " ", page)
    page = html.unescape(page)
    return re.sub(r"https?://\S+|\b[\w.-]+@[\w.-]+", " ", page)


def latin_words(text: str) -> list[str]:
    """Latin-script words of ``text`` not in :data:`ALLOWED` (codes and formulas ignored).

    A token holding a digit, an underscore or an inner dot is a code or a formula term
    (``WB_WDI``, ``BX.TRF.PWKR.CD.DT``, ``R_ij``); a single letter is a variable; an ISO
    alpha-3 code is a code.
    """
    out = []
    for token in re.findall(r"[A-Za-zÀ-ÿ][\w.'’-]*", text):
        token = token.rstrip(".'’-")
        if re.search(r"[\d_]|\w\.\w", token) or len(token) < 2:
            continue
        for word in re.split(r"[-'’]", token):
            if len(word) < 2 or word in ALLOWED or word in _area_codes():
                continue
            if re.fullmatch(r"[A-Za-zÀ-ÿ]+", word):
                out.append(word)
    return out
