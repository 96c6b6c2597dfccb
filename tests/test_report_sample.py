"""``keruen report`` over a sample of countries whose report used to die (issue 18.1).

NIC, CIV, DOM, GIN, KWT, NER, MWI, ISL and POL ended with ``arima could not be fitted``, exit 7;
NRU, SSD and VEN with a template error. Built in one command, each gets its folder, the index
counts its sections, and the command exits 0. A sweep (about four minutes).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from click.testing import CliRunner

from keruen.cli import main

SAMPLE = ("NIC", "CIV", "DOM", "GIN", "KWT", "NER", "MWI", "ISL", "POL", "NRU", "SSD", "VEN")


def test_every_country_of_the_sample_is_written(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    result = CliRunner().invoke(
        main, ["report", "--country", ",".join(SAMPLE), "--out", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    status = json.loads((out / "status.json").read_text("utf-8"))
    assert status["written"] == len(SAMPLE)
    index = (out / "index.html").read_text("utf-8")
    for code in SAMPLE:
        row = status["by_country"][code]
        assert (out / code / "index.html").is_file() and (out / code / "numbers.json").is_file()
        assert f'href="{code}/index.html"' in index
        for key in ("trend", "cis", "share_gdp", "measures", "position"):  # never estimated
            assert row["status"][key] == "built", (code, key, row["failed"])
        assert row["status"]["forecasts"] != "failed", row["failed"]  # the ensemble copes
        for key, why in row["failed"].items():  # a failure says why, in the report too
            assert why and row["status"][key] == "failed"
            assert why in html.unescape((out / code / "index.html").read_text("utf-8"))
