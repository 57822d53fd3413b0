"""Disclosure control (reports/disclosure.py): primary and secondary suppression, rounding,
and an independent check that no kept-back cell can be worked out.

The independent check (`exact_ranges`) solves the reader's problem by brute force, not by
the integer program the code uses: for every kept-back cell, the smallest and largest value
consistent with what is shown, the reader's bounds ("<5" is 1..4, "x" is at least 5, a
hidden cell at least 0) and the relations. A cell is recovered when the two are equal.
"""
from __future__ import annotations

import itertools
import random

import pytest

from mpg.reports.disclosure import (DisclosureError, Relation, Status, display_count,
                                exact_recoverable, is_small, protect, recoverable,
                                round_to_base, share, small_label)

MIN_CELL = 5


def exact_ranges(values, relations, status, min_cell=MIN_CELL, hidden=()):
    """{cell: (min, max)} for every kept-back or hidden cell: what a reader can work out,
    found by brute force (every integer assignment of the unknown cells that fits what is
    shown, the reader's bounds and the relations), not by the integer program the code
    uses. Bounds: "<5" is 1..4, "x" at least 5, a hidden cell at least 0; above `cap` a
    value is as good as unbounded (a range that reaches it pins nothing). Small tables only
    (up to 3 x 3 with totals): the search enumerates, pruned by the relations' bounds."""
    hidden = set(hidden)
    unknown = [k for k in values if status.get(k, Status.SHOWN) is not Status.SHOWN
               or k in hidden]
    if not unknown:
        return {}
    cap = 2 * sum(values.values()) + min_cell
    bounds = {}
    for k in unknown:
        if k in hidden:
            bounds[k] = (0, cap)
        elif status.get(k) is Status.SMALL:
            bounds[k] = (1, min_cell - 1)
        else:
            bounds[k] = (min_cell, cap)
    # each relation as (known constant, [(unknown cell, weight)]): constant + sum = 0
    rows = []
    for rel in relations:
        const = sum(w * values[k] for k, w in rel.terms if k not in bounds)
        terms = [(k, w) for k, w in rel.terms if k in bounds]
        if terms:
            rows.append((const, terms))
        else:
            assert const == 0, "the shown cells break a relation"
    order = sorted(unknown, key=lambda k: (bounds[k][1] - bounds[k][0], str(k)))
    seen = {k: [None, None] for k in unknown}

    def possible(assigned):
        for const, terms in rows:
            low = high = const
            for k, w in terms:
                if k in assigned:
                    low += w * assigned[k]
                    high += w * assigned[k]
                else:
                    lo, hi = bounds[k]
                    low += w * (lo if w > 0 else hi)
                    high += w * (hi if w > 0 else lo)
            if not low <= 0 <= high:
                return False
        return True

    def search(i, assigned):
        if i == len(order):
            for k, v in assigned.items():
                lo, hi = seen[k]
                seen[k] = [v if lo is None else min(lo, v), v if hi is None else max(hi, v)]
            return
        k = order[i]
        lo, hi = bounds[k]
        for v in range(lo, hi + 1):
            assigned[k] = v
            if possible(assigned):
                search(i + 1, assigned)
        del assigned[k]

    search(0, {})
    assert all(lo is not None for lo, _ in seen.values()), "the reader's problem is infeasible"
    return {k: (lo, hi) for k, (lo, hi) in seen.items()}


def assert_protected(values, relations, protection, hidden=()):
    """No kept-back cell (nor a small hidden one) has a single possible value."""
    ranges = exact_ranges(values, relations, protection.status, protection.min_cell, hidden)
    pinned = {k: r for k, r in ranges.items()
              if r[0] == r[1] and protection.status[k] is not Status.SHOWN}
    assert not pinned, f"recoverable: {pinned}"


