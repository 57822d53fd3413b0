"""Disclosure control for everything published for policy staff (workbook, HTML report).

Pure functions on plain values: no files, no pandas. A publication is a set of *cells* (any
hashable key -> exact count from OUT) and *relations*, the linear equations between cells
that a reader can use (a row adds up to its total, the categories add up to the MPG count,
the children per family add up to the number of children, ...).

The rules (rules/default.toml, `min_cell`, `rounding_base`):
- primary suppression: a count from 1 to min_cell - 1 is shown as "<min_cell";
- secondary suppression: when a relation has exactly one suppressed cell, the smallest other
  non-zero cell in it is suppressed too (shown as "x"), repeated until nothing changes;
- an audit then checks that no suppressed cell can be worked out exactly from what is shown
  and the reader's bounds ("<5" is 1..4, "x" is at least min_cell because every small count
  is shown as "<5"): first by interval reasoning per relation, then exactly, by integer
  linear programming over all relations together. The one-suppressed-cell rule alone leaks
  in cases such as a row "<5", "x", total 6 (then "<5" = 1 and "x" = 5); the audit
  suppresses another cell (the nearest, smallest one that frees the exposed cell) until no
  such case is left;
- zeros are shown; other counts may be rounded to `rounding_base`.

Shares and ratios are shown only when every count they are computed from is shown.

Estimates (the prevalence estimate and its interval limits) are model outcomes, not counts:
`round_estimate` publishes them coarsely, and `alternatives` lists what a reader cannot rule
out of the kept-back cells, so that the publication can check that a published estimate does
not single out a kept-back count (reports/model.py, `estimate_view`).
"""
from __future__ import annotations

import functools
import math
from collections import deque
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from mpg.pipeline.errors import MpgError

Key = Hashable

SECONDARY_LABEL = "x"  # the CBS sign for a figure kept back to protect others
MAX_TRIALS = 12  # cells tried, one by one, to free an exposed cell before taking the nearest


class Status(str, Enum):
    SHOWN = "shown"
    SMALL = "small"  # primary: 1 .. min_cell - 1
    SECONDARY = "secondary"  # kept back so that a small count cannot be worked out


class DisclosureError(MpgError):
    """The cells cannot be protected with the cells that may still be suppressed: nothing
    is published rather than something unsafe."""


@dataclass(frozen=True)
class Relation:
    """A linear equation between cells: sum(weight * cell) == 0."""

    terms: tuple[tuple[Key, int], ...]

    @classmethod
    def total(cls, total: Key, parts: Iterable[Key],
              weights: Iterable[int] | None = None) -> "Relation":
        """`total` = sum of `parts` (each times its weight, default 1)."""
        parts = list(parts)
        weights = [1] * len(parts) if weights is None else list(weights)
        if len(weights) != len(parts):
            raise ValueError("one weight per part")
        return cls(((total, -1),) + tuple(zip(parts, weights)))

    @functools.cached_property
    def cells(self) -> tuple[Key, ...]:
        return tuple(k for k, _ in self.terms)


def is_small(n: int | None, min_cell: int) -> bool:
    """A count that must not be published: 1 .. min_cell - 1."""
    return n is not None and 1 <= n < min_cell


def small_label(min_cell: int) -> str:
    return f"<{min_cell}"


def round_to_base(n: int, base: int, min_cell: int = 1) -> int:
    """`n` rounded half up to a multiple of `base` (0 = no rounding).

    A non-zero count never rounds to a value below min_cell: with base 4 and min_cell 5 a
    count of 5 would otherwise be published as 4, a number the rules say never to show.
    """
    if base <= 0 or n == 0:
        return n
    rounded = int(math.floor(n / base + 0.5)) * base
    floor = math.ceil(min_cell / base) * base
    return max(rounded, floor) if n > 0 else rounded


