"""What keruen concludes about a country: one section per subject, computed in one place.

A request enters with a :class:`Scope` (the country, its peers, the first year), built once by
:func:`peer_group`; :func:`run` computes the country's sections (:class:`Section`: tables,
values, sources, estimates) from the store, in the order and with the dependencies of the
:mod:`~keruen.analysis.registry`, reusing what the cache holds. The report, the dashboard, the
REST API and :func:`keruen.api.profile` render what it returns and compute nothing themselves.

Names are loaded on first use (``lazy_loader``), so importing ``keruen.analysis.scope`` does not
load the models.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(
    __name__,
    submod_attrs={
        "cache": ["ReportCache"],
        "registry": ["ENTRIES", "ESTIMATED", "REGISTRY", "SECTIONS"],
        "runner": ["run"],
        "scope": ["Scope", "parse_countries", "peer_group"],
        "section": ["Section", "estimates_of", "is_held", "not_held"],
    },
)
