"""Timings of mpg.pipeline.mse.estimate with the default bootstrap.

Run as ``python bench/estimate.py``. Builds (seed fixed) an 8-list table of a few thousand
families with some dependence between the lists, and a 3-list table, and prints the seconds
that ``estimate(...)`` takes on each with the default settings (target: under 10 s for the
8-list table on a 2-core machine).
"""
from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

try:
    from mpg.pipeline import mse
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
    from mpg.pipeline import mse  # type: ignore[no-redef]


def simulate(k: int, total: int, main: list[float], pairs: dict[tuple[int, int], float],
             seed: int) -> mse.ListTable:
    """A table drawn from a log-linear model: P(w) proportional to exp(sum of its terms)."""
    rng = np.random.default_rng(seed)
    patterns = list(itertools.product((0, 1), repeat=k))
    logits = np.array([sum(m for m, v in zip(main, p) if v)
                       + sum(g for (i, j), g in pairs.items() if p[i] and p[j])
                       for p in patterns])
    prob = np.exp(logits - logits.max())
    prob /= prob.sum()
    counts = rng.multinomial(total, prob)
    lists = tuple(chr(ord("A") + i) for i in range(k))
    return mse.ListTable(lists, {p: int(c) for p, c in zip(patterns, counts) if any(p) and c})


def eight_lists() -> mse.ListTable:
    # Eight agencies reaching 4-30% of 4,000 families; youth care and debt help (A, B) and
    # police and probation (C, D) share clients, and two lists avoid each other.
    main = [-1.0, -1.4, -1.8, -2.2, -2.6, -2.9, -3.1, -3.3]
    pairs = {(0, 1): 0.9, (2, 3): 0.7, (1, 4): 0.5, (5, 6): -0.8}
    return simulate(8, 4000, main, pairs, seed=20240601)


def three_lists() -> mse.ListTable:
    return simulate(3, 1500, [-0.9, -1.3, -1.6], {(0, 1): 0.6}, seed=7)


def timed(label: str, table: mse.ListTable, repeat: int, **kwargs) -> None:
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = mse.estimate(table, **kwargs)
        seconds.append(time.perf_counter() - start)
    d = result.to_dict()
    print(f"{label}: {min(seconds):.2f} s (best of {repeat}; all: "
          f"{', '.join(f'{s:.2f}' for s in seconds)})  observed {d['observed']}, total "
          f"{d['total']}, ci95 {d['ci95']}, profile_ci95 {d['profile_ci95']}, criterion "
          f"{d['criterion']}, model {d['model']}, bootstrap {d['bootstrap_replicates']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="cProfile the 8-list run")
    args = parser.parse_args()
    eight, three = eight_lists(), three_lists()
    if args.profile:
        import cProfile
        import pstats
        prof = cProfile.Profile()
        prof.enable()
        mse.estimate(eight)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        return
    print(f"default bootstrap: {mse.DEFAULT_BOOTSTRAP} replicates, criterion "
          f"{mse.DEFAULT_CRITERION!r}")
    timed("8 lists", eight, args.repeat)
    timed("3 lists", three, args.repeat)


if __name__ == "__main__":
    main()
