"""The report cache (issue #9, item 5): reuse what did not change, rebuild what did.

One store built from the bundled snapshot is reported on five times: cold, again with nothing
changed, without any cache, after a revised UN WPP vintage is loaded, and again after that.
"""

from __future__ import annotations

import multiprocessing
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from keruen.analysis import peer_group, run
from keruen.analysis.cache import ReportCache, Stats, _decode
from keruen.analysis.recording import RecordingStore, sql_dependencies
from keruen.cli import main
from keruen.report.render import render_report
from keruen.sources.snapshot import open_store
from keruen.store import Provenance, Store
from keruen.store.concepts import concept_series
from keruen.store.vitals import vital_events

#: Sections that read UN WPP (births, deaths, net migration): the world's flows estimated from
#: stocks, the country's flows read from them and the demographic balance. Every other section
#: reads other datasets only.
READS_WPP = {"flow_world", "flows", "balance"}
#: Sections built from those (the SWOT judges the flows' net migration): rebuilt with them.
BUILT_FROM_WPP = {"swot"}
OTHER_SECTIONS = {
    "trend",
    "cis",
    "share_gdp",
    "labour",
    "measures",
    "corridors",
    "volumes",
    "gravity_world",
    "corridor_world",
    "forecasts",
    "systems",
    "reconcile",
}


