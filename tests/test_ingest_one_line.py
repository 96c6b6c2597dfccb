"""Issue 22, item 3: inputs that gave tracebacks give one-line errors instead.

A 5,001-digit integer in a World Bank answer (data page or indicator metadata, from the loopback
fake server) or in a saved Taldau file; ``KERUEN_HTTP_TIMEOUT=0``; ``encoding = "rot13"`` in a
BNS mapping. Each: a non-zero exit, exactly one ``keruen: error:`` line, no traceback. The
files and answers are SYNTHETIC.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from keruen.cli import main
from tests import hostile
from tests.fakeserver import FakeServer, Reply
from tests.test_worldbank import POP, serve_worldbank

HUGE = "1" * 5001


def one_line(result: Result, code: int, *parts: str) -> str:
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, repr(result.exception)
    assert result.exit_code == code, result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("keruen: error:")]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert len(lines[0]) < 700
    for part in parts:
        assert part in lines[0], (part, lines[0])
    return lines[0]


def test_a_huge_integer_in_a_world_bank_data_page(server: FakeServer,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    serve_worldbank(server, monkeypatch, {POP: Reply(hostile.wb_page(HUGE))})
    result = CliRunner().invoke(main, ["update", "worldbank", "-i", POP])
    one_line(result, 6, "KAZ 2020", "finite")


def test_a_huge_integer_in_world_bank_metadata(server: FakeServer,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    serve_worldbank(server, monkeypatch, {POP: Reply(hostile.wb_page("5"))})
    header = {"page": 1, "pages": 1, "per_page": 50, "total": 1}
    meta = [header, [{"id": POP, "name": "Migrant stock", "unit": "", "sourceNote": "__N__"}]]
    body = json.dumps(meta).replace('"__N__"', HUGE)
    server.routes[f"/v2/indicator/{POP}"] = [Reply(body)]
    result = CliRunner().invoke(main, ["update", "worldbank", "-i", POP])
    assert result.exit_code in {0, 6}, result.output  # a long note is text, not a failure
    if result.exit_code:
        one_line(result, 6)
    header_big = json.dumps([{"page": 1, "pages": 1, "per_page": 50, "total": "__T__"},
                             meta[1]]).replace('"__T__"', HUGE)
    server.routes[f"/v2/indicator/{POP}"] = [Reply(header_big)]
    one_line(CliRunner().invoke(main, ["update", "worldbank", "-i", POP, "--refresh"]), 6,
             "'total'")


def test_a_huge_integer_in_a_taldau_file(tmp_path: Path) -> None:
    path = hostile.taldau_file(tmp_path, None, raw=HUGE)
    result = CliRunner().invoke(main, ["import", str(path), "-s", "taldau", "--release",
                                       "2024-01-01"])
    one_line(result, 3, path.name, "data row 1", "periods[0].value", "finite")


@pytest.mark.parametrize("value", ["0", "-1", "abc"])
def test_a_zero_http_timeout_is_refused_before_any_request(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    serve_worldbank(server, monkeypatch, {POP: Reply(hostile.wb_page("5"))})
    monkeypatch.setenv("KERUEN_HTTP_TIMEOUT", value)
    result = CliRunner().invoke(main, ["update", "worldbank", "-i", POP])
    one_line(result, 2, "KERUEN_HTTP_TIMEOUT", repr(value))
    assert server.requests == []


def test_report_cache_size_is_checked_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERUEN_REPORT_CACHE_MB", "abc")  # issue 22, item 30
    one_line(CliRunner().invoke(main, ["sources"]), 2, "KERUEN_REPORT_CACHE_MB", "'abc'")


@pytest.mark.parametrize("encoding", ["rot13", "base64", "zlib", "no-such"])
def test_a_codec_that_is_not_a_text_encoding(tmp_path: Path, encoding: str) -> None:
    mapping = f'encoding = "{encoding}"\n' + hostile.BNS_MAPPING
    table, path = hostile.bns_files(tmp_path, "5", mapping=mapping)
    result = CliRunner().invoke(main, ["import", str(table), "-s", "bns", "-m", str(path)])
    one_line(result, 3, "mapping.toml", "field 'encoding'", encoding)
