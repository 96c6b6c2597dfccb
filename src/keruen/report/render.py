"""Render the report: figures (PNG, SVG, CSV), ``index.html``, tables as CSV, ``numbers.json``.

One report structure for any country: :func:`render_report` writes one country's folder;
:func:`render_countries` writes one folder per country and an index linking them. The numbers
come from :func:`keruen.analysis.run`; this module only draws and writes them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from keruen.analysis.cache import Mode, ReportCache, active
from keruen.analysis.paper import paper_source
from keruen.analysis.provenance import sources_used
from keruen.analysis.runner import run
from keruen.analysis.scope import Scope, peer_group
from keruen.analysis.section import Section, estimates_of
from keruen.i18n import format_date
from keruen.presentation.locale import Locale
from keruen.report.numbers import clean, numbers
from keruen.report.output import Output
from keruen.report.batches import in_child_processes
from keruen.report.countries import Outcome, index_page, status_json
from keruen.report.page import GENERATED, html
from keruen.report.render_estimates import estimate_figures, estimate_tables
from keruen.report.section_figures import fig_balance, fig_labour, fig_peers, fig_share, fig_trend
from keruen.settings import number
from keruen.store import Store
from keruen.store.estimates import store_estimates
from keruen.writing import staged_folder, write_bytes, write_text

if TYPE_CHECKING:
    import pandas as pd

Progress = Callable[[str], None]


def _ok(sections: dict[str, Section], key: str) -> bool:
    """Whether ``key`` is among ``sections`` and was built (not failed)."""
    return key in sections and not sections[key].failed


def _figures(sections: dict[str, Section], store: Store, loc: Locale, out: Output) -> None:
    """Draw every figure the sections hold data for (one builder per section built)."""
    paper = paper_source(store)
    country = next(iter(sections.values())).values["country"]
    if _ok(sections, "trend"):
        fig_trend(sections["trend"], paper, loc, out)
    if _ok(sections, "cis"):
        fig_peers(sections["cis"], loc, out)
    if _ok(sections, "share_gdp"):
        fig_share(sections["share_gdp"], country, loc, out)
    if _ok(sections, "labour"):
        fig_labour(sections["labour"], paper, loc, out)
    if _ok(sections, "balance"):
        fig_balance(sections["balance"], country, loc, out)
    if "flows" in sections:  # the estimated sections (each drawn where its inputs are held)
        estimate_figures(sections, country, loc, out)


def _tables(sections: dict[str, Section], out: Output) -> None:
    """Every HTML table's numbers as a CSV beside it (same rows, unit and provenance)."""
    if _ok(sections, "trend"):
        t = sections["trend"]
        out.table("trend", t.tables["series"], "current US$ (ratio, index: none)", t.sources)
    if _ok(sections, "cis"):
        c = sections["cis"]
        for key in ("inflows_latest", "inflows_paper_year", "outflows_latest"):
            out.table(key, c.tables[key], "current US$", c.sources)
    if _ok(sections, "share_gdp"):
        g = sections["share_gdp"]
        out.table("share_gdp", g.tables["shares"], "percent of GDP", g.sources)
    if _ok(sections, "measures"):
        m = sections["measures"]
        out.table("measures", m.tables["measures"], "current US$; persons", m.sources)
    rc = sections.get("remittance_cost")
    if rc is not None and rc.held:
        unit = "percent of amount sent"
        out.table("remittance_cost", rc.tables["costs"], unit, rc.sources)
        out.table("remittance_cost_peers", rc.tables["peers"], unit, rc.sources)
    ms = sections.get("migrant_share")
    if ms is not None and ms.held:
        unit = "percent (share, female_pct); persons (migrant_stock, population, female, male)"
        out.table("migrant_share", ms.tables["shares"], unit, ms.sources)
    if _ok(sections, "balance") and not sections["balance"].tables["balance"].empty:
        b = sections["balance"]
        out.table("balance", b.tables["balance"], "thousand persons; current US$", b.sources)
    if _ok(sections, "labour"):
        lab = sections["labour"]
        # immigrants, emigrants and specialists are figures only: their CSV sits by the figure
        for key, unit in (("regions", "percent"), ("quota", "persons")):
            out.table(key, lab.tables[key], unit, lab.sources)
    if "flows" in sections:
        estimate_tables(sections, out)


