"""keruen: an open observatory of international labour migration.

Layers, in the order data flows through them: ``keruen.sources`` (bundled snapshot and
connectors) → ``keruen.store`` (versioned DuckDB store) → ``keruen.indicators`` and
``keruen.models`` (pure computation on tables) → ``keruen.analysis`` (each country's sections)
→ ``keruen.presentation``, ``keruen.report`` and ``keruen.web`` (publication) → ``keruen.cli``.
See docs/architecture.md; the import contract in pyproject.toml checks it.
"""

from keruen.errors import KeruenError

__version__ = "0.1.0"

__all__ = ["KeruenError", "__version__"]
