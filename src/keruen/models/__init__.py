"""Estimation models: pure functions from tables to result objects, no I/O.

Every estimator returns a frozen dataclass carrying the estimates together with ``method``,
``assumptions`` and ``parameters`` so that each published number can state how it was made.

Modules: :mod:`~keruen.models.flows_from_stocks`, :mod:`~keruen.models.remittance_allocation`,
:mod:`~keruen.models.migrant_volumes`, :mod:`~keruen.models.gravity`,
:mod:`~keruen.models.forecast`, :mod:`~keruen.models.systems`, the one iterative proportional
fitting :mod:`~keruen.models.ipf` and the seeded generator
:mod:`~keruen.models.synthetic` used by the tests.
"""
