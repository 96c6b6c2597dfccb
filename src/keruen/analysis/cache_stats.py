"""What one run of the cache did: parts reused and rebuilt, why, and entries repaired."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class Stats:
    """Which parts a run reused and which it rebuilt, in order, and the cache's warnings."""

    reused: list[str] = dataclasses.field(default_factory=list)
    rebuilt: list[str] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)
    #: why each rebuilt part was rebuilt: "not cached", "changed: dataset:un_wpp", ...
    why: dict[str, str] = dataclasses.field(default_factory=dict)
    #: entries found damaged or belonging to another key (each rebuilt): "parts/1a2b3c4d", ...
    repaired: list[str] = dataclasses.field(default_factory=list)

    def copy(self) -> Stats:
        """A snapshot of the counts so far."""
        return Stats(
            list(self.reused),
            list(self.rebuilt),
            list(self.warnings),
            dict(self.why),
            list(self.repaired),
        )

    def since(self, before: Stats) -> Stats:
        """What happened after the snapshot ``before``."""
        return Stats(
            self.reused[len(before.reused) :],
            self.rebuilt[len(before.rebuilt) :],
            self.warnings[len(before.warnings) :],
            {k: v for k, v in self.why.items() if before.why.get(k) != v},
            self.repaired[len(before.repaired) :],
        )

    def line(self) -> str:
        """E.g. ``'29 of 31 parts reused (rebuilt: flows, page en)'``.

        A run with nothing cached yet says what it computed (``'computed 31 parts (nothing
        cached yet)'``); damaged entries that were rebuilt are counted.
        """
        total = len(self.reused) + len(self.rebuilt)
        if self.rebuilt and not self.reused and not self.repaired:
            text = f"computed {total} parts (nothing reusable in the cache)"
        else:
            text = f"{len(self.reused)} of {total} parts reused"
        if self.rebuilt and self.reused:
            shown = ", ".join(self.rebuilt[:8]) + (" …" if len(self.rebuilt) > 8 else "")
            text += f" (rebuilt: {shown})"
        if self.repaired:
            n = len(self.repaired)
            text += f"; {n} damaged cache entr{'y' if n == 1 else 'ies'} rebuilt"
        return text