def render_report(
    store: Store,
    out: str | Path,
    lang: str = "en",
    *,
    country: str = "KAZ",
    group: str | None = None,
    keep_estimates: bool = True,
    progress: Progress | None = None,
    cache: ReportCache | None = None,
    outcomes: dict[str, Outcome] | None = None,
) -> Path:
    """Compute, draw and write the report of ``country`` into ``out``; returns ``index.html``.

    With ``keep_estimates`` the model estimates are written into the store first (status E,
    idempotent), so the report's source list names them and ``keruen query`` finds them.
    Every part (section, estimate, figure, the page) is reused from ``cache`` (default: the
    cache in KERUEN_HOME, :mod:`keruen.analysis.cache`) while its code, parameters and data
    hold; pass ``ReportCache(mode="off")`` to compute everything afresh. The report is written
    into a folder beside ``out`` and moved into place whole (:func:`keruen.writing.staged_folder`):
    a failure leaves ``out`` as it was. A section that fails is shown as not built with its
    reason (:func:`keruen.analysis.run`); ``outcomes`` (when given) receives the country's
    :class:`Outcome`.
    """
    say = progress or (lambda _msg: None)
    if cache is None:
        cache = ReportCache(warn=lambda msg: say(f"WARNING: {msg}"))
    with staged_folder(out) as stage:
        scope = peer_group(country, group)
        outcome = _render_into(store, stage, lang, scope, keep_estimates, say, cache)
    if outcomes is not None:
        outcomes[country] = outcome
    return Path(out) / "index.html"


def _render_into(
    store: Store,
    out: Path,
    lang: str,
    scope: Scope,
    keep_estimates: bool,
    say: Progress,
    cache: ReportCache,
) -> Outcome:
    """One country's report written into the (staging) folder ``out``, counting cache use."""
    before = cache.stats.copy()
    try:
        with cache.active():
            sections = _render(store, out, lang, scope, keep_estimates, say)
    finally:
        cache.forget()  # the next country must not keep this one's sections alive
    say(f"{scope.country}: {cache.stats.since(before).line()}")
    return Outcome.of(scope.country, sections)


def _render(
    store: Store, out: Path, lang: str, scope: Scope, keep_estimates: bool, say: Progress
) -> dict[str, Section]:
    """The body of :func:`render_report`, inside the active cache."""
    cache = active()
    assert cache is not None
    country = scope.country
    say(f"{country}: computing the sections")
    sections = run(store, scope, cache=cache)
    if keep_estimates and "flows" in sections:  # estimates_of skips sections not held
        say(f"{country}: storing the estimates")
        store_estimates(store, estimates_of(sections))
    # the files behind the sections, read here and handed to the page as an input (as text, so
    # that equal rows always give one key): the page is redrawn when they change, not when
    # another country's estimates are stored
    used = sources_used(store.sources(), sections)
    page: dict[str, bytes] = cache.part(
        store,
        f"page {lang}",
        {"lang": lang, "scope": scope},
        lambda s: _page(s, sections, used, scope, lang, out, say),
        inputs=[sections, used.to_json(orient="records", date_format="iso")],
        keep=lambda _page: not any(sec.failed for sec in sections.values()),
    )
    today = format_date(dt.date.today().isoformat(), lang)  # in the report's language
    for name, data in page.items():
        if name == "index.html":
            data = data.replace(GENERATED.encode(), today.encode())
        write_bytes(out / name, data, root=out)
    return sections


def _page(
    store: Store,
    sections: dict[str, Section],
    sources: pd.DataFrame,
    scope: Scope,
    lang: str,
    out: Path,
    say: Progress,
) -> dict[str, bytes]:
    """Draw the figures and write the tables, index.html and numbers.json of one language.

    Returns every file as (path in ``out`` → bytes), index.html with :data:`GENERATED` in place
    of the date.
    """
    country = scope.country
    loc = Locale(lang)
    output = Output(out, lang, cache=active())
    say(f"{country}: drawing the figures ({lang})")
    try:
        _figures(sections, store, loc, output)
        _tables(sections, output)
    except BaseException:
        output.discard()
        raise
    output.finish()
    say(f"{country}: writing index.html ({lang})")
    page = html(sources, sections, scope, loc, output)
    text = json.dumps(clean(numbers(sections)), indent=1, ensure_ascii=False, default=str)
    return output.files | {
        "numbers.json": text.encode("utf-8"),
        "index.html": page.encode("utf-8"),
    }


