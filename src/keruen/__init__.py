"""keruen: an open observatory of international labour migration.

Layers, in the order data flows through them: ``keruen.sources`` (bundled snapshot and
connectors) → ``keruen.store`` (versioned DuckDB store) → ``keruen.indicators`` and
``keruen.models`` (pure computation on tables) → ``keruen.figures`` and ``keruen.report``
(publication) → ``keruen.cli``.
"""

from keruen.errors import KeruenError

__version__ = "0.1.0"

__all__ = ["KeruenError", "__version__"]
