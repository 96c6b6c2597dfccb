"""Revisions between vintages: which values changed from one release of a dataset to the next."""

from __future__ import annotations

import pandas as pd

from keruen.errors import DataNotAvailableError
from keruen.store import Store
from keruen.store.schema import OBSERVATION_KEY

_KEY = ", ".join(f"o.{k}" for k in OBSERVATION_KEY)
_JOIN = " AND ".join(f"n.{k} IS NOT DISTINCT FROM p.{k}" for k in OBSERVATION_KEY)


def revisions(store: Store, dataset: str, vintage: str | None = None) -> pd.DataFrame:
    """Values of ``vintage`` (default: the newest) that differ from the previous vintage.

    For each observation of the chosen vintage, "previous" is the newest OLDER vintage of the
    dataset holding the same key (so vintages covering different indicators or countries
    compare correctly). Columns: the observation key, ``old_value``, ``new_value``,
    ``old_vintage``, ``new_vintage``, ``change`` (new minus old).
    """
    held = store.vintages(dataset)
    if not held:
        raise DataNotAvailableError(f"the store holds no vintage of {dataset!r}")
    target = vintage or held[-1]
    if target not in held:
        raise DataNotAvailableError(
            f"no vintage {target!r} of {dataset}; held: {', '.join(held)}"
        )
    sql = f"""
    WITH ranked AS (
        SELECT o.*, s.vintage, s.release, s.source_id AS sid FROM observations o
        JOIN sources s USING (source_id) WHERE s.dataset = ?
    ),
    new AS (SELECT * FROM ranked WHERE vintage = ?),
    prev AS (
        SELECT p.* FROM ranked p, (SELECT min(release) AS r, min(sid) AS i FROM new) t
        WHERE p.release < t.r OR (p.release = t.r AND p.sid < t.i)
        QUALIFY row_number() OVER (
            PARTITION BY {_KEY.replace("o.", "p.")} ORDER BY p.release DESC, p.sid DESC) = 1
    )
    SELECT {", ".join(f"n.{k}" for k in OBSERVATION_KEY)},
           p.value AS old_value, n.value AS new_value,
           p.vintage AS old_vintage, n.vintage AS new_vintage,
           n.value - p.value AS change
    FROM new n JOIN prev p ON {_JOIN}
    WHERE n.value IS DISTINCT FROM p.value OR n.obs_status IS DISTINCT FROM p.obs_status
    ORDER BY ALL
    """
    return store.con.execute(sql, [dataset, target]).df()