def _revise_wpp(store: Store) -> None:
    """Load a new UN WPP vintage revising one value: Kazakhstan's births in 2016 (+10 %)."""
    row = store.observations("UN_WPP", "births", "KAZ", period="2016")
    assert len(row) == 1
    cols = ["dataset", "measure", "ref_area", "counterpart_area", "breakdown", "period"]
    frame = row[[*cols, "value", "unit", "obs_status"]].copy()
    frame["value"] = frame["value"] * 1.1
    store.ingest(
        frame,
        Provenance(
            dataset="UN_WPP",
            vintage="WPP 2024 (revised by a test)",
            release="2099-01-01",
            publisher="keruen tests (synthetic revision of one UN WPP value)",
            file_name="wpp_revision.csv",
            sha256="f" * 64,
        ),
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    root = tmp_path_factory.mktemp("report-cache")
    store = open_store(root / "keruen.duckdb", quiet=True)
    warnings: list[str] = []

    def run(name: str, mode: str = "on") -> Stats:
        cache = ReportCache(root / "cache", mode, memory=False, warn=warnings.append)  # type: ignore[arg-type]
        render_report(store, root / name, "en", cache=cache)
        return cache.stats

    ns = SimpleNamespace(root=root, store=store, warnings=warnings, run=run)
    ns.cold = run("cold")
    ns.warm = run("warm")
    ns.plain = run("plain", "off")
    _revise_wpp(store)
    ns.revised = run("revised")
    ns.revised_again = run("revised_again")
    yield ns
    store.close()


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _sections_of(stats: Stats) -> set[str]:
    return {n for n in stats.rebuilt if not n.startswith(("figure ", "page "))}


# -- the must-show behaviour ---------------------------------------------------------------


def test_a_cold_run_builds_every_part(runs: SimpleNamespace) -> None:
    assert runs.cold.reused == []
    assert READS_WPP | OTHER_SECTIONS <= set(runs.cold.rebuilt)
    assert len([n for n in runs.cold.rebuilt if n.startswith("figure ")]) == 17
    assert "page en" in runs.cold.rebuilt


def test_a_second_run_with_unchanged_inputs_rebuilds_nothing(runs: SimpleNamespace) -> None:
    assert runs.warm.rebuilt == []
    assert sorted(runs.warm.reused) == sorted(runs.cold.rebuilt)
    assert runs.warm.line() == f"{len(runs.cold.rebuilt)} of {len(runs.cold.rebuilt)} parts reused"


def test_a_new_vintage_rebuilds_only_the_parts_that_read_it(runs: SimpleNamespace) -> None:
    assert _sections_of(runs.revised) == READS_WPP | BUILT_FROM_WPP
    assert OTHER_SECTIONS <= set(runs.revised.reused)
    assert runs.revised.why["flow_world"] == "changed: dataset:un_wpp"
    # the page lists every source, so it is redrawn; of the figures only the one the new
    # births change: the estimated flows (the balance's figure draws net migration only)
    assert "page en" in runs.revised.rebuilt
    figures = {n for n in runs.revised.rebuilt if n.startswith("figure ")}
    assert figures == {"figure 12_kaz_estimated_flows"}
    assert runs.revised_again.rebuilt == []


def test_the_revision_reaches_the_report(runs: SimpleNamespace) -> None:
    before = (runs.root / "warm" / "tables" / "flows.csv").read_text("utf-8")
    after = (runs.root / "revised" / "tables" / "flows.csv").read_text("utf-8")
    assert before != after
    assert "WPP 2024 (revised by a test)" in (runs.root / "revised" / "index.html").read_text(
        "utf-8"
    )


def test_cached_output_is_byte_identical_to_an_uncached_run(runs: SimpleNamespace) -> None:
    plain, cold, warm = (_files(runs.root / n) for n in ("plain", "cold", "warm"))
    assert set(plain) == set(cold) == set(warm)
    assert {
        "index.html",
        "numbers.json",
        "tables/flows.csv",
        "figures/01_kaz_remittances.png",
    } <= set(plain)
    for name in plain:
        if name == "index.html":  # same day: the generation date is equal too
            continue
        assert cold[name] == plain[name], name
        assert warm[name] == plain[name], name
    html = [re.sub(r"\d{4}-\d{2}-\d{2}", "DATE", f["index.html"].decode()) for f in (plain, warm)]
    assert html[0] == html[1]
    assert "@@keruen-generated-date@@" not in html[1]
    assert runs.plain.reused == []
    assert runs.warnings == []


def _entries_named(root: Path, name: str) -> list[Path]:
    """Every entry of part ``name`` (the page before the revision is still there too)."""
    def name_of(path: Path) -> str | None:
        try:
            return str(_decode(path.read_bytes())["name"])
        except ValueError:  # an entry an earlier test damaged on purpose
            return None

    found = [p for p in (root / "parts").rglob("*.bin") if name_of(p) == name]
    assert found, f"no cache entry of {name}"
    return found


def _figure_entry(root: Path, png: bytes) -> Path:
    for path in (root / "figures").rglob("*.bin"):
        if _decode(path.read_bytes())[1] == png:
            return path
    raise AssertionError("no cache entry of that figure")


def test_a_corrupt_entry_is_rebuilt_with_a_warning(runs: SimpleNamespace, tmp_path: Path) -> None:
    cache_dir, done = runs.root / "cache", runs.root / "revised_again"
    pages = _entries_named(cache_dir, "page en")
    figure = _figure_entry(cache_dir, (done / "figures" / "01_kaz_remittances.png").read_bytes())
    for page in pages:
        page.write_bytes(page.read_bytes()[:-100] + b"\0" * 100)  # damaged in place
    figure.write_bytes(b"not a cache entry")
    messages: list[str] = []
    cache = ReportCache(cache_dir, memory=False, warn=messages.append)
    render_report(runs.store, tmp_path / "out", "en", cache=cache)
    assert sorted(cache.stats.rebuilt) == ["figure 01_kaz_remittances", "page en"]
    assert any("damaged" in m and any(p.name in m for p in pages) for m in messages)
    assert any("damaged" in m and figure.name in m for m in messages)
    for name in ("numbers.json", "figures/01_kaz_remittances.png", "tables/flows.csv"):
        assert (tmp_path / "out" / name).read_bytes() == (done / name).read_bytes()
    again = ReportCache(cache_dir, memory=False)
    render_report(runs.store, tmp_path / "again", "en", cache=again)
    assert again.stats.rebuilt == []


def test_a_read_only_cache_is_still_used(
    runs: SimpleNamespace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #22 item 16: reading an entry must not need the right to touch or write it."""
    import errno
    import os

    import keruen.analysis.cache as cache_module

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "utime", refuse)
    monkeypatch.setattr(cache_module, "write_bytes", refuse)
    messages: list[str] = []
    cache = ReportCache(runs.root / "cache", memory=False, warn=messages.append)
    render_report(runs.store, tmp_path / "out", "en", cache=cache)
    assert cache.stats.rebuilt == [] and len(cache.stats.reused) > 20
    assert not any("unreadable" in m or "damaged" in m for m in messages)


def test_an_entry_under_another_keys_name_is_refused_and_rebuilt(
    runs: SimpleNamespace, tmp_path: Path
) -> None:
    """Issue #22 item 23: an entry carries its own kind and key; a copy elsewhere is refused."""
    import shutil

    cache_dir = tmp_path / "cache"
    shutil.copytree(runs.root / "cache", cache_dir)
    for group in _entries_named(cache_dir, "sections"):
        group.unlink()  # so that each section's own entry is looked up
    (corridors,) = _entries_named(cache_dir, "corridors")[:1]
    (world,) = _entries_named(cache_dir, "corridor_world")[:1]
    shutil.copy(world, corridors)  # the world allocation where KAZ's corridors should be
    messages: list[str] = []
    cache = ReportCache(cache_dir, memory=False, warn=messages.append)
    render_report(runs.store, tmp_path / "out", "en", cache=cache)
    assert any("damaged" in m and corridors.name in m and "not this key" in m for m in messages)
    assert "damaged cache entry rebuilt" in cache.stats.line()
    revised = runs.root / "revised"  # the same store drawn through an undamaged cache
    for name in ("numbers.json", "tables/corridors.csv"):
        assert (tmp_path / "out" / name).read_bytes() == (revised / name).read_bytes()


def test_a_run_says_when_it_repaired_the_cache(runs: SimpleNamespace, tmp_path: Path) -> None:
    """Issue #22 item 16: a rebuilt damaged entry is never reported as all parts reused."""
    import shutil

    cache_dir = tmp_path / "cache"
    shutil.copytree(runs.root / "cache", cache_dir)
    for group in _entries_named(cache_dir, "sections"):
        group.write_bytes(b"not a cache entry")
    cache = ReportCache(cache_dir, memory=False, warn=lambda _m: None)
    render_report(runs.store, tmp_path / "out", "en", cache=cache)
    assert cache.stats.rebuilt == [] and cache.stats.repaired
    assert cache.stats.line().endswith("parts reused; 1 damaged cache entry rebuilt")


# -- recording what a section reads --------------------------------------------------------


def test_sql_pinned_to_a_dataset_depends_on_it_only() -> None:
    sql = (
        "SELECT DISTINCT period FROM observations WHERE dataset = 'UNDESA_IMS' "
        "AND counterpart_area IS NOT NULL"
    )
    assert sql_dependencies(sql) == {"dataset:undesa_ims"}
    assert sql_dependencies(
        "SELECT * FROM sources WHERE dataset = ? AND vintage = ?", ["X", "v"]
    ) == {"dataset:x"}
    assert sql_dependencies("SELECT * FROM sources WHERE kind = 'paper_figures'") == {
        "kind:paper_figures"
    }


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM sources",
        "SELECT * FROM observations WHERE dataset = 'A' OR dataset = 'B'",
        "SELECT * FROM observations WHERE NOT dataset = 'A'",
        "SELECT * FROM observations WHERE dataset = ?",  # parameter missing
    ],
)
def test_sql_it_cannot_pin_depends_on_everything(sql: str) -> None:
    assert sql_dependencies(sql) == {"*"}