def table(rows: list[list[int]]):
    """A table with its row totals, column totals and grand total as cells and relations."""
    values, relations = {}, []
    n_cols = len(rows[0])
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            values[(r, c)] = v
        values[(r, "T")] = sum(row)
        relations.append(Relation.total((r, "T"), [(r, c) for c in range(n_cols)]))
    for c in [*range(n_cols), "T"]:
        values[("T", c)] = sum(values[(r, c)] for r in range(len(rows)))
        relations.append(Relation.total(("T", c), [(r, c) for r in range(len(rows))]))
    relations.append(Relation.total(("T", "T"), [("T", c) for c in range(n_cols)]))
    return values, relations


# ------------------------------------------------------------------ small helpers
@pytest.mark.parametrize("n, small", [(0, False), (1, True), (4, True), (5, False),
                                      (100, False), (None, False)])
def test_is_small(n, small):
    assert is_small(n, 5) is small


def test_small_label_names_the_threshold():
    assert small_label(5) == "<5"
    assert small_label(10) == "<10"


@pytest.mark.parametrize("base", [0, 1, 3, 4, 5, 10])
@pytest.mark.parametrize("min_cell", [1, 3, 5, 10])
def test_rounding_never_gives_a_small_number(base, min_cell):
    for n in range(0, 200):
        r = round_to_base(n, base, min_cell)
        if base == 0:
            assert r == n
            continue
        assert r % base == 0
        assert not is_small(r, min_cell) or r == 0
        assert (r == 0) == (n == 0), "a non-zero count must not vanish, nor zero appear"
        if n >= min_cell:
            assert abs(r - n) <= max(base, min_cell), (n, r)


def test_rounding_is_to_the_nearest_multiple():
    assert [round_to_base(n, 5, 5) for n in (5, 7, 8, 12, 13, 100)] == [5, 5, 10, 10, 15, 100]


def test_display_count():
    assert display_count(3, Status.SMALL, 5) == "<5"
    assert display_count(12, Status.SECONDARY, 5) == "x"
    assert display_count(12, Status.SHOWN, 5) == 12
    assert display_count(12, Status.SHOWN, 5, rounding_base=5) == 10
    assert display_count(0, Status.SHOWN, 5, rounding_base=5) == 0


def test_shares_only_from_shown_counts():
    assert share(5, 20) == 0.25
    assert share("<5", 20) is None
    assert share(5, "x") is None
    assert share(0, 0) is None


# ------------------------------------------------------------------ primary
def test_primary_suppression_marks_small_cells_and_shows_zeros():
    values, relations = table([[0, 20, 30], [40, 50, 60]])
    p = protect(values, relations, MIN_CELL)
    assert all(s is Status.SHOWN for s in p.status.values())
    values, relations = table([[3, 20, 30], [40, 50, 60]])
    p = protect(values, relations, MIN_CELL)
    assert p.status[(0, 0)] is Status.SMALL


def test_min_cell_is_a_parameter():
    values, relations = table([[7, 20, 30], [40, 50, 60]])
    assert protect(values, relations, 5).status[(0, 0)] is Status.SHOWN
    assert protect(values, relations, 10).status[(0, 0)] is Status.SMALL


# ------------------------------------------------------------------ secondary
def test_a_row_with_one_small_cell_and_a_total_is_not_recoverable():
    """The tempting table: row 0 has one small cell (3) and a published total (53)."""
    values, relations = table([[3, 20, 30], [40, 50, 60], [45, 55, 65]])
    p = protect(values, relations, MIN_CELL)
    assert p.status[(0, 0)] is Status.SMALL
    row0 = [p.status[(0, c)] for c in (0, 1, 2, "T")]
    col0 = [p.status[(r, 0)] for r in (0, 1, 2, "T")]
    assert sum(s is not Status.SHOWN for s in row0) >= 2
    assert sum(s is not Status.SHOWN for s in col0) >= 2
    # The rule as written picks the smallest other non-zero cell of the row: 20.
    assert p.status[(0, 1)] is Status.SECONDARY
    assert_protected(values, relations, p)
    # And the totals the reader sees still add up around the kept-back cells.
    shown_row = sum(values[(0, c)] for c in (0, 1, 2) if p.status[(0, c)] is Status.SHOWN)
    assert values[(0, "T")] - shown_row >= values[(0, 0)] + 1


