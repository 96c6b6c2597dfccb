"""Results kept per store version: computed once per version, never served to another, and
only the newest versions of a store keep theirs (a long-running server does not accumulate)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from keruen.store import memo


@dataclass
class Version:
    """Stands for a store object: what per_version reads of it."""

    version_key: Any


@pytest.fixture(autouse=True)
def empty() -> Iterator[None]:
    memo.clear()
    yield
    memo.clear()


def counter() -> tuple[list[int], Any]:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    return calls, compute


def kept(store: Version, compute: Any) -> Any:
    """What the memo gives from the second ask on (the first ask answers None)."""
    memo.when_asked_again(store, "k", compute)
    return memo.when_asked_again(store, "k", compute)


def test_a_version_computes_once_and_another_version_again() -> None:
    calls, compute = counter()
    v1, v2 = Version(("/s", 1, ("seg-1",))), Version(("/s", 2, ("seg-1", "seg-2")))
    assert kept(v1, compute) == 1
    assert kept(v1, compute) == 1
    assert kept(v2, compute) == 2
    assert kept(v1, compute) == 1  # the older version's own result
    assert len(calls) == 2


def test_a_store_without_a_version_identity_is_never_memoised() -> None:
    calls, compute = counter()
    assert [kept(Version(None), compute) for _ in range(3)] == [None, None, None]
    assert calls == []  # the caller reads what it needs itself


def test_only_the_newest_versions_of_a_store_keep_their_entries() -> None:
    calls, compute = counter()
    for n in range(1, 6):  # five weekly updates of one store
        kept(Version(("/s", n, (f"seg-{n}",))), compute)
    kept(Version(("/t", 1, ("seg-1",))), compute)
    held = {key[0] for key in memo._entries}  # noqa: SLF001 - what the process holds
    assert held == {("/s", 5, ("seg-5",)), ("/s", 4, ("seg-4",)), ("/t", 1, ("seg-1",))}
    before = len(calls)
    # a reader still on week 1 is not served another version's result: it reads its own rows
    assert kept(Version(("/s", 1, ("seg-1",))), compute) is None
    assert len(calls) == before and len(memo._entries) == 3  # noqa: SLF001 - nothing kept


def test_the_process_keeps_at_most_max_entries() -> None:
    _, compute = counter()
    for n in range(memo.MAX_ENTRIES + 5):
        kept(Version((f"/store{n}", 1, ())), compute)
    assert len(memo._entries) == memo.MAX_ENTRIES  # noqa: SLF001


def test_a_result_asked_for_again_is_computed_from_the_second_ask() -> None:
    calls, compute = counter()
    v1, v2 = Version(("/s", 1, ("seg-1",))), Version(("/s", 2, ("seg-2",)))
    assert memo.when_asked_again(v1, "k", compute) is None  # first: the caller reads narrowly
    assert memo.when_asked_again(v1, "k", compute) == 1
    assert memo.when_asked_again(v1, "k", compute) == 1
    assert memo.when_asked_again(v2, "k", compute) is None  # a new version starts again
    assert memo.when_asked_again(Version(None), "k", compute) is None
    assert len(calls) == 1
