"""Every output keruen writes goes through one writer (issue #22 items 12, 17, 21, 22).

The writer (:mod:`keruen.writing`) writes each file whole and in place, never through a link
(neither the file's own name nor a folder on the way inside the output folder), names the path
when the disk is full, and every CSV it makes has its formula-like text cells neutralised. A scan
of the source shows there is no other writer.
"""

from __future__ import annotations

import ast
import errno
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import keruen
import keruen.writing as writing
from keruen.cli import main
from keruen.errors import OutputError
from keruen.models.synthetic import remittance_world
from keruen.report.render import render_countries, render_report
from keruen.store import Store

PACKAGE = Path(keruen.__file__).parent
HYPERLINK = '=HYPERLINK("http://example.invalid/x","click")'


# -- links are replaced, never written through -------------------------------------------------
def _victims(tmp_path: Path) -> tuple[Path, Path]:
    figures, tables = tmp_path / "elsewhere_figures", tmp_path / "elsewhere_tables"
    for folder in (figures, tables):
        folder.mkdir()
        (folder / "keep.txt").write_text("keep me")
    return figures, tables


def _unchanged(*folders: Path) -> bool:
    return all([p.name for p in f.iterdir()] == ["keep.txt"] for f in folders)


def test_a_report_from_the_cache_never_writes_into_a_linked_folder(
    built_report: object, snapshot_store: Store, tmp_path: Path
) -> None:
    """Issue #22 item 21: on a cache hit the 52 + 16 files went into the links' targets."""
    built_report("TKM", "en")  # type: ignore[operator]  # the session's cache holds TKM now
    figures, tables = _victims(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "figures").symlink_to(figures, target_is_directory=True)
    (out / "tables").symlink_to(tables, target_is_directory=True)
    render_report(snapshot_store, out, "en", country="TKM", keep_estimates=False)
    assert _unchanged(figures, tables)
    for sub in ("figures", "tables"):
        assert not (out / sub).is_symlink() and (out / sub).is_dir()
    assert len(list((out / "figures").glob("*.png"))) > 5
    assert len(list((out / "tables").glob("*.csv"))) > 5


def test_a_folder_link_on_the_way_inside_the_output_folder_is_replaced(tmp_path: Path) -> None:
    figures, _ = _victims(tmp_path)
    out = tmp_path / "out"
    (out / "a").mkdir(parents=True)
    (out / "a" / "b").symlink_to(figures, target_is_directory=True)
    writing.write_bytes(out / "a" / "b" / "c" / "x.txt", b"new", root=out)
    assert _unchanged(figures)
    assert (out / "a" / "b" / "c" / "x.txt").read_bytes() == b"new"
    assert not (out / "a" / "b").is_symlink()


def test_a_file_where_a_folder_must_be_is_an_error_naming_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "figures").write_text("a file")
    with pytest.raises(OutputError, match=r"figures: a file is in the way"):
        writing.write_bytes(out / "figures" / "x.png", b"x", root=out)


def _remittance_inputs(tmp_path: Path, label: str = "") -> list[str]:
    """The synthetic remittance world of the model's tests; one host renamed ``label``."""
    w = remittance_world(2)
    stocks = w.stocks[["orig", "dest", "stock"]].copy()
    income = w.income.rename_axis("country").reset_index()
    received = w.received.rename("remittances").rename_axis("country").reset_index()
    if label:
        host = str(stocks["dest"].iloc[0])
        for frame, column in ((stocks, "orig"), (stocks, "dest"), (income, "country"),
                              (received, "country")):  # fmt: skip
            frame[column] = frame[column].replace(host, label)
    stocks.to_csv(tmp_path / "st.csv", index=False)
    received.to_csv(tmp_path / "rec.csv", index=False)
    income.to_csv(tmp_path / "inc.csv", index=False)
    return [
        "estimate", "remittance-corridors", "--stocks", str(tmp_path / "st.csv"),
        "--received", str(tmp_path / "rec.csv"), "--income", str(tmp_path / "inc.csv"),
    ]  # fmt: skip


