"""Content negotiation: which message format answers a request's ``Accept`` header.

Data: SDMX-ML 2.1 structure-specific (``structurespecificdata``, the default), SDMX-CSV 1.0
(``csvdata``) or SDMX-JSON 1.0 (``jsondata``); structures: SDMX-ML 2.1 only. A ``format``
query parameter (the names above, as .Stat Suite and the ECB use them, or ``csv``, ``json``,
``xml``) overrides the header. Nothing acceptable: :class:`SdmxNotAcceptable` (406).
"""

from __future__ import annotations

from keruen.sdmx_export.errors import SdmxNotAcceptable, SdmxSyntaxError

#: media type (lower case, no parameters) → (format, versions accepted; empty: any)
_DATA_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "application/vnd.sdmx.structurespecificdata+xml": ("structurespecificdata", ("2.1",)),
    "application/vnd.sdmx.data+csv": ("csvdata", ("1.0.0", "1.0")),
    "application/vnd.sdmx.data+json": ("jsondata", ("1.0.0", "1.0")),
    "text/csv": ("csvdata", ()),
    "application/json": ("jsondata", ()),
    "application/xml": ("structurespecificdata", ()),
    "text/xml": ("structurespecificdata", ()),
}
_STRUCTURE_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "application/vnd.sdmx.structure+xml": ("structure", ("2.1",)),
    "application/xml": ("structure", ()),
    "text/xml": ("structure", ()),
}
_DATA_FORMATS = {
    "structurespecificdata": "structurespecificdata",
    "xml": "structurespecificdata",
    "sdmx-ml": "structurespecificdata",
    "csvdata": "csvdata",
    "csv": "csvdata",
    "sdmx-csv": "csvdata",
    "jsondata": "jsondata",
    "json": "jsondata",
    "sdmx-json": "jsondata",
}
_STRUCTURE_FORMATS = {"structure": "structure", "xml": "structure", "sdmx-ml": "structure"}


def _ranges(accept: str) -> list[tuple[float, int, str, dict[str, str]]]:
    """(quality, position, media range, parameters) of each entry of an Accept header."""
    out = []
    for position, entry in enumerate(accept.split(",")[:50]):
        parts = [p.strip() for p in entry.split(";")]
        media = parts[0].lower()
        if not media:
            continue
        params: dict[str, str] = {}
        for p in parts[1:]:
            name, _, value = p.partition("=")
            params[name.strip().lower()] = value.strip().strip('"')
        try:
            quality = float(params.pop("q", "1"))
        except ValueError:
            quality = 0.0
        out.append((quality, position, media, params))
    return out


def _choose(
    accept: str | None,
    fmt: str | None,
    types: dict[str, tuple[str, tuple[str, ...]]],
    formats: dict[str, str],
    default: str,
) -> str:
    if fmt is not None:
        chosen = formats.get(fmt.lower())
        if chosen is None:
            raise SdmxSyntaxError(
                f"format={fmt[:40]!r}: expected one of {', '.join(sorted(set(formats)))}"
            )
        return chosen
    if not accept:
        return default
    for quality, _, media, params in sorted(_ranges(accept), key=lambda r: (-r[0], r[1])):
        if quality <= 0:
            continue
        if media in ("*/*", "application/*"):
            return default
        if media in types:
            name, versions = types[media]
            if not versions or params.get("version", versions[0]) in versions:
                return name
    offered = ", ".join(f"{m}" for m, (_, v) in types.items() if v)
    raise SdmxNotAcceptable(
        f"none of the accepted formats is served; this resource offers {offered}"
    )


def data_format(accept: str | None, fmt: str | None = None) -> str:
    """``structurespecificdata``, ``csvdata`` or ``jsondata`` for a data request."""
    return _choose(accept, fmt, _DATA_TYPES, _DATA_FORMATS, "structurespecificdata")


def structure_format(accept: str | None, fmt: str | None = None) -> str:
    """``structure`` (SDMX-ML 2.1) for a structure request, or 406."""
    return _choose(accept, fmt, _STRUCTURE_TYPES, _STRUCTURE_FORMATS, "structure")
