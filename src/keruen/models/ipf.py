"""Iterative proportional fitting (vectorised NumPy): keruen's one implementation.

:func:`ipf` fits an n-way table to one-way margins and stops on the margins' relative error
(remittance corridors, synthetic registers); :func:`ipf_axes` fits margins over several axes
(e.g. origin × birthplace) and stops, as migest's ``ffs_demo`` does, when no cell moves by
``tol`` in a cycle (flows from stocks, where agreement with migest is tested).

Deming & Stephan (1940): start from a seed table and scale it in turn so that its sum over
all axes but one equals that axis's target margin, until no margin is off by more than
``tol`` (relative). Zero cells of the seed (structural zeros) stay zero. The ``ipfn`` package
was considered; its last release is from 2021, so this small function is kept instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from keruen.errors import ConvergenceError, EstimationError


def ipf(
    seed: np.ndarray,
    margins: Sequence[np.ndarray],
    *,
    tol: float = 1e-9,
    max_iter: int = 10_000,
) -> np.ndarray:
    """Fit ``seed`` (one axis per margin) so that ``x.sum(all axes but k) == margins[k]``.

    Margins must be non-negative with equal totals; raises :class:`ConvergenceError` if the
    largest relative margin error is still above ``tol`` after ``max_iter`` cycles (e.g.
    margins incompatible with the seed's structural zeros).
    """
    x = np.asarray(seed, dtype=float).copy()
    targets = [np.asarray(m, dtype=float) for m in margins]
    if x.ndim != len(targets):
        raise EstimationError(f"IPF: seed has {x.ndim} axes but {len(targets)} margins")
    for k, t in enumerate(targets):
        if t.shape != (x.shape[k],):
            raise EstimationError(f"IPF: margin {k} has shape {t.shape}, seed axis {x.shape[k]}")
    if (x < 0).any() or any((t < 0).any() for t in targets):
        raise EstimationError("IPF: negative cells in the seed or margins")
    totals = np.array([t.sum() for t in targets])
    if not np.allclose(totals, totals[0], rtol=1e-9):
        raise EstimationError(f"IPF: margins have different totals {totals.tolist()}")
    scale = max(float(totals[0]), 1.0)
    for _ in range(max_iter):
        for k, t in enumerate(targets):
            others = tuple(a for a in range(x.ndim) if a != k)
            cur = x.sum(axis=others)
            factor = np.divide(t, cur, out=np.zeros_like(t), where=cur > 0)
            shape = [1] * x.ndim
            shape[k] = -1
            x *= factor.reshape(shape)
        worst = max(
            float(np.abs(x.sum(axis=tuple(a for a in range(x.ndim) if a != k)) - t).max())
            for k, t in enumerate(targets)
        )
        if worst <= tol * scale:
            return x
    raise ConvergenceError(
        f"IPF did not reach the margins within {tol:g} in {max_iter} cycles "
        f"(largest error {worst:.3g}); are the margins compatible with the seed's zeros?"
    )


def ipf_axes(
    seed: np.ndarray,
    axes_targets: Sequence[tuple[tuple[int, ...], np.ndarray]],
    what: str,
    *,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, int]:
    """Fit ``seed`` to margins by iterative proportional fitting (Deming & Stephan 1940).

    Each constraint keeps the listed axes and sums out the others; a cell's update factor is
    ``target / current`` (zero where either is zero).  Iteration stops when no cell moves by
    ``tol`` or more in a full cycle.  Raises :class:`ConvergenceError` otherwise.
    """
    totals = [float(t.sum()) for _, t in axes_targets]
    if any(abs(t - totals[0]) > tol for t in totals):
        raise EstimationError(f"{what}: margins to fit have different totals {totals}")
    if (seed < 0).any() or any((t < 0).any() for _, t in axes_targets):
        raise EstimationError(f"{what}: negative cells in the seed or margins; check the inputs")
    x = seed.astype(float)  # a copy, scaled in place
    # each constraint's summed-out axes, its target shaped like the sums, and its zero cells
    plan = []
    for keep, target in axes_targets:
        drop = tuple(a for a in range(x.ndim) if a not in keep)
        tgt = np.expand_dims(np.asarray(target, dtype=float), drop)
        plan.append((drop, tgt, tgt == 0))
    prev, moved = np.empty_like(x), np.empty_like(x)
    for it in range(1, max_iter + 1):
        np.copyto(prev, x)
        for drop, tgt, zero in plan:
            cur = x.sum(axis=drop, keepdims=True)
            factor = np.zeros(cur.shape)
            np.divide(tgt, cur, out=factor, where=(cur != 0))
            factor[np.broadcast_to(zero, factor.shape)] = 0.0
            np.multiply(x, factor, out=x)
        np.subtract(x, prev, out=moved)
        if np.abs(moved, out=moved).max() < tol:
            return x, it
    raise ConvergenceError(f"{what}: IPF did not converge in {max_iter} iterations")


def integerise(table: np.ndarray, total: int, rng: np.random.Generator) -> np.ndarray:
    """Round a non-negative table to integers summing to ``total``, without bias.

    Systematic unequal-probability rounding: each cell is ``floor(x)`` or ``floor(x) + 1``, the
    latter with probability equal to its fractional part, so every margin is met in
    expectation and off by a few persons at most (a deterministic largest-remainder rounding
    would starve the many small cells of one margin). Cells are visited in a random order
    drawn from ``rng`` and one uniform offset decides all the round-ups.
    """
    flat = np.asarray(table, dtype=float).ravel()
    if flat.sum() <= 0:
        raise EstimationError("cannot integerise an empty table")
    exact = flat / flat.sum() * total
    base = np.floor(exact).astype(np.int64)
    short = int(total - base.sum())
    if short > 0:
        order = rng.permutation(len(flat))
        frac = (exact - base)[order]
        frac *= short / frac.sum()
        edges = np.floor(np.cumsum(frac) + rng.random()).astype(np.int64)
        up = np.diff(np.concatenate([[0], edges])) > 0
        base[order[up]] += 1
        base[order[np.argsort(-frac, kind="stable")[: max(0, total - base.sum())]]] += 1
    return base.reshape(np.shape(table))
