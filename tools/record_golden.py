"""Re-record tests/data/report_golden from today's code (after a change meant to move numbers).

Writes the English reports of the golden countries on a fresh store loaded from the bundled
snapshot, without cache, and copies their numbers.json and tables/*.csv into place.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

COUNTRIES = ("KAZ", "UZB", "TKM", "DEU")
GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "data" / "report_golden"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="keruen-golden-") as tmp:
        env = dict(os.environ, KERUEN_HOME=str(Path(tmp) / "home"))
        out = Path(tmp) / "report"
        command = [sys.executable, "-m", "keruen", "report", "--country", ",".join(COUNTRIES)]
        subprocess.run([*command, "--out", str(out), "--no-cache"], env=env, check=True)
        for code in COUNTRIES:
            target = GOLDEN / code
            shutil.rmtree(target / "tables", ignore_errors=True)
            (target / "tables").mkdir(parents=True)
            shutil.copy2(out / code / "numbers.json", target / "numbers.json")
            for csv in sorted((out / code / "tables").glob("*.csv")):
                shutil.copy2(csv, target / "tables" / csv.name)
            print(f"{code}: recorded")


if __name__ == "__main__":
    main()