def test_estimate_out_replaces_a_link_instead_of_its_target(tmp_path: Path) -> None:
    """Issue #22 item 21: ``estimate … --out`` replaced the link's target."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "corridors.csv"
    out.symlink_to(victim)
    res = CliRunner().invoke(main, [*_remittance_inputs(tmp_path), "--out", str(out)])
    assert res.exit_code == 0, res.stderr
    assert victim.read_text() == "keep me"
    assert not out.is_symlink() and out.read_text().startswith("sender,receiver")


# -- one CSV writer: every CSV neutralised -----------------------------------------------------
def test_estimate_csv_neutralises_a_formula_label_in_the_file_and_on_stdout(
    tmp_path: Path,
) -> None:
    """Issue #22 item 22: a host named ``=HYPERLINK(…)`` reached the CSV as a live formula."""
    args = _remittance_inputs(tmp_path, HYPERLINK)
    printed = CliRunner().invoke(main, args)
    assert printed.exit_code == 0, printed.stderr
    res = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "c.csv")])
    assert res.exit_code == 0, res.stderr
    for text in (printed.stdout, (tmp_path / "c.csv").read_text("utf-8")):
        cells = pd.read_csv(pd.io.common.StringIO(text), dtype=str)
        labels = set(cells["sender"]) | set(cells["receiver"])
        assert "'" + HYPERLINK in labels
        assert not any(v.startswith("=") for v in labels)


# -- a full disk: the path is named and nothing is half-written --------------------------------
def _disk_full_after(monkeypatch: pytest.MonkeyPatch, files: int) -> None:
    """Writes fail with ENOSPC once ``files`` files are written (as a full disk would)."""
    written = [0]
    real = writing._write_all

    def write_all(fh: object, data: bytes) -> None:
        if written[0] >= files:
            raise OSError(errno.ENOSPC, "No space left on device")
        written[0] += 1
        real(fh, data)  # type: ignore[arg-type]

    monkeypatch.setattr(writing, "_write_all", write_all)


def test_a_full_disk_names_the_file_and_leaves_the_report_folder_as_it_was(
    built_report: object, snapshot_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #22 item 17: 'No space left on device' named no file and left a partial folder."""
    built_report("TKM", "en")  # type: ignore[operator]
    out = tmp_path / "report"
    out.mkdir()
    (out / "index.html").write_text("the previous report")
    _disk_full_after(monkeypatch, 10)
    with pytest.raises(OutputError) as caught:
        render_report(snapshot_store, out, "en", country="TKM", keep_estimates=False)
    message = str(caught.value)
    assert message.startswith("cannot write ") and message.endswith("No space left on device")
    assert str(tmp_path) in message
    assert [p.name for p in out.iterdir()] == ["index.html"]
    assert (out / "index.html").read_text() == "the previous report"
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != "home")  # home: KERUEN_HOME
    assert left == ["report"]  # no staging folder left
    monkeypatch.undo()
    fresh = tmp_path / "fresh"
    _disk_full_after(monkeypatch, 10)
    with pytest.raises(OutputError):
        # in this process: the full disk is simulated here, the workers would not see it
        render_countries(snapshot_store, fresh, ["TKM", "KGZ"], "en", per_process=0)
    assert not fresh.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == ["report"]


def test_a_full_disk_on_the_command_line_is_one_line_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = _remittance_inputs(tmp_path)
    _disk_full_after(monkeypatch, 0)
    res = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "c.csv")])
    assert res.exit_code == 3
    where = tmp_path / "c.csv"
    assert res.stderr == f"keruen: error: cannot write {where}: No space left on device\n"
    assert not (tmp_path / "c.csv").exists() and not list(tmp_path.glob(".c.csv*"))


# -- no other writer -------------------------------------------------------------------------
WRITE_MODES = ("w", "a", "x", "+")
#: Writers that stay outside keruen.writing, each for a reason (file, what it writes).
ALLOWED = {
    ("cli/__init__.py", "os.open"): "stdout redirected to /dev/null after a broken pipe",
    ("store/segments.py", "os.open"): "the store's lock file: opened for flock, never written",
    ("registers/generate.py", "pq.write_table"): "Parquet parts into a staged_folder of its own",
}