def test_the_recording_store_notes_each_dataset_read(snapshot_store: Store) -> None:
    rec = RecordingStore(snapshot_store)
    concept_series(rec, "remittances_received", ["KAZ"])
    assert rec.deps == {"dataset:wb_wdi", "dataset:wb_knomad_remittances"}
    rec = RecordingStore(snapshot_store)
    vital_events(rec, ["KAZ"], 2015, 2019)
    assert rec.deps == {"dataset:un_wpp"}
    rec = RecordingStore(snapshot_store)
    rec.paper_figures()
    assert rec.deps == {"kind:paper_figures"}
    for read in ("sources", "datasets", "observations"):
        rec = RecordingStore(snapshot_store)
        args = (None, "no such measure") if read == "observations" else ()
        getattr(rec, read)(*args)
        assert rec.deps == {"*"}, read


def test_sections_of_the_dashboard_come_from_the_cache(snapshot_store: Store) -> None:
    first = ReportCache()  # the run's shared cache (what other tests computed may be reused)
    got = run(snapshot_store, peer_group("KAZ"), cache=first)
    assert {"trend", "flows", "systems"} <= set(got)
    second = ReportCache(first.root, memory=False)  # read back from the files
    again = run(snapshot_store, peer_group("KAZ"), cache=second)
    assert second.stats.rebuilt == [] and "trend" in second.stats.reused
    assert again["trend"].tables["series"].equals(got["trend"].tables["series"])