@dataclass
class Protection:
    """The outcome of `protect`: a status per cell, and which cells are never displayed."""

    status: dict[Key, Status]
    min_cell: int
    hidden: frozenset[Key] = field(default_factory=frozenset)

    def suppressed(self) -> dict[Key, Status]:
        """Displayed cells that are kept back, in cell order."""
        return {k: s for k, s in self.status.items()
                if s is not Status.SHOWN and k not in self.hidden}


def protect(values: Mapping[Key, int], relations: Sequence[Relation], min_cell: int, *,
            hidden: Collection[Key] = (), suppressed: Collection[Key] = (),
            fixed: Collection[Key] = (), keep: Collection[Key] = ()) -> Protection:
    """Primary and secondary suppression of `values` under `relations`.

    hidden: cells that take part in a relation but are never displayed (the families that
      are not MPG in a neighbourhood). A reader can still work them out, so a small one is
      protected like a displayed one.
    suppressed: cells already kept back elsewhere (an earlier publication of the same run):
      they stay kept back.
    fixed: cells that are public elsewhere and so cannot be kept back here.
    keep: cells to suppress only when nothing else helps (the city totals).
    Cell order (the order of `values`) breaks ties, so the result is deterministic.
    """
    values = dict(values)
    _check(values, relations)
    hidden = frozenset(hidden)
    fixed = frozenset(fixed)
    keep = frozenset(keep)
    order = {k: i for i, k in enumerate(values)}
    status: dict[Key, Status] = {}
    for k, v in values.items():
        if is_small(v, min_cell):
            status[k] = Status.SMALL
        elif k in suppressed:
            status[k] = Status.SECONDARY
    by_cell: dict[Key, list[Relation]] = {}
    for rel in relations:
        for k in rel.cells:
            by_cell.setdefault(k, []).append(rel)

    def is_candidate(k: Key) -> bool:
        return k not in status and k not in hidden and k not in fixed and values[k] != 0

    def candidate(cells: Iterable[Key]) -> Key | None:
        free = [k for k in cells if is_candidate(k)]
        return min(free, key=lambda k: (k in keep, values[k], order[k]), default=None)

    accepted: set[Key] = set()  # kept-back cells that stay derivable (see below)
    while True:
        # The rule as written: a relation with exactly one unknown cell gives it away.
        changed = False
        for rel in relations:
            unknown = [k for k in rel.cells if k in status or k in hidden]
            if len(unknown) == 1 and unknown[0] in status:
                pick = candidate(rel.cells)
                if pick is not None:
                    status[pick] = Status.SECONDARY
                    changed = True
        if changed:
            continue
        # The cheap audit first; the exact one only when the cheap one finds nothing.
        audit = recoverable
        exposed = [k for k in audit(values, relations, status, min_cell, hidden=hidden)
                   if k not in accepted]
        if not exposed:
            audit = exact_recoverable
            exposed = [k for k in audit(values, relations, status, min_cell, hidden=hidden)
                       if k not in accepted]
        if not exposed:
            return Protection({k: status.get(k, Status.SHOWN) for k in values}, min_cell,
                              hidden)
        exposed.sort(key=lambda k: status[k] is not Status.SMALL)  # small counts first
        pick = None
        for cell in exposed:
            # A small count may be protected by a cell further away; an "x" only by its own
            # relations (further cells would not make it any less derivable).
            rings = _rings(cell, by_cell, 2 if status[cell] is Status.SMALL else 1)
            options = sorted(((k in keep, ring, values[k], order[k], k)
                              for ring, cells in enumerate(rings)
                              for k in dict.fromkeys(cells) if is_candidate(k)),
                             key=lambda t: t[:4])
            # The first cell (nearest, smallest) whose suppression frees the exposed one;
            # the nearest smallest at all when none does on its own.
            for *_, k in options[:MAX_TRIALS]:
                trial = {**status, k: Status.SECONDARY}
                if cell not in audit(values, relations, trial, min_cell, hidden=hidden):
                    pick = k
                    break
            else:
                pick = options[0][-1] if options else (
                    _nearest_candidate(cell, by_cell, candidate)
                    if status[cell] is Status.SMALL else None)
            if pick is not None:
                break
        if pick is not None:
            status[pick] = Status.SECONDARY
            continue
        small = [k for k in exposed if status[k] is Status.SMALL]
        if small:
            raise DisclosureError(
                f"{len(small)} small count(s) could be worked out from the published cells and "
                f"no other cell may be kept back ({small[:5]}); nothing was published. A "
                "larger min_cell or rounding_base in the rules may help.")
        # An "x" that follows from cells public elsewhere (the stayers of a category: this
        # quarter's count minus the inflow) cannot be hidden here. It is at least min_cell,
        # so knowing it reveals no small count (the audits above already take it as known
        # when they check the small ones); it is not reported again.
        accepted.update(exposed)


