"""Write the synthetic list tables used by tests/test_mse.py (run: python tests/data/mse/synthetic.py).

Every table here is made up: a population of known size N is drawn under a log-linear model of
our own choosing (main effects, two-list interactions, a three-list interaction where asked) and
each person's capture pattern is tallied. A pair of lists given the interaction None is made
disjoint (nobody on both), which is how the sparse tables get their empty overlaps. The one
exception is ``artificial3.csv``, whose counts were written by hand to have the zero pattern the
existence tests need. None of these tables is taken from a publication or a package.

The CSV files are committed; this script documents how they were made. It draws with numpy's
PCG64 generator, whose streams numpy may change between versions, so a rerun on another numpy
can give other counts -- the committed files, not a rerun, are what the tests check.
"""
from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def draw(lists: list[str], main: list[float], inter: dict[tuple[str, ...], float | None],
         N: int, seed: int) -> dict[tuple[int, ...], int]:
    k = len(lists)
    index = {name: i for i, name in enumerate(lists)}
    patterns = list(itertools.product((0, 1), repeat=k))
    logit = np.zeros(len(patterns))
    for row, p in enumerate(patterns):
        value = sum(m for m, v in zip(main, p) if v)
        for names, gamma in inter.items():
            if all(p[index[n]] for n in names):
                value = -np.inf if gamma is None else value + gamma
        logit[row] = value
    prob = np.exp(logit - logit[np.isfinite(logit)].max())
    counts = np.random.default_rng(seed).multinomial(N, prob / prob.sum())
    return {p: int(c) for p, c in zip(patterns, counts) if any(p) and c}


def write(name: str, lists: list[str], counts: dict[tuple[int, ...], int],
          comment: list[str]) -> None:
    order = sorted(counts, key=lambda p: (sum(p), [-v for v in p]))
    lines = [f"# {line}" for line in comment]
    lines.append(",".join(lists + ["count"]))
    lines += [",".join(str(v) for v in p) + f",{counts[p]}" for p in order]
    (HERE / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


SPECS = {
    # name: lists, main effects (log odds of being on each list), interactions, N, seed
    "three_lists.csv": (
        list("ABC"), [-1.1, -1.4, -1.7], {("A", "B"): 0.9}, 600, 11),
    "four_lists.csv": (
        list("ABCD"), [-1.0, -1.3, -1.2, -1.9],
        {("A", "B"): 0.7, ("C", "D"): 0.6, ("A", "B", "C"): -0.8}, 3000, 12),
    "five_lists_sparse.csv": (
        list("ABCDE"), [-2.2, -1.9, -1.7, -2.6, -3.0],
        {("A", "B"): None, ("B", "E"): None, ("A", "E"): 1.3}, 1500, 13),
    "six_lists_sparse.csv": (
        list("ABCDEF"), [-3.2, -2.1, -1.6, -1.9, -2.6, -3.5],
        {("A", "E"): None, ("A", "F"): None, ("C", "D"): 0.5, ("B", "C"): 0.8}, 8000, 14),
    "eight_lists_sparse.csv": (
        list("ABCDEFGH"), [-3.3, -4.6, -2.7, -3.5, -4.4, -4.7, -4.7, -3.9],
        {pair: None for pair in [("A", "B"), ("A", "F"), ("A", "H"), ("B", "C"), ("B", "D"),
                                 ("B", "E"), ("B", "G"), ("B", "H"), ("C", "F"), ("C", "H"),
                                 ("D", "F"), ("D", "G"), ("D", "H"), ("E", "F"), ("E", "G"),
                                 ("F", "G"), ("F", "H"), ("G", "H")]} | {("D", "E"): 1.6},
        1100, 15),
}


def main() -> None:
    for name, (lists, main_effects, inter, N, seed) in SPECS.items():
        counts = draw(lists, main_effects, inter, N, seed)
        described = ", ".join(
            f"{':'.join(t)} {'empty' if g is None else g}" for t, g in inter.items())
        write(name, lists, counts, [
            f"SYNTHETIC: drawn by tests/data/mse/synthetic.py (seed {seed}) from a population of "
            f"N = {N} under a log-linear model of our own;",
            f"main effects {main_effects}; interactions {described or 'none'}. "
            f"{sum(counts.values())} observed. Not published data."])
    # Hand-written: everybody is on one list except an A-B overlap (the zero pattern of the
    # existence tests: A:B alone has no MLE, A:C / B:C overlaps are empty).
    write("artificial3.csv", list("ABC"),
          {(1, 0, 0): 34, (0, 1, 0): 21, (0, 0, 1): 13, (1, 1, 0): 5},
          ["SYNTHETIC: counts written by hand for tests/test_mse.py (nobody on C and another "
           "list; an A-B overlap of 5).", "Not published data."])


if __name__ == "__main__":
    main()
