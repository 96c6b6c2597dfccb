"""Synthetic registers: IPF, calibration to the store's margins, seeding, synthetic labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from keruen.errors import ConfigError, ConvergenceError
from keruen.registers.aggregate import aggregate
from keruen.registers.checks import resolve_span
from keruen.registers.engines import DuckDBEngine
from keruen.registers.generate import SYNTHETIC_LABEL, Spec, calibrate, generate, joint_shares
from keruen.models.ipf import integerise, ipf
from keruen.registers.margins import Margins, from_store
from keruen.registers.schema import MANIFEST, PERMIT_KINDS, check_files

#: Largest difference allowed between a generated share and the margin it was calibrated to
#: (the fitted table is rounded to whole persons; nothing else is random in these margins).
SHARE_TOLERANCE = 0.001


@pytest.fixture(scope="module")
def margins(snapshot_store) -> Margins:  # type: ignore[no-untyped-def]
    return from_store(snapshot_store)


def test_ipf_meets_every_margin_and_keeps_structural_zeros() -> None:
    rng = np.random.default_rng(1)
    seed = rng.random((4, 5, 3))
    seed[0, :, 2] = 0.0
    rows, cols, kinds = np.array([4, 3, 2, 1.0]), np.array([1, 2, 3, 2, 2.0]), np.array([5, 3, 2.0])
    fit = ipf(seed, [rows, cols, kinds])
    assert np.allclose(fit.sum(axis=(1, 2)), rows)
    assert np.allclose(fit.sum(axis=(0, 2)), cols)
    assert np.allclose(fit.sum(axis=(0, 1)), kinds)
    assert (fit[0, :, 2] == 0).all()


def test_ipf_reports_margins_its_zeros_cannot_meet() -> None:
    seed = np.array([[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ConvergenceError):
        ipf(seed, [np.array([1.0, 1.0]), np.array([2.0, 0.0])], max_iter=50)


def test_integerise_keeps_the_total_and_rounds_each_cell_by_less_than_one() -> None:
    table = np.array([[0.2, 0.3], [0.1, 0.4]])
    counts = integerise(table, 101, np.random.default_rng(0))
    assert counts.sum() == 101
    assert np.abs(counts - table * 101).max() < 1


def test_margins_come_from_the_paper_and_bns_population(margins: Margins) -> None:
    assert margins.yearly_total == pytest.approx(400_000)
    assert margins.citizenship["UZB"] == pytest.approx(200_000)
    assert margins.region["KZ-75"] == pytest.approx(0.27)
    assert margins.region.sum() == pytest.approx(1.0)
    assert margins.quota_share(2022) == pytest.approx(28_300 / 400_000)
    assert {i["dataset"] for i in margins.inputs} == {"PAPER_KELINBAYEVA_2025", "KZ_BNS_POPULATION"}


def test_eaeu_citizens_only_hold_the_eaeu_kind(margins: Margins) -> None:
    shares, _ = joint_shares(margins, 2022)
    cits = list(margins.citizenship.index)
    k = PERMIT_KINDS.index("eaeu_worker")
    for c in margins.eaeu:
        row = shares[cits.index(c)]
        assert row[:, k].sum() == pytest.approx(row.sum())


@pytest.fixture(scope="module")
def generated(tmp_path_factory, margins: Margins):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("gen") / "reg"
    spec = Spec(persons=30_000, start_year=2021, end_year=2023, seed=5, chunk_rows=7_000)
    info = generate(root, spec, margins)
    return root, spec, info


def test_the_register_is_labelled_synthetic_in_every_file_and_its_manifest(generated) -> None:  # type: ignore[no-untyped-def]
    root, _, info = generated
    manifest = json.loads((root / MANIFEST).read_text("utf-8"))
    assert manifest["synthetic"] is True and manifest["label"] == SYNTHETIC_LABEL
    files = check_files(root)
    assert files.synthetic
    for path in files.files:
        meta = pq.read_schema(path).metadata
        assert meta[b"keruen.synthetic"] == b"true"
    partitions = {p.name for p in root.iterdir() if p.is_dir()}
    assert {"year=2021", "year=2022", "year=2023"} <= partitions  # address changes may spill over
    assert all(p.startswith("year=") for p in partitions)


def test_same_seed_same_register_other_seed_other_register(tmp_path: Path, margins) -> None:  # type: ignore[no-untyped-def]
    spec = Spec(persons=2_000, start_year=2022, end_year=2023, seed=9, chunk_rows=700)
    a = generate(tmp_path / "a", spec, margins)
    b = generate(tmp_path / "b", spec, margins)
    generate(tmp_path / "c", Spec(**{**spec.__dict__, "seed": 10}), margins)

    def read(p: Path):  # type: ignore[no-untyped-def]
        table = ds.dataset(p, partitioning="hive").to_table()
        return table.sort_by([("person_id", "ascending"), ("arrival_date", "ascending")])

    assert a["rows"] == b["rows"]
    assert read(tmp_path / "a").equals(read(tmp_path / "b"))
    assert not read(tmp_path / "a").equals(read(tmp_path / "c"))


def test_generate_refuses_an_existing_folder(tmp_path: Path, margins) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "reg").mkdir()
    with pytest.raises(ConfigError, match="already exists"):
        generate(tmp_path / "reg", Spec(persons=10), margins)


def test_aggregates_reproduce_the_calibration_margins(generated, margins: Margins) -> None:  # type: ignore[no-untyped-def]
    root, spec, _ = generated
    files = check_files(root)
    engine = DuckDBEngine(memory_limit="500MB")
    try:
        results = aggregate(engine, files, resolve_span(files))
        permits = engine.fetch(
            "SELECT CAST(year(arrival_date) AS BIGINT) AS year, permit_kind, count(*) AS n "
            "FROM register_raw WHERE previous_region IS NULL GROUP BY ALL"  # no bad records
        )
    finally:
        engine.close()
    assert results.checks.bad == 0
    flows = results.tables["flows"]
    flows = flows.assign(year=flows["month"] // 100)
    cal = calibrate(margins, spec)
    for year in spec.years:
        got = flows[flows["year"] == year]
        n = got["arrivals_from_abroad"].sum()
        assert n == cal.counts[year].sum()
        by_cit = got.groupby("citizenship")["arrivals_from_abroad"].sum() / n
        want = margins.citizenship / margins.yearly_total
        assert (by_cit.reindex(want.index, fill_value=0) - want).abs().max() < SHARE_TOLERANCE
        by_reg = got.groupby("region")["arrivals_from_abroad"].sum() / n
        assert (by_reg.reindex(margins.region.index, fill_value=0) - margins.region).abs().max() < (
            SHARE_TOLERANCE
        )
        kinds = permits[permits["year"] == year].set_index("permit_kind")["n"] / n
        assert abs(kinds["quota_work_permit"] - margins.quota_share(year)) < SHARE_TOLERANCE