def _mode(call: ast.Call, position: int) -> str:
    if len(call.args) > position and isinstance(call.args[position], ast.Constant):
        return str(call.args[position].value)
    for kw in call.keywords:
        if kw.arg == "mode" and isinstance(kw.value, ast.Constant):
            return str(kw.value.value)
    return "r"


def _writer(call: ast.Call, ours: frozenset[str] = frozenset()) -> str | None:
    """What kind of file writer ``call`` is, if it is one (``ours``: names from keruen.writing)."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    owner = func.value if isinstance(func, ast.Attribute) else None
    owner_name = getattr(owner, "id", getattr(owner, "attr", ""))
    if name == "open" and owner_name == "os":
        flags = ast.unparse(call.args[1]) if len(call.args) > 1 else ""
        return "os.open" if any(f in flags for f in ("O_WRONLY", "O_RDWR", "O_CREAT")) else None
    if name == "open" and any(m in _mode(call, 0 if owner is not None else 1) for m in WRITE_MODES):
        return "open for writing"
    if name == "fdopen" and any(m in _mode(call, 1) for m in WRITE_MODES):
        return "os.fdopen for writing"
    if name in ("write_text", "write_bytes") and owner_name != "writing" and name not in ours:
        return f".{name}"
    if owner is not None and name in ("to_csv", "to_parquet", "to_json", "to_excel", "to_pickle"):
        target = call.args[:1] or [k.value for k in call.keywords if k.arg == "path_or_buf"]
        if target and not (isinstance(target[0], ast.Constant) and target[0].value is None):
            return f".{name} to a file"
    if name in ("dump", "savefig", "copyfile", "copy", "copy2", "copytree", "move"):
        if owner_name in ("json", "pickle", "plt", "shutil", "fig"):
            return f"{owner_name}.{name}"
    if name in ("write_table", "write_dataset") and owner_name in ("pq", "ds", "parquet"):
        return f"pq.{name}"
    if name == "writer" and owner_name == "csv":
        return "csv.writer"
    return None


def test_no_module_but_keruen_writing_writes_files() -> None:
    """Issue #22 items 21, 22: one writer (links replaced) and one CSV writer (neutralised)."""
    found: dict[tuple[str, str], list[int]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        if module == "writing.py":
            continue
        tree = ast.parse(path.read_text("utf-8"))
        ours = frozenset(
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "keruen.writing"
            for alias in node.names
        )
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (kind := _writer(node, ours)) is not None:
                found.setdefault((module, kind), []).append(node.lineno)
    unexpected = {k: v for k, v in found.items() if k not in ALLOWED}
    assert unexpected == {}, f"write through keruen.writing instead: {unexpected}"
    assert set(found) == set(ALLOWED)  # the allowed ones are still there (else drop them)


def test_the_scan_finds_the_writers_it_looks_for() -> None:
    """The scan bites: each kind of writer in a snippet is found."""
    snippets = {
        "open(p, 'w')": "open for writing",
        "p.open('ab')": "open for writing",
        "p.write_text('x')": ".write_text",
        "frame.to_csv(p, index=False)": ".to_csv to a file",
        "json.dump(obj, fh)": "json.dump",
        "shutil.copy(a, b)": "shutil.copy",
        "csv.writer(fh)": "csv.writer",
    }
    for code, kind in snippets.items():
        call = ast.parse(code).body[0].value  # type: ignore[attr-defined]
        assert _writer(call) == kind, code
    for code in ("open(p)", "frame.to_csv(index=False)", "writing.write_text(p, 'x')"):
        assert _writer(ast.parse(code).body[0].value) is None, code  # type: ignore[attr-defined]
    imported = ast.parse("write_text(p, 'x')").body[0].value  # type: ignore[attr-defined]
    assert _writer(imported, frozenset({"write_text"})) is None
    assert _writer(imported) == ".write_text"  # a write_text not from keruen.writing
