"""Reversions: an upstream answer equal to an OLDER vintage, not the newest, is a new release.

Upstream goes A → B → A when a revision is withdrawn. The third answer's content digest equals
vintage A's, so a plain "already held" check would call it unchanged and queries would keep
serving B. :func:`mark` compares each fetched batch with the NEWEST vintage of the same request
(same dataset and ``file_name``, ordered as queries order vintages: release, then ingest order)
and, when the content equals an older vintage instead, turns the batch into a reversion: a new
vintage holding A's rows again, released no earlier than the newest one (so it is what queries
return), its provenance saying which vintage it restores. Its notes carry
``reverts to content sha256 <digest>``, so the next identical answer is found unchanged.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

from keruen.sources.common import Batch
from keruen.store import Store

_MARK = "reverts to content sha256 "


def _content(sha256: str, notes: str | None) -> str:
    """The content digest a source row holds (a reversion's is the one it restores)."""
    found = re.search(_MARK + r"([0-9a-f]{64})", notes or "")
    return found.group(1) if found else sha256


def mark(store: Store, batches: list[Batch]) -> tuple[list[Batch], dict[int, str]]:
    """``batches`` with reversions turned into new vintages; {batch index: vintage restored}.

    A batch equal to its request's newest vintage gets that vintage's digest (so the store
    reports it unchanged, naming it); any other batch is returned as it is.
    """
    out: list[Batch] = []
    restored: dict[int, str] = {}
    for i, batch in enumerate(batches):
        prov = batch.provenance
        rows = store.con.execute(
            "SELECT sha256, notes, vintage, release FROM sources WHERE dataset = ? AND "
            "file_name = ? ORDER BY release DESC, source_id DESC",
            [prov.dataset, prov.file_name],
        ).fetchall()
        if not rows:
            out.append(batch)
            continue
        newest_sha, newest_notes, newest_vintage, newest_release = rows[0]
        if _content(newest_sha, newest_notes) == prov.sha256:  # unchanged: name the newest
            out.append(Batch(batch.frame, replace(prov, sha256=newest_sha)))
            continue
        older = {_content(r[0], r[1]): r[2] for r in rows[1:]}
        if prov.sha256 not in older:  # new content: an ordinary new vintage
            out.append(batch)
            continue
        release = max(prov.release, str(newest_release))
        vintage = prov.vintage.replace(prov.release, release) + " reversion"
        digest = hashlib.sha256(f"{prov.sha256}:reverted-after:{newest_sha}".encode())
        notes = (f"Reversion: upstream withdrew vintage {newest_vintage!r} and answers again as "
                 f"vintage {older[prov.sha256]!r}; {_MARK}{prov.sha256}. {prov.notes}")
        out.append(Batch(batch.frame, replace(prov, sha256=digest.hexdigest(), release=release,
                                              vintage=vintage, notes=notes.strip())))
        restored[i] = str(older[prov.sha256])
    return out, restored