def test_the_rule_alone_would_leak_when_x_is_known_to_be_at_least_min_cell():
    """Row "<5", "x", 20, total 26: with x >= 5 the small cell must be 1 (and x = 5).
    Suppressing only the smallest other cell is not enough; the audit adds one more."""
    values = {"a": 1, "b": 5, "c": 20, "t": 26}
    relations = [Relation.total("t", ["a", "b", "c"])]
    rule_only = {"a": Status.SMALL, "b": Status.SECONDARY}
    assert set(recoverable(values, relations, rule_only, MIN_CELL)) == {"a", "b"}
    p = protect(values, relations, MIN_CELL)
    assert_protected(values, relations, p)


def test_two_small_cells_that_add_up_to_their_minimum_are_protected():
    """"<5" + "<5" = 2 leaves only 1 + 1."""
    values = {"a": 1, "b": 1, "c": 30, "t": 32}
    relations = [Relation.total("t", ["a", "b", "c"])]
    assert set(recoverable(values, relations,
                           {"a": Status.SMALL, "b": Status.SMALL}, MIN_CELL)) == {"a", "b"}
    p = protect(values, relations, MIN_CELL)
    assert p.status["c"] is not Status.SHOWN or p.status["t"] is not Status.SHOWN
    assert_protected(values, relations, p)


def test_the_exact_audit_reads_relations_together():
    """T1 = a + b + c and T2 = a + b: c = T1 - T2, which no single relation shows."""
    values = {"a": 8, "b": 12, "c": 20, "t1": 40, "t2": 20}
    relations = [Relation.total("t1", ["a", "b", "c"]), Relation.total("t2", ["a", "b"])]
    status = {k: Status.SECONDARY for k in "abc"}
    assert recoverable(values, relations, status, MIN_CELL) == []
    assert exact_recoverable(values, relations, status, MIN_CELL) == ["c"]


def test_weighted_relation_children_per_family():
    """Families with 1, 2, 3 children and the total number of children: two equations."""
    values = {"n1": 40, "n2": 3, "n3": 12, "families": 55, "children": 40 + 6 + 36}
    relations = [Relation.total("families", ["n1", "n2", "n3"]),
                 Relation.total("children", ["n1", "n2", "n3"], [1, 2, 3])]
    p = protect(values, relations, MIN_CELL)
    assert p.status["n2"] is Status.SMALL
    assert_protected(values, relations, p)


def test_small_hidden_cell_is_protected_but_never_displayed():
    """Families that are not MPG (hidden) = families - MPG; 3 of them must not show."""
    values = {"fam": 40, "mpg": 37, "other": 3, "bib": 17, "ma": 20}
    relations = [Relation.total("fam", ["mpg", "other"]), Relation.total("mpg", ["bib", "ma"])]
    p = protect(values, relations, MIN_CELL, hidden={"other"})
    assert p.status["mpg"] is not Status.SHOWN or p.status["fam"] is not Status.SHOWN
    assert "other" not in p.suppressed()
    assert_protected(values, relations, p, hidden={"other"})


def test_large_hidden_cell_needs_no_protection():
    values = {"fam": 4000, "mpg": 37, "other": 3963, "bib": 17, "ma": 20}
    relations = [Relation.total("fam", ["mpg", "other"]), Relation.total("mpg", ["bib", "ma"])]
    p = protect(values, relations, MIN_CELL, hidden={"other"})
    assert p.suppressed() == {}


def test_fixed_cells_are_never_suppressed_and_seeds_stay_suppressed():
    values, relations = table([[3, 20, 30], [40, 50, 60], [45, 55, 65]])
    fixed = {(0, 1), (0, 2)}
    p = protect(values, relations, MIN_CELL, fixed=fixed, suppressed={(2, 2)})
    assert p.status[(0, 1)] is Status.SHOWN and p.status[(0, 2)] is Status.SHOWN
    assert p.status[(2, 2)] is Status.SECONDARY
    assert_protected(values, relations, p)