def _rings(cell: Key, by_cell: Mapping[Key, list[Relation]], n: int) -> list[list[Key]]:
    """The cells sharing a relation with `cell` (ring 0), with those (ring 1), ..."""
    seen = {cell}
    ring, rings = [cell], []
    for _ in range(n):
        ring = [k for c in ring for rel in by_cell.get(c, ()) for k in rel.cells
                if k not in seen]
        ring = list(dict.fromkeys(ring))
        seen.update(ring)
        rings.append(ring)
    return rings


def _nearest_candidate(cell: Key, by_cell: Mapping[Key, list[Relation]],
                       candidate) -> Key | None:
    """The cell to suppress for an exposed cell: from its own relations first, then from the
    relations of the cells next to it, and so on outwards."""
    seen = {cell}
    ring = [cell]
    while ring:
        neighbours = [k for c in ring for rel in by_cell.get(c, ()) for k in rel.cells]
        pick = candidate(neighbours)
        if pick is not None:
            return pick
        ring = [k for k in dict.fromkeys(neighbours) if k not in seen]
        seen.update(ring)
    return None


def _check(values: Mapping[Key, int], relations: Sequence[Relation]) -> None:
    for k, v in values.items():
        if not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"cell {k!r} is {v!r}; counts must be whole numbers >= 0")
    for rel in relations:
        missing = [k for k in rel.cells if k not in values]
        if missing:
            raise ValueError(f"a relation uses cells without a value: {missing}")
        if sum(w * values[k] for k, w in rel.terms) != 0:
            detail = ", ".join(f"{w:+d} x {k!r} ({values[k]})" for k, w in rel.terms)
            raise ValueError(f"the values do not satisfy a relation: {detail}")


def recoverable(values: Mapping[Key, int], relations: Sequence[Relation],
                status: Mapping[Key, Status], min_cell: int, *,
                hidden: Collection[Key] = ()) -> list[Key]:
    """Kept-back cells whose exact value a reader can work out with interval reasoning.

    The reader knows every shown value, that "<min_cell" is 1..min_cell-1, that "x" is at
    least min_cell, that a hidden cell is at least 0, and the relations; bounds are
    tightened relation by relation (whole numbers) until they stop moving. Fast, and it
    finds most exposures; what it misses (two relations read together) `exact_recoverable`
    finds.
    """
    lo, hi = _reader_bounds(values, status, min_cell, frozenset(hidden))
    _propagate(relations, lo, hi)
    return [k for k in values
            if status.get(k, Status.SHOWN) is not Status.SHOWN and lo[k] == hi[k]]


def _reader_bounds(values: Mapping[Key, int], status: Mapping[Key, Status], min_cell: int,
                   hidden: frozenset[Key]) -> tuple[dict[Key, float], dict[Key, float]]:
    lo: dict[Key, float] = {}
    hi: dict[Key, float] = {}
    for k, v in values.items():
        s = status.get(k, Status.SHOWN)
        if k in hidden:  # even when small: the reader cannot tell
            lo[k], hi[k] = 0, math.inf
        elif s is Status.SMALL:
            lo[k], hi[k] = 1, min_cell - 1
        elif s is Status.SECONDARY:
            # Every small count is shown as "<min_cell", so an "x" is at least min_cell.
            lo[k], hi[k] = (min_cell if v >= min_cell else 0), math.inf
        else:
            lo[k] = hi[k] = v
    return lo, hi