def render_countries(
    store: Store,
    out: str | Path,
    countries: list[str],
    lang: str = "en",
    *,
    group: str | None = None,
    progress: Progress | None = None,
    cache: ReportCache | None = None,
    outcomes: dict[str, Outcome] | None = None,
    per_process: int | None = None,
) -> Path:
    """One country: its report in ``out``. Several: ``out/<ISO3>/`` each and ``out/index.html``.

    ``cache`` as in :func:`render_report`. With several countries, one whose report cannot be
    written at all is listed in the index with the reason and the others are written;
    ``outcomes`` receives each country's :class:`Outcome`, also written as ``status.json``
    beside the index. Several countries are drawn in child processes, each replaced after
    ``per_process`` countries (default ``KERUEN_REPORT_COUNTRIES_PER_PROCESS``, 20; 0: all in
    this process): the memory of a process grows with the countries it has drawn (~130 MB a
    country before :meth:`ReportCache.forget`, a few tens of MB after it, partly in libraries),
    and 217 countries in one process passed 21 GB; a fresh worker every 20 countries bounds
    it whatever a library keeps (largest worker of all 217: 1.3 GB) for about 8–12 s per
    worker (imports, reading back the world-level parts from the disk cache), 5 % of that
    run (benchmarks/README.md). The workers open the store at ``store.path`` and the cache at
    ``cache.root`` themselves; a store in memory is drawn in this process.
    """
    out = Path(out)
    say = progress or (lambda _msg: None)
    if cache is None:
        cache = ReportCache(warn=lambda msg: say(f"WARNING: {msg}"))
    done: dict[str, Outcome] = {} if outcomes is None else outcomes
    if len(countries) == 1:
        return render_report(
            store,
            out,
            lang,
            country=countries[0],
            group=group,
            progress=progress,
            cache=cache,
            outcomes=done,
        )
    if per_process is None:
        per_process = int(number("KERUEN_REPORT_COUNTRIES_PER_PROCESS"))
    n = len(countries)
    with staged_folder(out) as stage:
        if per_process == 0 or store.path == ":memory:":
            for i, code in enumerate(countries, 1):
                say(f"[{i}/{n}] {code}")
                done[code] = _render_country(store, stage / code, lang, code, group, say, cache)
                say(done[code].line())
        else:
            jobs = [
                _Job(store.path, store.read_only, stage / c, lang, c, group, cache.root, cache.mode)
                for c in countries
            ]
            starting = lambda i, job: say(f"[{i}/{n}] {job.country}")  # noqa: E731
            for job, result in in_child_processes(_render_job, jobs, per_process, say, starting):
                if isinstance(result, BaseException):  # the worker died (killed, out of memory)
                    why = f"worker process died: {type(result).__name__}: {result}"
                    say(f"{job.country}: WARNING: report not written ({why})")
                    result = Outcome.not_written(job.country, why)
                done[job.country] = result
                say(result.line())
        write_text(stage / "index.html", index_page(countries, done, Locale(lang)), root=stage)
        write_text(stage / "status.json", status_json(countries, done), root=stage)
    return out / "index.html"


def _render_country(
    store: Store,
    folder: Path,
    lang: str,
    code: str,
    group: str | None,
    say: Progress,
    cache: ReportCache,
) -> Outcome:
    """One country of several (estimates kept); a failure is its outcome, never raised."""
    try:
        scope = peer_group(code, group)
        return _render_into(store, folder, lang, scope, True, say, cache)
    except Exception as exc:  # noqa: BLE001 - one country's failure never ends the run
        say(f"{code}: WARNING: report not written ({type(exc).__name__}: {exc})")
        return Outcome.not_written(code, f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class _Job:
    """One country of several, as handed to a worker process (:func:`_render_job`)."""

    store_path: str
    read_only: bool
    folder: Path
    lang: str
    country: str
    group: str | None
    cache_root: Path
    cache_mode: Mode


#: In a worker process: its store and report cache, opened at its first country.
_WORKER: dict[str, tuple[Store, ReportCache]] = {}


def _render_job(job: _Job, say: Progress) -> Outcome:
    """In a worker process: :func:`_render_country` of ``job`` (one store and cache per worker)."""
    key = f"{job.store_path}|{job.read_only}|{job.cache_root}|{job.cache_mode}"
    if key not in _WORKER:
        warn = lambda msg: say(f"WARNING: {msg}")  # noqa: E731
        try:
            store = Store(job.store_path, read_only=job.read_only)
        except Exception as exc:  # noqa: BLE001 - the country's outcome says why
            return Outcome.not_written(job.country, f"{type(exc).__name__}: {exc}")
        _WORKER[key] = (store, ReportCache(job.cache_root, job.cache_mode, warn=warn))
    store, cache = _WORKER[key]
    return _render_country(store, job.folder, job.lang, job.country, job.group, say, cache)
