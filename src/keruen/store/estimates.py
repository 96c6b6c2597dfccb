"""Model estimates written back into the store, flagged as estimates, with their provenance.

An estimate is stored like any other file: its rows go to ``observations`` with
``obs_status = "E"`` under the dataset ``KERUEN_ESTIMATES_<MODEL>``, and one ``sources`` row
records the method, assumptions and parameters (JSON in ``notes``), the inputs it was computed
from, and a ``sha256`` of the canonical estimate content. Re-running a model on the same inputs
gives the same content, hence the same sha256, and the store's ingest adds nothing; changed
inputs or parameters give a new vintage beside the old one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from keruen.errors import InputError
from keruen.store.database import IngestResult, Provenance, Store
from keruen.store.schema import OBSERVATION_COLUMNS

PUBLISHER = "keruen (estimate)"
DATASET_PREFIX = "KERUEN_ESTIMATES_"


@dataclass(frozen=True)
class Estimate:
    """One model result ready to store: tidy rows plus what produced them.

    ``rows`` has ``measure, ref_area, counterpart_area, breakdown, period, value, unit``
    (``counterpart_area``/``breakdown`` may be missing); ``inputs`` lists the stored sources
    (dataset, vintage, release) the estimate was computed from.
    """

    model: str
    rows: pd.DataFrame
    method: str
    assumptions: tuple[str, ...]
    parameters: Mapping[str, object]
    inputs: tuple[Mapping[str, str], ...] = ()
    title: str = ""
    #: :func:`content_hash` of the estimate, computed once when it is made (and kept with it
    #: in the report cache, so storing an estimate already held hashes nothing again).
    digest: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.digest:
            object.__setattr__(self, "digest", content_hash(self))

    @property
    def dataset(self) -> str:
        """``KERUEN_ESTIMATES_<MODEL>`` (model name upper-cased, non-alphanumerics as ``_``)."""
        name = "".join(ch if ch.isalnum() else "_" for ch in self.model.upper())
        return DATASET_PREFIX + name


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def tidy_rows(est: Estimate) -> pd.DataFrame:
    """The observation table of ``est`` (status ``E``), sorted, validated."""
    need = {"measure", "ref_area", "period", "value", "unit"}
    missing = sorted(need - set(est.rows.columns))
    if missing:
        raise InputError(f"estimate {est.model!r} lacks columns {missing}", field=missing[0])
    rows = est.rows.copy()
    for col in ("counterpart_area", "breakdown"):
        if col not in rows:
            rows[col] = None
    rows["dataset"] = est.dataset
    rows["obs_status"] = "E"
    rows["period"] = rows["period"].astype(str)
    rows["value"] = pd.to_numeric(rows["value"], errors="coerce").astype(float)
    if not np.isfinite(rows["value"].to_numpy()).all():
        raise InputError(f"estimate {est.model!r} has missing or infinite values", field="value")
    rows = rows[list(OBSERVATION_COLUMNS)]
    rows = rows.astype({"counterpart_area": object, "breakdown": object})
    rows = rows.where(rows.notna(), None)
    key = ["measure", "ref_area", "counterpart_area", "breakdown", "period"]
    if rows.duplicated(key).any():
        raise InputError(f"estimate {est.model!r} repeats an observation key", field="period")
    order = rows[key].fillna("").astype(str)
    return rows.loc[order.sort_values(key).index].reset_index(drop=True)


def content_hash(est: Estimate, rows: pd.DataFrame | None = None) -> str:
    """sha256 of the canonical content: method, assumptions, parameters, inputs and rows.

    Values enter as ``%.10g`` text, so floating-point noise beyond ten significant digits
    does not make a new vintage.
    """
    rows = tidy_rows(est) if rows is None else rows
    body = {
        "dataset": est.dataset,
        "method": est.method,
        "assumptions": list(est.assumptions),
        "parameters": _jsonable(est.parameters),
        "inputs": _jsonable(sorted((dict(i) for i in est.inputs), key=lambda d: sorted(d.items()))),
        "rows": [
            [None if v is None else (f"{v:.10g}" if isinstance(v, float) else str(v)) for v in r]
            for r in rows.itertuples(index=False)
        ],
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def provenance_of(est: Estimate, rows: pd.DataFrame | None = None) -> Provenance:
    """The ``sources`` row of an estimate; release = the newest release among its inputs."""
    rows = tidy_rows(est) if rows is None else rows
    sha = est.digest or content_hash(est, rows)
    releases = sorted(str(i.get("release", "")) for i in est.inputs if i.get("release"))
    release = releases[-1] if releases else "1970-01-01"
    notes = json.dumps(
        {
            "method": est.method,
            "assumptions": list(est.assumptions),
            "parameters": _jsonable(est.parameters),
            "inputs": _jsonable(list(est.inputs)),
        },
        ensure_ascii=False,
        sort_keys=True,
    )
    return Provenance(
        dataset=est.dataset,
        vintage=f"keruen estimate {sha[:12]} (inputs to {release})",
        release=release,
        publisher=PUBLISHER,
        file_name=f"{est.dataset.lower()}_{sha[:12]}",
        sha256=sha,
        title=est.title or f"{est.model}: {est.method}",
        licence="CC BY 4.0 (keruen estimates; inputs keep their own licences)",
        origin="computed by keruen from the stored inputs named in notes",
        notes=notes,
    )


def store_estimates(store: Store, estimates: Iterable[Estimate]) -> list[IngestResult]:
    """Write estimates in one transaction; an estimate already held adds nothing.

    Estimates whose sha256 the store already holds are answered from its ``sources`` table
    without preparing their rows; when all are held, the store is not opened for writing.
    """
    estimates = list(estimates)
    digests = sorted({e.digest for e in estimates})
    held: dict[str, tuple[int, str]] = {}
    if digests:
        marks = ", ".join("?" for _ in digests)
        rows = store.con.execute(
            f"SELECT sha256, source_id, vintage FROM sources WHERE sha256 IN ({marks})", digests
        ).fetchall()
        held = {str(sha): (int(sid), str(vintage)) for sha, sid, vintage in rows}
    todo = []
    for est in estimates:
        if est.digest not in held:
            rows_ = tidy_rows(est)
            todo.append((rows_, provenance_of(est, rows_)))
    added = iter(store.ingest_many(todo) if todo else [])
    results = []
    for est in estimates:
        if est.digest in held:
            source_id, vintage = held[est.digest]
            results.append(IngestResult(source_id, 0, True, vintage))
        else:
            results.append(next(added))
    return results


def inputs_of(frame: pd.DataFrame) -> tuple[dict[str, str], ...]:
    """Distinct (dataset, vintage, release) of stored rows, for ``Estimate.inputs``."""
    cols = [c for c in ("dataset", "vintage", "release") if c in frame]
    if len(cols) < 3 or frame.empty:
        return ()
    distinct = frame[cols].drop_duplicates().astype(str).sort_values(cols)
    return tuple(dict(zip(cols, r, strict=True)) for r in distinct.itertuples(index=False))