def _unknown_cells(values: Mapping[Key, int], status: Mapping[Key, Status],
                   hidden: frozenset) -> list[Key]:
    """What a reader does not see: the kept-back and hidden cells, in table order."""
    return [k for k in values if status.get(k, Status.SHOWN) is not Status.SHOWN
            or k in hidden]


def _reader_problem(values: Mapping[Key, int], relations: Sequence[Relation],
                    status: Mapping[Key, Status], min_cell: int, hidden: frozenset,
                    extra: int = 0):
    """The reader's integer program: the unknown cells (kept back or hidden, in table
    order), their index, a finite cap, their bounds (as `recoverable`, capped) and each
    relation as an equality row over them, padded with `extra` zero columns for the
    caller's own variables. Returns (unknown, index, cap, lower, upper, rows, rhs)."""
    unknown = _unknown_cells(values, status, hidden)
    index = {k: i for i, k in enumerate(unknown)}
    # A finite stand-in for "no upper bound": above every true value, so a largest value
    # that reaches it still shows the cell is not pinned (and the solver never sees an
    # unbounded problem).
    cap = 2 * sum(int(v) for v in values.values()) + min_cell + 1
    lo, hi = _reader_bounds(values, status, min_cell, hidden)
    lower = [float(lo[k]) for k in unknown]
    upper = [float(min(hi[k], cap)) for k in unknown]
    rows, rhs = [], []
    for rel in relations:
        row = np.zeros(len(unknown) + extra)
        const = 0
        for k, w in rel.terms:
            if k in index:
                row[index[k]] += w
            else:
                const += w * values[k]
        if row.any():
            rows.append(row)
            rhs.append(-const)
    return unknown, index, cap, lower, upper, rows, rhs


def exact_recoverable(values: Mapping[Key, int], relations: Sequence[Relation],
                      status: Mapping[Key, Status], min_cell: int, *,
                      hidden: Collection[Key] = ()) -> list[Key]:
    """Kept-back cells with a single possible value, by integer linear programming.

    The reader's problem exactly: unknowns are the kept-back and hidden cells, with the
    bounds of `recoverable`, whole numbers, and every relation. A cell is recoverable when
    its largest and smallest feasible values are both its true value. Each solution found
    shows other cells at a value different from their true one; those are free and need no
    solve of their own, so a table needs only a few solves.
    """
    try:
        from scipy.optimize import Bounds, LinearConstraint, milp
    except ImportError as exc:  # pragma: no cover - scipy is a dependency
        raise RuntimeError("the disclosure audit needs scipy (pip install scipy)") from exc
    protected = [k for k in values if status.get(k, Status.SHOWN) is not Status.SHOWN]
    if not protected:
        return []
    unknown, index, _, lower, upper, rows, rhs = _reader_problem(
        values, relations, status, min_cell, frozenset(hidden))
    lower, upper = np.array(lower), np.array(upper)
    constraints = [LinearConstraint(np.array(rows), rhs, rhs)] if rows else []
    truth = np.array([values[k] for k in unknown], dtype=float)
    free = np.zeros(len(unknown), dtype=bool)
    exposed = []
    for k in protected:
        i = index[k]
        if free[i]:
            continue
        for sign in (-1.0, 1.0):  # the largest value first, then the smallest
            c = np.zeros(len(unknown))
            c[i] = sign
            res = milp(c, constraints=constraints, integrality=np.ones(len(unknown)),
                       bounds=Bounds(lower, upper))
            if res.status != 0 or res.x is None:
                raise RuntimeError(f"the disclosure audit could not be solved: {res.message}")
            free |= np.abs(np.round(res.x) - truth) > 0.5
            if free[i]:
                break
        if not free[i]:
            exposed.append(k)
    return exposed