# -- the cache files ------------------------------------------------------------------------


def _writer(root: str, seed: int) -> None:
    cache = ReportCache(root, memory=False)
    for i in range(40):
        cache.put("parts", "k" * 64, {"writer": seed, "i": i, "pad": bytes([seed]) * 200_000})


def test_two_processes_writing_one_entry_leave_a_whole_one(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), s)) for s in (1, 2)]
    for p in procs:
        p.start()
    reader = ReportCache(tmp_path, memory=False, warn=pytest.fail)
    seen = 0
    while any(p.is_alive() for p in procs):
        value = reader.get("parts", "k" * 64)
        if value is not None:
            assert value["pad"] == bytes([value["writer"]]) * 200_000
            seen += 1
    for p in procs:
        p.join()
        assert p.exitcode == 0
    final = reader.get("parts", "k" * 64)
    assert final is not None and final["i"] == 39
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_prune_keeps_the_folder_under_its_limit_dropping_the_oldest(tmp_path: Path) -> None:
    import os

    cache = ReportCache(tmp_path, memory=False)
    for i in range(5):
        cache.put("figures", f"{i:02d}" + "0" * 62, b"x" * 100_000)
        path = cache.path("figures", f"{i:02d}" + "0" * 62)
        os.utime(path, (1_000_000 + i, 1_000_000 + i))
    assert cache.prune(max_bytes=250_000) == 3
    kept = sorted(p.name[:2] for p in tmp_path.rglob("*.bin"))
    assert kept == ["03", "04"]


def test_report_help_says_where_the_cache_lives_and_flags_exclude_each_other(home: Path) -> None:
    runner = CliRunner()
    help_text = runner.invoke(main, ["report", "--help"]).output
    assert "KERUEN_HOME>/cache/report" in help_text
    assert "--no-cache" in help_text and "--rebuild" in help_text
    res = runner.invoke(main, ["report", "--no-cache", "--rebuild"])
    assert res.exit_code != 0 and "exclude each other" in res.output


def test_an_unwritable_cache_is_one_warning_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    messages: list[str] = []
    cache = ReportCache(blocker / "cache", memory=False, warn=messages.append)
    for i in range(3):
        cache.put("parts", f"{i:064d}", {"i": i})
    assert len(messages) == 1 and "cannot write the report cache" in messages[0]
    assert cache.get("parts", f"{0:064d}") is None


class _Part:
    """A part value that can be weakly referenced (to see who keeps it alive)."""

    def __init__(self, n: int) -> None:
        self.n = n


def test_forget_lets_go_of_the_values_a_country_computed(
    snapshot_store: Store, tmp_path: Path
) -> None:
    """Issue 18.1: the lineage map kept every country's sections alive (~130 MB a country)."""
    import gc
    import weakref

    cache = ReportCache(tmp_path / "c", memory=False)
    value = cache.part(snapshot_store, "a part", {"n": 1}, lambda _s: _Part(1))
    lineage = cache.lineage(value)
    assert not lineage.startswith("content:")
    ref = weakref.ref(value)
    del value
    gc.collect()
    assert ref() is not None  # held by the cache for its lineage
    cache.forget()
    gc.collect()
    assert ref() is None
    again = cache.part(snapshot_store, "a part", {"n": 1}, lambda _s: _Part(2))
    assert again.n == 1 and cache.lineage(again) == lineage  # reused, remembered anew
