"""A record of a register's validation, so that ``aggregate`` need not repeat the person pass.

``keruen register validate`` writes ``<register>.validated.json`` beside the register (never
inside it): every file's path, size, modification time (ns) and sha256, the span, a digest of
the rules and reference codes (:func:`rules_digest`), the counts per rule, and the duplicate
person-periods found (when there are at most
:data:`keruen.registers.checks.KEEP_KEYS`). A later ``aggregate`` reuses
the duplicate keys — the only result that needs a pass grouping all records by person — when
the record matches the register exactly: the same files with the same sizes and modification
times, the same span and the same rules digest; otherwise it runs every check again. Every
row-local rule is evaluated again in any case, and the counts are recomputed and compared.
The recorded sha256 serve as the input digests of the aggregates' provenance.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from keruen.registers import sql
from keruen.registers.checks import CheckReport, ref_codes
from keruen.registers.schema import RegisterFiles
from keruen.writing import write_text


def record_path(root: Path) -> Path:
    """``<register>.validated.json`` beside the register."""
    root = Path(root)
    return root.with_name(root.name.removesuffix(".parquet") + ".validated.json")


def rules_digest() -> str:
    """sha256 of everything the duplicate keys depend on: the rules' SQL and the codes."""
    text = "\n".join(
        [sql.RULES_VERSION, sql.MULTI, sql.persons("duckdb"), sql.dup_keys("duckdb", many=True),
         ref_codes().to_csv(index=False)]
    )  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()


def _base(register: RegisterFiles) -> Path:
    return register.root if register.root.is_dir() else register.root.parent


def stats(register: RegisterFiles) -> list[dict[str, object]]:
    """Path (relative), size and modification time (ns) of every file."""
    base = _base(register)
    out: list[dict[str, object]] = []
    for path in register.files:
        st = path.stat()
        out.append({"file": str(path.relative_to(base)), "size": st.st_size,
                    "mtime_ns": st.st_mtime_ns})  # fmt: skip
    return out


@dataclass(frozen=True)
class Validation:
    """A matching record: the duplicate keys and the files' sha256."""

    dup_keys: pd.DataFrame
    digests: list[dict[str, str]]
    report: dict[str, object]


def write_record(
    register: RegisterFiles,
    span: tuple[date, date],
    report: CheckReport,
    digests: list[dict[str, str]],
) -> Path:
    """Write the record of a passed validation (atomically: a temporary file, then a rename)."""
    keys = None
    if report.dup_keys is not None:
        frame = report.dup_keys[["person_id", "arr_day"]]
        keys = [[int(p), int(d)] for p, d in frame.itertuples(index=False)]
    sha = {d["file"]: d["sha256"] for d in digests}
    files = [s | {"sha256": sha[str(s["file"])]} for s in stats(register)]
    body = {
        "rules_digest": rules_digest(),
        "span": [span[0].isoformat(), span[1].isoformat()],
        "files": files,
        "records": report.records,
        "bad": report.bad,
        "by_rule": report.by_rule,
        "dup_keys": keys,
    }
    path = record_path(register.root)
    write_text(path, json.dumps(body))
    return path


def read_record(register: RegisterFiles, span: tuple[date, date]) -> Validation | None:
    """The register's validation record if it matches the files, span and rules exactly."""
    path = record_path(register.root)
    try:
        body = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(body, dict) or body.get("dup_keys") is None:
        return None
    files = body.get("files")
    if not isinstance(files, list):
        return None
    now = stats(register)
    same_files = [{k: f.get(k) for k in ("file", "size", "mtime_ns")} for f in files] == now
    if (
        not same_files
        or body.get("span") != [span[0].isoformat(), span[1].isoformat()]
        or body.get("rules_digest") != rules_digest()
    ):
        return None
    keys = pd.DataFrame(body["dup_keys"], columns=["person_id", "arr_day"], dtype="int64")
    digests = [{"file": str(f["file"]), "sha256": str(f["sha256"])} for f in files]
    return Validation(keys, digests, body)