def _propagate(relations: Sequence[Relation], lo: dict[Key, float], hi: dict[Key, float],
               max_visits_per_relation: int = 200) -> None:
    """Tighten bounds with each equation until they stop moving (whole numbers).

    For the term j of  sum(w * x) == 0:  w_j * x_j = -(sum of the other terms), whose range
    is the relation's total range minus j's own contribution (infinite ends counted apart).
    A relation is looked at again only when a bound of one of its cells moved.
    """
    live = [rel for rel in relations if any(lo[k] != hi[k] for k in rel.cells)]
    by_cell: dict[Key, list[int]] = {}
    for i, rel in enumerate(live):
        for k in rel.cells:
            by_cell.setdefault(k, []).append(i)
    queue = deque(range(len(live)))
    queued = set(queue)
    budget = max_visits_per_relation * len(live)
    while queue and budget:
        budget -= 1
        i = queue.popleft()
        queued.discard(i)
        rel = live[i]
        ends = [(w * lo[k], w * hi[k]) if w > 0 else (w * hi[k], w * lo[k])
                for k, w in rel.terms]
        low_inf = sum(1 for a, _ in ends if math.isinf(a))
        high_inf = sum(1 for _, b in ends if math.isinf(b))
        low_sum = sum(a for a, _ in ends if not math.isinf(a))
        high_sum = sum(b for _, b in ends if not math.isinf(b))
        for (j, wj), (a, b) in zip(rel.terms, ends):
            if lo[j] == hi[j]:
                continue
            others_lo = -math.inf if low_inf - math.isinf(a) else low_sum - _finite(a)
            others_hi = math.inf if high_inf - math.isinf(b) else high_sum - _finite(b)
            if wj > 0:
                new_lo, new_hi = -others_hi / wj, -others_lo / wj
            else:
                new_lo, new_hi = -others_lo / wj, -others_hi / wj
            moved = False
            if not math.isinf(new_lo) and math.ceil(new_lo - 1e-9) > lo[j]:
                lo[j] = math.ceil(new_lo - 1e-9)
                moved = True
            if not math.isinf(new_hi) and math.floor(new_hi + 1e-9) < hi[j]:
                hi[j] = math.floor(new_hi + 1e-9)
                moved = True
            if moved:
                for other in by_cell[j]:
                    if other not in queued:
                        queue.append(other)
                        queued.add(other)


def _finite(x: float) -> float:
    return 0.0 if math.isinf(x) else x


def display_count(value: int, status: Status, min_cell: int, rounding_base: int = 0) -> int | str:
    """What a published cell holds: the (rounded) count, "<min_cell" or "x"."""
    if status is Status.SMALL:
        return small_label(min_cell)
    if status is Status.SECONDARY:
        return SECONDARY_LABEL
    return round_to_base(int(value), rounding_base, min_cell)


def share(numerator: int | str, denominator: int | str) -> float | None:
    """A share from two published counts; None when either is kept back or the base is 0."""
    if isinstance(numerator, str) or isinstance(denominator, str) or not denominator:
        return None
    return numerator / denominator


# --------------------------------------------------------------------------- estimates
ESTIMATE_STEP_SMALL = 5  # estimates below 100 are published to multiples of 5 ...
ESTIMATE_STEP = 10  # ... and from 100 on to multiples of 10
ESTIMATE_STEP_LIMIT = 100


def estimate_step(x: float, rounding_base: int = 0) -> int:
    """The multiple an estimate of size `x` is published to: 5 below 100, 10 from 100, never
    finer than the rules' rounding_base for counts."""
    step = ESTIMATE_STEP_SMALL if x < ESTIMATE_STEP_LIMIT else ESTIMATE_STEP
    return max(step, int(rounding_base or 0))


