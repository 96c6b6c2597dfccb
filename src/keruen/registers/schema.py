"""The register schema and the checks of a register's files before any record is read.

One row is a person-period: one person (``person_id``) staying at one address in region
``region`` from ``arrival_date`` to ``departure_date`` (null while still present), allowed to
stay until ``permitted_until``. ``previous_region`` is null for an arrival from abroad and the
region of the person's previous address for an address change inside Kazakhstan (internal
migration). Files are Parquet, partitioned by year of arrival in Hive style (``year=2023/``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from keruen.errors import InputError

#: column -> (family of accepted Arrow types, meaning). Families: "integer", "string", "date".
COLUMNS: dict[str, tuple[str, str]] = {
    "person_id": ("integer", "pseudonymous person identifier (same person, same id)"),
    "citizenship": ("string", "ISO 3166-1 alpha-3 code of the citizenship"),
    "sex": ("string", "F or M"),
    "birth_year": ("integer", "year of birth"),
    "region": ("string", "ISO 3166-2:KZ code of the region of the address"),
    "previous_region": (
        "string",
        "ISO 3166-2:KZ code of the previous address (address change); null: arrival from abroad",
    ),
    "sector": ("string", "economic activity, NACE Rev. 2 section letter (A-U)"),
    "permit_kind": ("string", "kind of permit, one of PERMIT_KINDS"),
    "arrival_date": ("date", "first day at the address"),
    "departure_date": ("date", "day the person left the address; null while present"),
    "permitted_until": ("date", "last day the permit allows the person to stay"),
}
#: Arrow types written by the generator (readers accept any type of the same family).
ARROW_SCHEMA = pa.schema(
    [
        ("person_id", pa.int64()),
        ("citizenship", pa.string()),
        ("sex", pa.string()),
        ("birth_year", pa.int16()),
        ("region", pa.string()),
        ("previous_region", pa.string()),
        ("sector", pa.string()),
        ("permit_kind", pa.string()),
        ("arrival_date", pa.date32()),
        ("departure_date", pa.date32()),
        ("permitted_until", pa.date32()),
    ]
)
SEXES: tuple[str, ...] = ("F", "M")
#: Permit kinds: a work permit within the yearly quota for foreign labour; a permit (patent)
#: of a migrant working for a household or individual; a worker from an EAEU member state,
#: who needs no permit; a business immigrant.
PERMIT_KINDS: tuple[str, ...] = ("quota_work_permit", "patent", "eaeu_worker", "business")
#: NACE Rev. 2 sections.
SECTORS: tuple[str, ...] = tuple("ABCDEFGHIJKLMNOPQRSTU")
#: Name of the manifest the generator writes at the root of a register.
MANIFEST = "_register.json"
PARTITION = "year"


def _family(kind: pa.DataType) -> str:
    if pa.types.is_integer(kind):
        return "integer"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "string"
    if pa.types.is_date32(kind) or pa.types.is_date64(kind):
        return "date"
    if pa.types.is_dictionary(kind):
        return _family(kind.value_type)
    return str(kind)


@dataclass(frozen=True)
class RegisterFiles:
    """The Parquet files of one register, checked, with the manifest's metadata (if any)."""

    root: Path
    files: tuple[Path, ...]
    metadata: dict[str, object]

    @property
    def synthetic(self) -> bool:
        """Whether the register was made by keruen's generator (labelled in every file)."""
        return bool(self.metadata.get("synthetic", False))


def list_files(root: Path) -> tuple[Path, ...]:
    """Every ``*.parquet`` file under ``root``, sorted; a single file is its own register."""
    root = Path(root)
    if root.is_file():
        return (root,)
    if not root.is_dir():
        raise InputError("no such register folder or file", file=root)
    files = tuple(sorted(p for p in root.rglob("*.parquet") if p.is_file()))
    if not files:
        raise InputError("the register holds no Parquet files (*.parquet)", file=root)
    return files


def check_files(root: str | Path) -> RegisterFiles:
    """Check every file's schema against :data:`COLUMNS`; raise naming the file and column.

    Faults found: an unreadable Parquet file, a missing column, a column of the wrong type,
    and a partition whose files differ in schema from the first file read.
    """
    root = Path(root)
    files = list_files(root)
    first: tuple[Path, pa.Schema] | None = None
    for path in files:
        try:
            schema = pq.read_schema(path)
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"not a readable Parquet file ({exc})", file=path) from None
        names = [n for n in schema.names if n != PARTITION]
        for column, (family, _meaning) in COLUMNS.items():
            if column not in names:
                raise InputError("required column is missing", file=path, field=column)
            found = _family(schema.field(column).type)
            if found != family:
                raise InputError(
                    f"column has type {schema.field(column).type}, expected {family}",
                    file=path,
                    field=column,
                )
        if first is None:
            first = (path, schema)
            continue
        ref_path, ref = first
        for column in sorted(set(ref.names) | set(schema.names)):
            if column == PARTITION:
                continue
            a = ref.field(column).type if column in ref.names else None
            b = schema.field(column).type if column in schema.names else None
            if a != b:
                raise InputError(
                    f"schema differs from {ref_path} ({b} here, {a} there)",
                    file=path,
                    field=column,
                )
    return RegisterFiles(root, files, read_manifest(root))


def read_manifest(root: Path) -> dict[str, object]:
    """The generator's manifest (``_register.json``) of a register folder; {} if none."""
    path = Path(root) / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"unreadable register manifest ({exc})", file=path) from None
    if not isinstance(data, dict):
        raise InputError("register manifest is not a JSON object", file=path)
    return data
