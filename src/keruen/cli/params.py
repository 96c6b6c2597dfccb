"""Command-line parameter types shared by every command: area lists, year ranges, output files.

One parser per kind of value, so ``KAZ,UZB``, ``--country KAZ --country UZB`` and ``kaz`` mean
the same wherever a command takes areas, and ``2010:2020``, ``2010:``, ``2010,2015`` the same
wherever it takes years. Bad values raise a :class:`~keruen.errors.KeruenError`, which the CLI
prints as one line (``keruen: error: ...``) with a suggestion where there is a near miss.
"""

from __future__ import annotations

import tempfile
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from keruen.errors import ConfigError, UnknownAreaError


def _option_name(param: click.Parameter | None) -> str:
    if param is None:
        return "value"
    opts = getattr(param, "opts", None)
    return str(max(opts, key=len)) if opts else str(param.name)


def split_list(text: str) -> list[str]:
    """Items of a comma-separated list, stripped, empty items dropped."""
    return [item.strip() for item in text.split(",") if item.strip()]


def flat(values: Iterable[Sequence[str]]) -> list[str]:
    """One list from a ``multiple=True`` option of list values, first occurrence kept."""
    return list(dict.fromkeys(item for value in values for item in value))


class AreaList(click.ParamType):
    """A comma-separated list of area codes, normalised by :func:`keruen.areas.normalise`.

    ``kinds`` are the kinds of area accepted (``None``: split only, the command resolves the
    codes against the data it holds); with ``expand_groups`` a group name (``cis``) stands
    for its members.
    """

    name = "CODES"

    def __init__(
        self, kinds: Collection[str] | None = ("country",), expand_groups: bool = False
    ) -> None:
        self.kinds = tuple(kinds) if kinds is not None else None
        self.expand_groups = expand_groups

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Parse and check one command-line value."""
        if isinstance(value, tuple):
            return value
        items = split_list(str(value))
        if not items:
            raise ConfigError(f"{_option_name(param)}: no area code given")
        if self.kinds is None:
            return tuple(dict.fromkeys(items))
        from keruen.areas import groups, resolve_codes

        out: list[str] = []
        for item in items:
            if self.expand_groups and item.lower() in groups():
                out.extend(groups()[item.lower()])
                continue
            try:
                out.extend(resolve_codes([item], self.kinds))  # type: ignore[arg-type]
            except UnknownAreaError as exc:
                raise UnknownAreaError(f"{_option_name(param)}: {exc}") from None
        return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class Years:
    """Years asked for: spans ``(first, last)``, either end open (``None``) until resolved."""

    text: str
    spans: tuple[tuple[int | None, int | None], ...]

    def resolve(self, held: Collection[int], option: str = "--years") -> list[int]:
        """The years asked for, open ends closed by the ``held`` range.

        Raises :class:`ConfigError` naming the held range when a year asked for lies outside
        it (and :class:`DataNotAvailableError` when nothing is held at all).
        """
        from keruen.errors import DataNotAvailableError

        if not held:
            raise DataNotAvailableError(f"{option} {self.text}: no year is held for this query")
        lo, hi = min(held), max(held)
        out: set[int] = set()
        for first, last in self.spans:
            a = lo if first is None else first
            b = hi if last is None else last
            if a < lo or b > hi or a > b:
                raise ConfigError(
                    f"{option} {self.text}: outside the years held ({lo}:{hi}); "
                    f"ask for years within {lo}:{hi}"
                )
            out.update(range(a, b + 1))
        return sorted(out)


def _year(text: str) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit() and 1 <= len(text) <= 4):
        raise ValueError(text)
    return int(text)


class YearRange(click.ParamType):
    """``FIRST:LAST`` (either end may be left open: ``2010:``), ``YEAR`` or a comma list."""

    name = "YEARS"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Parse and check one command-line value."""
        if isinstance(value, Years):
            return value
        text = str(value).strip()
        spans: list[tuple[int | None, int | None]] = []
        try:
            for part in split_list(text):
                if ":" in part:
                    first_text, last_text = part.split(":", 1)
                    first = _year(first_text) if first_text.strip() else None
                    last = _year(last_text) if last_text.strip() else None
                    if first is not None and last is not None and last < first:
                        raise ValueError(part)
                    spans.append((first, last))
                else:
                    year = _year(part)
                    spans.append((year, year))
            if not spans:
                raise ValueError(text)
        except ValueError:
            raise ConfigError(
                f"{_option_name(param)} {text!r}: expected FIRST:LAST (e.g. 2010:2023; an end may "
                "be left open, 2010:), a year or a comma-separated list of years"
            ) from None
        return Years(text, tuple(spans))


