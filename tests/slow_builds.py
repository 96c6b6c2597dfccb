"""A deliberately slow profile build that a worker process can import (tests of the web builds).

A process pool runs a build by importing its function by name, so a monkeypatched build must
live in an importable module. The build waits until the file named by ``KERUEN_TEST_GATE``
exists (a gate two processes share), and appends its process id to ``KERUEN_TEST_BUILDS``
first, so a test counts the builds and sees where they ran.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def gated_build(store: Any, code: str) -> dict[str, Any]:
    """No sections, after the gate opens (at most 60 s); records ``pid code`` per build."""
    with open(os.environ["KERUEN_TEST_BUILDS"], "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()} {code}\n")
    gate = Path(os.environ["KERUEN_TEST_GATE"])
    deadline = time.monotonic() + 60
    while not gate.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return {}