def test_keep_cells_are_the_last_resort():
    values, relations = table([[3, 20, 30], [40, 50, 60]])
    p = protect(values, relations, MIN_CELL, keep={(0, 1)})
    assert p.status[(0, 1)] is Status.SHOWN
    assert_protected(values, relations, p)


def test_impossible_protection_is_an_error_not_a_leak():
    values = {"a": 3, "b": 20, "t": 23}
    relations = [Relation.total("t", ["a", "b"])]
    with pytest.raises(DisclosureError):
        protect(values, relations, MIN_CELL, fixed={"b", "t"})


def test_values_must_satisfy_the_relations():
    with pytest.raises(ValueError, match="do not satisfy"):
        protect({"a": 1, "b": 2, "t": 4}, [Relation.total("t", ["a", "b"])], MIN_CELL)
    with pytest.raises(ValueError, match="whole numbers"):
        protect({"a": -1}, [], MIN_CELL)


def test_deterministic():
    values, relations = table([[3, 20, 30, 2], [40, 1, 60, 7], [45, 55, 4, 9]])
    first = protect(values, relations, MIN_CELL).status
    for _ in range(3):
        assert protect(values, relations, MIN_CELL).status == first


def test_example_neighbourhood_table_from_the_spec():
    """The worked example's neighbourhood table: almost everything is small."""
    rows = [[1, 0, 1], [0, 0, 0], [1, 3, 0]]
    values, relations = table(rows)
    p = protect(values, relations, MIN_CELL)
    for k, v in values.items():
        if is_small(v, MIN_CELL):
            assert p.status[k] is Status.SMALL
    assert_protected(values, relations, p)


@pytest.mark.parametrize("seed", range(40))
def test_random_tables_are_protected(seed):
    """Random tables up to 3 x 3 with totals: whatever protect suppresses, no search of every
    possible table pins a kept-back cell, and no small count stays shown."""
    rnd = random.Random(seed)
    n_rows, n_cols = rnd.randint(2, 3), rnd.randint(2, 3)
    rows = [[rnd.choice([0, 1, 2, 3, 4, 5, 6, 8, 12, 20, 35]) for _ in range(n_cols)]
            for _ in range(n_rows)]
    values, relations = table(rows)
    try:
        p = protect(values, relations, MIN_CELL)
    except DisclosureError:
        return  # refusing is safe
    for k, v in values.items():
        assert not (is_small(v, MIN_CELL) and p.status[k] is Status.SHOWN)
        if p.status[k] is Status.SECONDARY:
            assert v != 0
    assert_protected(values, relations, p)


def test_exhaustive_two_by_two():
    """Every 2x2 table with cells from {0, 1, 6}: protected (checked independently) or
    refused."""
    for cells in itertools.product((0, 1, 6), repeat=4):
        values, relations = table([list(cells[:2]), list(cells[2:])])
        try:
            p = protect(values, relations, MIN_CELL)
        except DisclosureError:
            continue
        assert_protected(values, relations, p)


def test_the_brute_force_checker_finds_what_a_reader_finds():
    """The checker itself can fail: one small cell kept back in a row whose total and other
    cells are shown is pinned; two kept back together are not."""
    values, relations = table([[3, 20], [40, 50]])
    alone = {k: Status.SHOWN for k in values} | {(0, 0): Status.SMALL}
    assert exact_ranges(values, relations, alone)[(0, 0)] == (3, 3)
    paired = alone | {(0, 1): Status.SECONDARY, (1, 0): Status.SECONDARY,
                      (1, 1): Status.SECONDARY}
    ranges = exact_ranges(values, relations, paired)
    assert ranges[(0, 0)] == (1, 4) and ranges[(0, 1)][0] < ranges[(0, 1)][1]
