"""Slow coverage simulation of the multiple-systems estimator (run with ``-m slow``).

Tables of three lists are drawn from populations of known size N = 1000 under four dependence
structures; for each table ``estimate`` (default criterion: BIC over all hierarchical models,
bootstrap re-running the search) gives a 95% interval, and we count how often it covers N.

Measured (40 tables per structure, 199 bootstrap replicates each, seeds fixed in this file;
3 to 3.7 minutes on 2 shared cores at a load average of 3 to 3.5: 176 s and 222 s in two
runs), coverage of the bootstrap 95% / bootstrap 80% / profile 95%:

    independent      1.00 / 0.90 / 0.97
    positive A:B     1.00 / 0.97 / 0.90
    negative A:B     0.97 / 0.80 / 0.65
    heterogeneous    0.70 / 0.35 / 0.38

The bootstrap interval (which re-runs the model search) is conservative where the model
class holds; the profile interval of the chosen model alone under-covers when the dependence
is negative, because it ignores model choice. Mild heterogeneity biases every three-list
log-linear estimate downwards and no interval covers well. The test prints what it measures.
"""
from __future__ import annotations

import itertools
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from mpg.pipeline import mse

N = 1000
SIMULATIONS = 40
BOOTSTRAP = 199

SCENARIOS = {
    "independent": {"main": [-1.2, -1.5, -1.8], "pairs": {}},
    "positive A:B": {"main": [-1.4, -1.7, -1.8], "pairs": {(0, 1): 1.0}},
    "negative A:B": {"main": [-1.0, -1.2, -1.8], "pairs": {(0, 1): -0.8}},
    # two equal latent classes, lists independent within a class (mild heterogeneity)
    "heterogeneous": {"classes": [(0.5, [0.35, 0.30, 0.25]), (0.5, [0.15, 0.12, 0.10])]},
}


def simulate(rng: np.random.Generator, scenario: dict) -> mse.ListTable:
    patterns = list(itertools.product((0, 1), repeat=3))
    if "classes" in scenario:
        counts = np.zeros(len(patterns), dtype=int)
        for share, probs in scenario["classes"]:
            prob = np.array([np.prod([q if v else 1 - q for q, v in zip(probs, p)])
                             for p in patterns])
            counts += rng.multinomial(int(N * share), prob)
    else:
        logit = np.array([sum(m for m, v in zip(scenario["main"], p) if v)
                          + sum(g for (i, j), g in scenario["pairs"].items() if p[i] and p[j])
                          for p in patterns])
        prob = np.exp(logit - logit.max())
        counts = rng.multinomial(N, prob / prob.sum())
    return mse.ListTable(("A", "B", "C"),
                         {p: int(c) for p, c in zip(patterns, counts) if any(p) and c})


def run(args: tuple[str, int]) -> tuple[bool, bool, bool]:
    name, index = args
    rng = np.random.default_rng([list(SCENARIOS).index(name), index])
    est = mse.estimate(simulate(rng, SCENARIOS[name]), bootstrap=BOOTSTRAP, seed=index)

    def covers(interval):
        lo, hi = interval
        return lo is not None and lo <= N and (hi is None or N <= hi)

    return covers(est.ci[0.95]), covers(est.ci[0.80]), covers(est.profile_ci[0.95])


def measure() -> dict[str, tuple[float, float, float]]:
    jobs = [(name, i) for name in SCENARIOS for i in range(SIMULATIONS)]
    # spawn, never fork: a test process (an xdist worker) holds BLAS and DuckDB threads, and
    # a forked child of a threaded process can crash in numpy
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(run, jobs, chunksize=5))
    out = {}
    for name in SCENARIOS:
        mine = np.array([r for (n, _), r in zip(jobs, results) if n == name], dtype=float)
        out[name] = tuple(mine.mean(axis=0))
    return out


@pytest.mark.slow
def test_bootstrap_interval_covers_the_truth_near_its_nominal_rate():
    """The 95% bootstrap interval must cover N at close to 95% where the log-linear model can
    describe the dependence (independent lists, positive or negative two-list dependence).

    With 40 tables per structure the standard error of a coverage near 0.95 is about 0.035, so
    each must be at least 0.85 (about three standard errors below 0.95) and their average at
    least 0.90. Heterogeneity (a latent class structure) is outside what three-list
    log-linear models can correct; its coverage is printed and reported, not required.
    """
    coverage = measure()
    for name, (c95, c80, p95) in coverage.items():
        print(f"{name}: bootstrap 95% {c95:.2f}, bootstrap 80% {c80:.2f}, "
              f"profile 95% {p95:.2f} ({SIMULATIONS} tables, N = {N})")
    modelled = [coverage[n][0] for n in ("independent", "positive A:B", "negative A:B")]
    assert min(modelled) >= 0.85, coverage
    assert float(np.mean(modelled)) >= 0.90, coverage