class OutputFile(click.ParamType):
    """A file to write: its folder is created if missing; a read-only place is a clear error.

    Checked before any work is done, so a long computation does not end in a traceback.
    """

    name = "FILE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Parse and check one command-line value."""
        path = Path(value)
        option = _option_name(param)
        if path.is_dir():
            raise ConfigError(f"{option} {path}: is a folder; give a file name")
        folder = path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise ConfigError(f"{option} {path}: {folder} is not a folder") from None
        except OSError as exc:
            raise ConfigError(
                f"{option} {path}: cannot create the folder {folder}: {exc.strerror}"
            ) from None
        # try for real: permission bits do not tell a read-only file system (or root). The file
        # is written beside and moved into place (keruen.writing), so the folder is what counts
        try:
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as exc:
            raise ConfigError(f"{option} {path}: cannot write there: {exc.strerror}") from None
        return path


class CodeList(AreaList):
    """A comma-separated list of codes (measures, counterparts…), resolved by the command."""

    def __init__(self) -> None:
        super().__init__(kinds=None)


def closest(text: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` of ``choices`` closest to ``text`` regardless of case (difflib ratio ≥ 0.6)."""
    import difflib

    by_upper: dict[str, str] = {}
    for choice in choices:
        by_upper.setdefault(choice.upper(), choice)
    return [by_upper[m] for m in difflib.get_close_matches(text.upper(), by_upper, n=n)]


def did_you_mean(found: Sequence[str]) -> str:
    """``"; did you mean A, B or C?"`` (empty when nothing is close)."""
    if not found:
        return ""
    if len(found) == 1:
        return f"; did you mean {found[0]}?"
    return f"; did you mean {', '.join(found[:-1])} or {found[-1]}?"


def resolve_names(asked: Iterable[str], held: Iterable[str], what: str, option: str) -> list[str]:
    """Each of ``asked`` as spelled in ``held`` (exact, else ignoring case).

    An unknown one is a :class:`DataNotAvailableError` naming the nearest held names.
    """
    from keruen.errors import DataNotAvailableError

    held_list = [h for h in held if h is not None]
    exact = set(held_list)
    by_upper = {h.upper(): h for h in held_list}
    out = []
    for name in asked:
        if name in exact:
            out.append(name)
        elif name.upper() in by_upper:
            out.append(by_upper[name.upper()])
        else:
            raise DataNotAvailableError(
                f"{option}: no {what} {name!r}" + did_you_mean(closest(name, held_list))
            )
    return out


@contextmanager
def naming_inputs(files: Mapping[str, str | Path | None]) -> Iterator[None]:
    """Make an error raised inside name the input file it concerns.

    Models do no I/O, so their errors name a field (``births``, ``year``) but no file.
    ``files`` maps a field or argument name to the file it was read from (``None``: an option,
    not a file). An :class:`InputError` without a file gets the file of its field (or, when the
    field is not listed, every input file); another :class:`KeruenError` gets the input files
    appended.
    """
    from keruen.errors import InputError, KeruenError

    paths = {k: str(v) for k, v in files.items() if v is not None}
    every = ", ".join(dict.fromkeys(paths.values()))
    try:
        yield
    except InputError as exc:
        if exc.file is not None or not every or (exc.field in files and exc.field not in paths):
            raise
        file = paths.get(exc.field or "", every)
        raise InputError(exc.reason, file=file, row=exc.row, field=exc.field) from None
    except KeruenError as exc:
        if not every or every in str(exc):
            raise
        new = type(exc)(f"{exc} (inputs: {every})")
        raise new from None


def concept_measures(
    dataset: str, measures: tuple[tuple[str, ...], ...]
) -> tuple[tuple[str, ...], ...]:
    """``--measure`` values with each concept name (``data/concepts.toml``, any letter case,
    e.g. ``remittance_cost_from``) replaced by the measure code(s) it stands for in ``dataset``
    (``SI.RMT.COST.OB.ZS`` in WB_WDI); other values unchanged."""
    from keruen.store.concept_registry import concepts

    registry = {name.lower(): spec for name, spec in concepts().items()}

    def codes(value: str) -> tuple[str, ...]:
        spec = registry.get(value.lower())
        if spec is None:
            return (value,)
        found = [c["measure"] for c in spec["candidates"] if c["dataset"] == dataset]
        return tuple(dict.fromkeys(found)) or (value,)

    return tuple(tuple(c for v in group for c in codes(v)) for group in measures)