def round_estimate(x: float | None, min_cell: int, rounding_base: int = 0,
                   direction: str = "nearest") -> int | str | None:
    """An estimate or an interval limit as published.

    None (no limit, not computed) stays None; below min_cell it is "<min_cell", as a small
    count would be (0 stays 0); otherwise it is rounded to `estimate_step`: to the nearest
    multiple (half up), or for the limits of an interval outward ("down" for the lower,
    "up" for the upper), so that the published interval contains the computed one. A
    rounded value is never below min_cell.
    """
    if direction not in ("nearest", "down", "up"):
        raise ValueError(f"direction {direction!r}")
    if x is None or not math.isfinite(x):
        return None
    if x <= 0:
        return 0
    if x < min_cell:
        return small_label(min_cell)
    step = estimate_step(x, rounding_base)
    if direction == "nearest":
        rounded = int(math.floor(x / step + 0.5)) * step
    elif direction == "down":
        rounded = int(math.floor(x / step + 1e-9)) * step
    else:
        rounded = int(math.ceil(x / step - 1e-9)) * step
    return max(rounded, math.ceil(min_cell / step) * step)


def alternatives(values: Mapping[Key, int], relations: Sequence[Relation],
                 status: Mapping[Key, Status], min_cell: int, target: Key,
                 near: Collection[Key], *, hidden: Collection[Key] = (), max_values: int = 8):
    """What a reader cannot rule out: assignments {cell: value} of every kept-back and hidden
    cell that agree with the shown cells, the reader's bounds (as `exact_recoverable`) and
    the relations, with `target` at another value than its true one.

    One assignment for each other value of the target (nearest first, at most `max_values`
    of them): the one closest to the true values of the cells `near` (least sum of absolute
    differences). A value that no assignment allows is skipped; nothing is yielded when the
    target is pinned."""
    try:
        from scipy.optimize import Bounds, LinearConstraint, milp
    except ImportError as exc:  # pragma: no cover - scipy is a dependency
        raise RuntimeError("the disclosure audit needs scipy (pip install scipy)") from exc
    hidden = frozenset(hidden)
    unknown_set = set(_unknown_cells(values, status, hidden))
    if target not in unknown_set:
        return
    near = [k for k in dict.fromkeys(near) if k in unknown_set]
    m = len(near)
    unknown, index, cap, lower, upper, rows, rhs = _reader_problem(
        values, relations, status, min_cell, hidden, extra=m)
    n = len(unknown)
    lower = np.array(lower + [0.0] * m)
    upper = np.array(upper + [float(cap)] * m)
    low_rhs, high_rhs = list(rhs), list(rhs)
    for j, k in enumerate(near):  # d_j >= |x_k - its true value|; the sum of d_j is minimised
        for sign in (1.0, -1.0):
            row = np.zeros(n + m)
            row[index[k]], row[n + j] = sign, -1.0
            rows.append(row)
            low_rhs.append(-np.inf)
            high_rhs.append(sign * values[k])
    constraints = [LinearConstraint(np.array(rows), low_rhs, high_rhs)] if rows else []
    cost = np.concatenate([np.zeros(n), np.ones(m)])
    i = index[target]
    truth = int(values[target])
    options: list[int] = []
    step = 1
    while len(options) < max_values and (truth - step >= lower[i] or truth + step <= upper[i]):
        options += [v for v in (truth - step, truth + step) if lower[i] <= v <= upper[i]]
        step += 1
    for v in options[:max_values]:
        bounds_lo, bounds_hi = lower.copy(), upper.copy()
        bounds_lo[i] = bounds_hi[i] = v
        res = milp(cost, constraints=constraints, integrality=np.ones(n + m),
                   bounds=Bounds(bounds_lo, bounds_hi))
        if res.status == 0 and res.x is not None:
            yield {k: int(round(res.x[index[k]])) for k in unknown}
