"""Unit tests of the multiple-systems estimator (mpg.pipeline.mse).

The tables in tests/data/mse are synthetic -- drawn from log-linear models of our own by
tests/data/mse/synthetic.py, or written by hand (README.md there) -- so no test here checks a
published figure. The estimator is checked instead against closed forms and against a small
reference implementation written in this file (Newton's method for the Poisson log-linear
model, its own model enumeration, BIC and stepwise rule); then the existence check, the
intervals, the errors for tables that cannot give an estimate, malformed tables (plain and
property-based with hypothesis) and the JSON output.
"""
from __future__ import annotations

import csv
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.special import gammaln, xlogy
from scipy.stats import poisson

from mpg.pipeline import mse
from mpg.pipeline.errors import ExitCode, MpgError

DATA = Path(__file__).resolve().parent / "data" / "mse"


def table(name: str) -> mse.ListTable:
    return mse.read_table(DATA / name)


def point(t: mse.ListTable, **kwargs) -> mse.Estimate:
    return mse.estimate(t, bootstrap=0, **kwargs)


# --------------------------------------------------------------------------------------------
# A reference implementation, independent of mse: design, Newton fit, BIC, stepwise rule
# --------------------------------------------------------------------------------------------


def _covers(p: tuple[int, ...], names: tuple[str, ...], index: dict[str, int]) -> bool:
    return all(p[index[n]] for n in names)


def ref_fit(t: mse.ListTable, terms=(), empty=()) -> dict:
    """Fit main effects + ``terms`` (tuples of list names) to ``t`` by Newton's method.

    ``empty`` terms have nobody in their overlap: their extended MLE is minus infinity, so
    their cells are fitted as zero and left out, and each still counts as a parameter.
    Returns the unseen count, the Poisson log-likelihood, the parameter count, BIC and the
    fitted values of all 2^k - 1 observable cells (keyed by pattern).
    """
    index = {n: i for i, n in enumerate(t.lists)}
    columns = [()] + [(n,) for n in t.lists] + [tuple(x) for x in terms]
    every = [p for p in itertools.product((0, 1), repeat=t.k) if any(p)]
    cells = [p for p in every if not any(_covers(p, e, index) for e in empty)]
    X = np.array([[1.0 if _covers(p, c, index) else 0.0 for c in columns] for p in cells])
    y = np.array([t.counts.get(p, 0) for p in cells], dtype=float)
    beta = np.zeros(X.shape[1])
    beta[0] = math.log(max(y.mean(), 1.0))

    def loglik(b):
        eta = X @ b
        return float(np.sum(y * eta - np.exp(eta)))

    for _ in range(500):
        mu = np.exp(X @ beta)
        step = np.linalg.solve(X.T @ (X * mu[:, None]), X.T @ (y - mu))
        scale = 1.0
        while loglik(beta + scale * step) < loglik(beta) - 1e-10 and scale > 1e-10:
            scale /= 2
        beta = beta + scale * step
        if np.max(np.abs(scale * step)) < 1e-11:
            break
    mu = np.exp(X @ beta)
    ll = float(np.sum(xlogy(y, mu) - mu - gammaln(y + 1)))
    n_params = X.shape[1] + len(empty)
    fitted = dict.fromkeys(every, 0.0) | {p: float(m) for p, m in zip(cells, mu)}
    return {"unseen": math.exp(beta[0]), "total": t.observed + math.exp(beta[0]),
            "loglik": ll, "n_params": n_params,
            "bic": -2 * ll + n_params * math.log(t.observed), "fitted": fitted}


def ref_hierarchical_models(lists, max_order: int) -> list[tuple[tuple[str, ...], ...]]:
    """Every hierarchical model with interactions up to ``max_order`` (at most 3 here),
    the k-way interaction excluded."""
    pairs = list(itertools.combinations(lists, 2))
    models = []
    for r in range(len(pairs) + 1):
        for chosen in itertools.combinations(pairs, r):
            triples = [] if max_order < 3 else [
                tr for tr in itertools.combinations(lists, 3)
                if len(lists) > 3 and all(p in chosen for p in itertools.combinations(tr, 2))]
            for r3 in range(len(triples) + 1):
                for extra in itertools.combinations(triples, r3):
                    models.append(chosen + extra)
    return models


def ref_stepwise(t: mse.ListTable, pthresh: float = 0.02) -> list[tuple[str, str]]:
    """The forward stepwise rule as mse documents it (after Chan, Silverman & Vincent 2021):
    from main effects, give each two-list term not yet in the model the p-value of its
    observed overlap under the current fit (Poisson, smaller tail), add the smallest while it
    is below ``pthresh``. A pair with nobody in common enters as an empty (minus infinity)
    term. (The existence check of each accepted model is left to mse; the tables used here
    do not need it.)"""
    index = {n: i for i, n in enumerate(t.lists)}
    pairs = list(itertools.combinations(t.lists, 2))
    overlap = {pr: sum(c for p, c in t.counts.items() if _covers(p, pr, index)) for pr in pairs}
    chosen: list[tuple[str, str]] = []
    while True:
        current = ref_fit(t, [pr for pr in chosen if overlap[pr]],
                          [pr for pr in chosen if not overlap[pr]])
        best, best_p = None, pthresh
        for pr in pairs:
            if pr in chosen:
                continue
            expected = sum(m for p, m in current["fitted"].items() if _covers(p, pr, index))
            pval = min(poisson.cdf(overlap[pr], expected), poisson.sf(overlap[pr] - 1, expected))
            if pval < best_p:
                best, best_p = pr, pval
        if best is None:
            return chosen
        chosen.append(best)


def name(term: tuple[str, ...]) -> str:
    return ":".join(term)


def test_reference_newton_fit_reproduces_lincoln_petersen():
    """The reference fit itself: two lists, independence, unseen = n10 n01 / n11."""
    t = mse.ListTable(("A", "B"), {(1, 0): 60, (0, 1): 45, (1, 1): 15})
    assert ref_fit(t)["unseen"] == pytest.approx(60 * 45 / 15, rel=1e-9)


# --------------------------------------------------------------------------------------------
# Closed forms and agreement with the reference implementation
# --------------------------------------------------------------------------------------------


def test_three_lists_closed_forms():
    """Two closed forms for three lists (the unseen cell is 000):

    * all two-list interactions (no A:B:C term): the seven observed cells are fitted exactly
      and the three-list interaction is zero, so m000 = n100 n010 n001 n111 / (n110 n101 n011);
    * A:B only: C is independent of (A, B), so the odds of being on C are the same in every
      (A, B) group, estimated from the groups other than (0, 0):
      m000 = n001 (n100 + n010 + n110) / (n101 + n011 + n111).
    """
    t = table("three_lists.csv")
    n = t.counts
    no_three_way = mse.fit(t, ["A:B", "A:C", "B:C"])
    assert no_three_way.unseen == pytest.approx(
        n[1, 0, 0] * n[0, 1, 0] * n[0, 0, 1] * n[1, 1, 1]
        / (n[1, 1, 0] * n[1, 0, 1] * n[0, 1, 1]), rel=1e-7)
    assert no_three_way.df == 0
    a_b = mse.fit(t, ["A:B"])
    assert a_b.unseen == pytest.approx(
        n[0, 0, 1] * (n[1, 0, 0] + n[0, 1, 0] + n[1, 1, 0])
        / (n[1, 0, 1] + n[0, 1, 1] + n[1, 1, 1]), rel=1e-7)
    assert a_b.total == pytest.approx(t.observed + a_b.unseen)


def test_three_lists_bic_search_matches_reference():
    """BIC over the eight hierarchical three-list models: every model's estimate and BIC
    agree with the reference fit, and the choice is the reference's minimum (the table was
    drawn with an A:B dependence, and A:B is what BIC picks)."""
    t = table("three_lists.csv")
    est = point(t, criterion="BIC")
    reference = {tuple(sorted(name(x) for x in m)): ref_fit(t, m)
                 for m in ref_hierarchical_models(t.lists, 2)}
    assert len(reference) == 8
    assert len(est.models) == 8
    for entry in est.models:
        ref = reference[tuple(sorted(entry["terms"]))]
        assert entry["total"] == pytest.approx(ref["total"], abs=0.051), entry
        assert entry["bic"] == pytest.approx(ref["bic"], abs=1e-3), entry
    best = min(reference, key=lambda m: reference[m]["bic"])
    assert est.fit.terms == best == ("A:B",)
    assert est.fit.hierarchy == "[12,3]"
    assert est.total == pytest.approx(reference[best]["total"], rel=1e-7)
    assert est.fit.bic == pytest.approx(reference[best]["bic"], abs=1e-6)


def test_four_lists_bic_search_matches_reference():
    """Four lists, BIC over all hierarchical models with up to three-list terms (the default
    for four lists): the chosen model, its estimate and its BIC are the reference's, and so
    are the ten best. The model with all four three-list terms fits the 15 cells exactly, and
    with no four-list term its unseen cell is the product of the cells on an odd number of
    lists divided by the product of those on an even number (as for three lists)."""
    t = table("four_lists.csv")
    est = point(t)
    assert est.criterion == "BIC" and est.max_interaction == 3
    reference = {tuple(sorted(name(x) for x in m)): ref_fit(t, m)
                 for m in ref_hierarchical_models(t.lists, 3)}
    ranked = sorted(reference, key=lambda m: reference[m]["bic"])
    assert tuple(sorted(est.fit.terms)) == ranked[0]
    assert est.total == pytest.approx(reference[ranked[0]]["total"], rel=1e-7)
    assert est.fit.bic == pytest.approx(reference[ranked[0]]["bic"], abs=1e-6)
    assert [tuple(sorted(e["terms"])) for e in est.models] == ranked[:10]
    for entry in est.models:
        assert entry["total"] == pytest.approx(reference[tuple(sorted(entry["terms"]))]["total"],
                                               abs=0.051)
    all_three = mse.fit(t, [":".join(x) for x in itertools.combinations(t.lists, 3)])
    even = math.prod(c for p, c in t.counts.items() if sum(p) % 2 == 0)
    odd = math.prod(c for p, c in t.counts.items() if sum(p) % 2 == 1)
    assert len(t.counts) == 15 and all_three.df == 0
    assert all_three.unseen == pytest.approx(odd / even, rel=1e-7)


def test_extended_mle_matches_reference_with_the_empty_cells_removed():
    """Five lists where A-B and B-E have nobody in common. A model with A:B has its A:B term
    at minus infinity: it must be the fit, to the cells outside A and B, of the model without
    that term, with the term still counted in BIC."""
    t = table("five_lists_sparse.csv")
    for terms, empty in [((("A", "E"),), (("A", "B"),)),
                         ((("A", "E"), ("C", "D")), (("A", "B"), ("B", "E"))),
                         ((("A", "C"), ("A", "E")), (("B", "E"),))]:
        f = mse.fit(t, [name(x) for x in terms + empty])
        ref = ref_fit(t, terms, empty)
        assert f.exists and not f.mle_exists
        assert set(f.neg_inf_terms) == {name(x) for x in empty}
        assert f.total == pytest.approx(ref["total"], rel=1e-7)
        assert f.loglik == pytest.approx(ref["loglik"], abs=1e-6)
        assert f.n_params == ref["n_params"]
        assert f.bic == pytest.approx(ref["bic"], abs=1e-6)


def test_stepwise_matches_reference_on_sparse_tables():
    """The stepwise p-value search (the default for six lists or more) adds the same terms in
    the same order as the reference rule, and gives the reference's estimate. On the six-list
    table it brings in the empty pairs A:E and A:F (observed overlap 0, far below what main
    effects expect); on the eight-list table the warning counts the empty pairs."""
    for file in ("six_lists_sparse.csv", "eight_lists_sparse.csv"):
        t = table(file)
        est = point(t)
        assert est.criterion == "p-value"
        steps = ref_stepwise(t)
        assert est.fit.terms == tuple(sorted(name(s) for s in steps)), file
        # the reported models are the search path, last step first
        path = [sorted(m["terms"]) for m in reversed(est.models)]
        assert path == [sorted(name(s) for s in steps[:i]) for i in range(len(steps) + 1)]
        index = {n: i for i, n in enumerate(t.lists)}
        empty = [s for s in steps
                 if not any(c for p, c in t.counts.items() if _covers(p, s, index))]
        ref = ref_fit(t, [s for s in steps if s not in empty], empty)
        assert est.total == pytest.approx(ref["total"], rel=1e-7), file
        assert set(est.fit.neg_inf_terms) == {name(s) for s in empty}
    six = point(table("six_lists_sparse.csv"))
    assert {"A:E", "A:F"} <= set(six.fit.neg_inf_terms)
    eight = table("eight_lists_sparse.csv")
    index = {n: i for i, n in enumerate(eight.lists)}
    n_empty = sum(1 for pr in itertools.combinations(eight.lists, 2)
                  if not any(c for p, c in eight.counts.items() if _covers(p, pr, index)))
    assert n_empty > 14  # most of the 28 pairs
    assert any(f"{n_empty} pair(s) of lists have nobody in common" in w
               for w in point(eight).warnings)
    # with a stricter threshold the stepwise search adds no more than at 0.02
    strict = point(eight, criterion="p-value", pthresh=0.001)
    assert set(strict.fit.terms) <= set(point(eight).fit.terms)
    assert strict.fit.terms == tuple(sorted(name(s) for s in ref_stepwise(eight, 0.001)))


def test_artificial_table_existence():
    """A hand-made three-list table in which only A and B overlap (nobody is on C and another
    list), the situation of Chan, Silverman & Vincent (2021, sections 2.4-2.6): with A:B the
    odds of C among those on A or B are 0, yet 13 are on C alone, so the MLE does not exist
    (with or without A:C or B:C, whose overlaps are empty); with all three two-list terms the
    empty A:C and B:C leave four cells for five parameters (not identifiable). Main effects,
    or A:C and/or B:C without A:B, give an estimate."""
    t = table("artificial3.csv")
    full = mse.fit(t, ["A:B", "A:C", "B:C"])
    assert not full.identifiable and not full.exists
    for terms in (["A:B"], ["A:B", "A:C"], ["A:B", "B:C"]):
        f = mse.fit(t, terms)
        assert f.identifiable and not f.exists, terms
        assert not mse.mle_exists(t, terms, extended=True), terms
        assert "does not exist" in f.reason
        assert math.isnan(f.total)
    for terms in ([], ["A:C"], ["B:C"], ["A:C", "B:C"]):
        f = mse.fit(t, terms)
        assert f.exists and f.identifiable, terms
        assert mse.mle_exists(t, terms, extended=True), terms
    # the search skips the failing models and says so
    est = point(t, criterion="BIC")
    assert "A:B" not in est.fit.terms
    assert any("does not exist" in w for w in est.warnings)
    assert any("not identifiable" in w for w in est.warnings)


# --------------------------------------------------------------------------------------------
# Existence check and the extended MLE
# --------------------------------------------------------------------------------------------


def test_empty_overlap_ordinary_versus_extended_mle():
    """An interaction on an empty overlap: the ordinary MLE does not exist (the LP gives 0);
    the extended MLE fixes the term at minus infinity and the estimate is finite."""
    t = table("five_lists_sparse.csv")  # A and B have nobody in common
    assert mse.mle_exists(t, [])
    assert not mse.mle_exists(t, ["A:B"])
    assert mse.mle_exists(t, ["A:B"], extended=True)
    f = mse.fit(t, ["A:B"])
    assert f.exists and not f.mle_exists
    assert f.neg_inf_terms == ("A:B",)
    assert math.isfinite(f.total)
    # the dark figure does not involve A:B; the term costs a parameter in AIC/BIC
    assert f.n_params == mse.fit(t).n_params + 1


def test_k_way_interaction_never_identifiable():
    f = mse.fit(table("three_lists.csv"), ["A:B:C"])
    assert not f.identifiable and not f.exists
    assert "never" in f.reason


def test_mle_exists_lp_matches_a_hand_example():
    """2 lists, nobody only on B: the independence model's MLE does not exist."""
    t = mse.ListTable(("A", "B"), {(1, 0): 10, (1, 1): 5})
    assert not mse.mle_exists(t, [])
    ok = mse.ListTable(("A", "B"), {(1, 0): 10, (0, 1): 3, (1, 1): 5})
    assert mse.mle_exists(ok, [])


# --------------------------------------------------------------------------------------------
# Chao's lower bound, profile likelihood, bootstrap
# --------------------------------------------------------------------------------------------


def test_chao_lower_bound():
    t = table("three_lists.csv")  # f1 = 114 + 64 + 51 = 229, f2 = 57 + 18 + 9 = 84, n = 322
    assert mse.chao_lower_bound(t) == pytest.approx(322 + 229 ** 2 / 168)
    no_f2 = mse.ListTable(("A", "B", "C"), {(1, 0, 0): 10, (0, 1, 0): 4, (1, 1, 1): 2})
    assert mse.chao_lower_bound(no_f2) == pytest.approx(16 + 14 * 13 / 2)


def test_profile_interval_two_lists_closed_form():
    """Two lists, independence: the multinomial profile likelihood has a closed form,
    log L(N) = log N!/(N-n)! + sum_i [n_i log n_i + (N-n_i) log(N-n_i)] - 2 N log N; the
    profile interval must be where it is within chi2_1(level)/2 of its maximum (Cormack 1992)."""
    n10, n01, n11 = 60, 45, 15
    t = mse.ListTable(("A", "B"), {(1, 0): n10, (0, 1): n01, (1, 1): n11})
    n, n1, n2 = n10 + n01 + n11, n10 + n11, n01 + n11
    from scipy.special import gammaln, xlogy
    from scipy.stats import chi2

    def loglik(N):
        return (gammaln(N + 1) - gammaln(N - n + 1) + xlogy(n1, n1) + xlogy(N - n1, N - n1)
                + xlogy(n2, n2) + xlogy(N - n2, N - n2) - 2 * N * np.log(N))

    grid = np.linspace(n, 2000, 400001)
    values = loglik(grid)
    est = point(t)
    assert est.total == pytest.approx(n1 * n2 / n11)  # Lincoln-Petersen
    for level in (0.80, 0.95):
        inside = grid[values >= values.max() - chi2.ppf(level, 1) / 2]
        lo, hi = est.profile_ci[level]
        assert lo == pytest.approx(inside.min(), abs=0.02)
        assert hi == pytest.approx(inside.max(), abs=0.02)


def test_bootstrap_is_deterministic_and_reselects():
    t = table("three_lists.csv")
    a = mse.estimate(t, bootstrap=60, seed=3)
    b = mse.estimate(t, bootstrap=60, seed=3)
    assert a.to_dict() == b.to_dict()
    c = mse.estimate(t, bootstrap=60, seed=4)
    assert c.to_dict()["ci95"] != a.to_dict()["ci95"]
    totals = mse.bootstrap_totals(t, criterion="BIC", n=60, rng=np.random.default_rng(3))
    assert totals.shape == (60,)
    assert np.allclose(np.sort(totals), np.sort(a.bootstrap_totals))
    # the model search re-runs on each replicate: more than one model wins somewhere
    assert len(np.unique(np.round(totals, 6))) > 10
    lo, hi = a.ci[0.95]
    assert lo < a.total < hi
    assert a.ci[0.80][0] >= lo and a.ci[0.80][1] <= hi


def test_bootstrap_screening_matches_exhaustive_refits():
    """The bootstrap scores candidates by a one-step approximation and refits the best four;
    with all candidates refitted exactly the chosen totals must be the same."""
    t = table("four_lists.csv")
    fast = mse.bootstrap_totals(t, criterion="BIC", n=40, rng=np.random.default_rng(1))
    old = mse._FINALISTS
    try:
        mse._FINALISTS = 10 ** 6
        slow = mse.bootstrap_totals(t, criterion="BIC", n=40, rng=np.random.default_rng(1))
    finally:
        mse._FINALISTS = old
    assert np.allclose(fast, slow)


def test_bootstrap_stepwise_eight_lists_runs():
    est = mse.estimate(table("eight_lists_sparse.csv"), bootstrap=40, seed=1)
    d = est.to_dict()
    assert d["ci95"][0] is not None and d["ci95"][0] < d["total"]
    assert "stepwise search re-run in full" in d["interval_method"]


@pytest.mark.slow  # a linear program for every model of every test table
def test_certificate_agrees_with_lp_on_the_test_tables():
    """The fast existence proof (a positive Newton-corrected fit) never contradicts the LP."""
    for file in ("five_lists_sparse.csv", "four_lists.csv", "three_lists.csv",
                 "artificial3.csv"):
        t = table(file)
        ctx = mse._Context(t)
        for model in ctx.space.catalogue(2):
            raw = ctx.fit(model)
            if not raw.identifiable:
                continue
            X = ctx.space.design(raw.terms, hash(raw.keep.tobytes()) if raw.neg_inf else 0,
                                 raw.keep)
            assert raw.ok == mse._lp_exists(X, ctx.y[raw.keep]), (file, model)


# --------------------------------------------------------------------------------------------
# Defaults and criteria
# --------------------------------------------------------------------------------------------


def test_default_criterion_follows_the_number_of_lists():
    assert mse.DEFAULT_CRITERION == "auto"
    assert point(table("three_lists.csv")).criterion == "BIC"
    six = point(table("six_lists_sparse.csv"))
    assert six.criterion == "p-value"
    assert "Chan, Silverman & Vincent 2021" in six.search


def test_aic_and_stepwise_ic_for_many_lists():
    t = table("six_lists_sparse.csv")
    est = point(t, criterion="AIC")
    assert est.criterion == "AIC"
    assert "stepwise" in est.search
    assert any("stepwise, not exhaustive" in w for w in est.warnings)
    # a stepwise AIC result is a local optimum: no single-term change improves it
    best = est.fit.aic
    for t2 in ("A:B", "B:C", "C:D", "D:E", "E:F", "B:F"):
        terms = set(est.fit.terms) ^ {t2}
        f = mse.fit(t, sorted(terms))
        if f.exists:
            assert f.aic >= best - 1e-6


def test_unknown_criterion_is_an_estimate_error():
    with pytest.raises(mse.EstimateError, match="unknown selection criterion"):
        point(table("three_lists.csv"), criterion="Cp")


# --------------------------------------------------------------------------------------------
# Tables that cannot give an estimate
# --------------------------------------------------------------------------------------------


def test_estimate_error_is_an_mpg_error_with_exit_code_1():
    assert issubclass(mse.EstimateError, MpgError)
    assert mse.EstimateError.exit_code == ExitCode.DELIVERY_PROBLEM == 1


def test_fewer_than_two_lists():
    with pytest.raises(mse.EstimateError, match="at least two lists"):
        mse.estimate(mse.ListTable(("A",), {(1,): 10}))


def test_no_overlap_at_all():
    t = mse.ListTable(("A", "B", "C"), {(1, 0, 0): 10, (0, 1, 0): 7, (0, 0, 1): 3})
    with pytest.raises(mse.EstimateError, match="nobody is on two lists"):
        mse.estimate(t)


def test_no_model_with_an_existing_mle():
    t = mse.ListTable(("A", "B"), {(1, 0): 10, (1, 1): 5})
    with pytest.raises(mse.EstimateError, match="no model gives an estimate") as info:
        mse.estimate(t)
    assert "Everybody observed is on A" in str(info.value)


def test_table_counting_nobody():
    with pytest.raises(mse.EstimateError, match="counts nobody"):
        mse.estimate(mse.ListTable(("A", "B"), {(1, 1): 0}))


# --------------------------------------------------------------------------------------------
# Reading tables: plain malformed cases
# --------------------------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "lists.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_read_table_skips_comments_and_reads_counts(tmp_path):
    path = write(tmp_path, "# source: made up\nA,B,count\n1,0,5\n0,1,4\n1,1,2\n")
    t = mse.read_table(path)
    assert t.lists == ("A", "B")
    assert t.counts == {(1, 0): 5, (0, 1): 4, (1, 1): 2}


@pytest.mark.parametrize("text, where, what", [
    ("A,B,count\n1,0,5\n1,1,-2\n", ["line 3", "'count'"], "negative"),
    ("A,B,count\n1,0,5\n1,1,2.5\n", ["line 3", "'count'"], "whole number"),
    ("A,B,count\n1,0,5\n1,1,many\n", ["line 3", "'count'"], "not a number"),
    ("A,B,count\n1,0,5\n1,2,2\n", ["line 3", "'B'"], "0 or 1"),
    ("A,B,count\n1,0,5\n1,0,2\n", ["line 3", "line 2"], "already appears"),
    ("A,B,count\n1,0,5\n0,0,2\n", ["line 3"], "none of the lists"),
    ("A,B,n\n1,0,5\n", [], "no 'count' column"),
    ("A,count\n1,5\n", [], "at least two lists"),
    ("A,B,count\n", [], "no rows"),
    ("", [], "empty"),
])
def test_read_table_malformed(tmp_path, text, where, what):
    path = write(tmp_path, text)
    with pytest.raises(mse.EstimateError) as info:
        mse.read_table(path)
    message = str(info.value)
    assert str(path) in message
    assert what in message
    for part in where:
        assert part in message


def test_read_table_missing_file(tmp_path):
    with pytest.raises(mse.EstimateError, match="cannot be read"):
        mse.read_table(tmp_path / "absent.csv")


def test_table_from_frame_and_patterns():
    frame = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [5, 4, 2]})
    t = mse.table_from_frame(frame, source="frame")
    assert t.counts == {(1, 0): 5, (0, 1): 4, (1, 1): 2}
    p = mse.table_from_patterns(["A", "B"], [(1, 0)] * 5 + [(0, 1)] * 4 + [(1, 1)] * 2)
    assert p == t
    with pytest.raises(mse.EstimateError, match="individual 2"):
        mse.table_from_patterns(["A", "B"], [(1, 0), (0, 0)])
    bad = frame.assign(count=[5, -1, 2])
    with pytest.raises(mse.EstimateError, match=r"frame, row 2, column 'count'"):
        mse.table_from_frame(bad, source="frame")


# --------------------------------------------------------------------------------------------
# Reading tables: property-based malformed cases
# --------------------------------------------------------------------------------------------


@st.composite
def valid_tables(draw):
    k = draw(st.integers(2, 4))
    names = [f"L{i}" for i in range(k)]
    patterns = [p for p in __import__("itertools").product((0, 1), repeat=k) if any(p)]
    chosen = draw(st.lists(st.sampled_from(patterns), min_size=1, max_size=len(patterns),
                           unique=True))
    counts = draw(st.lists(st.integers(0, 500), min_size=len(chosen), max_size=len(chosen)))
    rows = [list(p) + [c] for p, c in zip(chosen, counts)]
    return names, rows


DEFECTS = ["negative", "fraction", "text_count", "flag", "duplicate", "all_zero",
           "no_count", "one_list", "empty"]


@st.composite
def malformed_tables(draw):
    names, rows = draw(valid_tables())
    defect = draw(st.sampled_from(DEFECTS))
    header = names + ["count"]
    i = draw(st.integers(0, len(rows) - 1))
    expect_row: int | None = i
    expect_col: str | None = None
    if defect == "negative":
        rows[i][-1] = -draw(st.integers(1, 10 ** 6))
        expect_col, what = "count", "negative"
    elif defect == "fraction":
        rows[i][-1] = draw(st.integers(0, 1000)) + draw(st.sampled_from([0.5, 0.25, 0.1]))
        expect_col, what = "count", "whole number"
    elif defect == "text_count":
        rows[i][-1] = draw(st.sampled_from(["x", "ten", "1e", "--", "N/A"]))
        expect_col, what = "count", "not a number"
    elif defect == "flag":
        j = draw(st.integers(0, len(names) - 1))
        rows[i][j] = draw(st.sampled_from([2, -1, "yes", "0.5", 7]))
        expect_col, what = names[j], "0 or 1"
    elif defect == "duplicate":
        rows.insert(draw(st.integers(i + 1, len(rows))), list(rows[i]))
        expect_row, what = None, "already appears"
    elif defect == "all_zero":
        rows.insert(i, [0] * len(names) + [draw(st.integers(0, 50))])
        what = "none of the lists"
    elif defect == "no_count":
        header = names + [draw(st.sampled_from(["n", "Count ", "freq", "aantal"]))]
        expect_row, what = None, "no 'count' column"
    elif defect == "one_list":
        header = [names[0], "count"]
        rows = [[r[0], r[-1]] for r in rows]
        expect_row, what = None, "at least two lists"
    else:
        rows = []
        expect_row, what = None, "no rows"
    return header, rows, defect, expect_row, expect_col, what


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(malformed_tables())
def test_malformed_csv_names_file_row_and_column(tmp_path_factory, case):
    header, rows, defect, expect_row, expect_col, what = case
    path = tmp_path_factory.mktemp("mse") / "table.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        handle.write("# a comment line\n")
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    with pytest.raises(mse.EstimateError) as info:
        mse.read_table(path)
    message = str(info.value)
    assert str(path) in message, (defect, message)
    assert what in message, (defect, message)
    if expect_row is not None:
        assert f"line {expect_row + 3}" in message, (defect, message)  # comment + header
    if expect_col is not None:
        assert f"'{expect_col}'" in message, (defect, message)


@settings(max_examples=100, deadline=None)
@given(malformed_tables())
def test_malformed_frame_names_source_row_and_column(case):
    header, rows, defect, expect_row, expect_col, what = case
    frame = pd.DataFrame(rows, columns=header) if rows else pd.DataFrame(columns=header)
    with pytest.raises(mse.EstimateError) as info:
        mse.table_from_frame(frame, source="delivery.xlsx")
    message = str(info.value)
    assert message.startswith("delivery.xlsx"), (defect, message)
    assert what in message, (defect, message)
    if expect_row is not None:
        assert f"row {expect_row + 1}" in message, (defect, message)
    if expect_col is not None:
        assert f"'{expect_col}'" in message, (defect, message)


@settings(max_examples=60, deadline=None)
@given(valid_tables())
def test_valid_tables_round_trip(case):
    names, rows = case
    frame = pd.DataFrame(rows, columns=names + ["count"])
    t = mse.table_from_frame(frame)
    assert t.lists == tuple(names)
    assert t.observed == sum(r[-1] for r in rows)
    assert all(c > 0 for c in t.counts.values())


# --------------------------------------------------------------------------------------------
# JSON output
# --------------------------------------------------------------------------------------------

REQUIRED_KEYS = {"observed", "unseen", "total", "ci95", "ci80", "chao_lower_bound", "model",
                 "criterion", "interval_method", "models", "warnings", "profile_ci95",
                 "profile_ci80", "lists", "table"}


def _plain(value) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return type(value) in (type(None), bool, int, float, str)
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


def test_to_dict_keys_types_and_rounding():
    t = table("three_lists.csv")
    est = mse.estimate(t, bootstrap=50, seed=0)
    d = est.to_dict()
    assert REQUIRED_KEYS <= set(d)
    assert _plain(d)
    json.dumps(d, allow_nan=False)
    assert d["observed"] == 322
    # the chosen model is A:B, whose estimate has a closed form (test_three_lists_closed_forms)
    closed = 322 + 51 * (114 + 64 + 57) / (18 + 9 + 9)
    assert d["total"] == round(d["total"], 1) == round(closed, 1)
    assert d["total"] == pytest.approx(d["observed"] + d["unseen"], abs=0.11)
    assert d["criterion"] == "BIC"
    assert len(d["ci95"]) == len(d["ci80"]) == len(d["profile_ci95"]) == 2
    assert "parametric bootstrap that re-runs the model search (percentile), 50 replicates" \
        in d["interval_method"]
    assert "profile-likelihood" in d["interval_method"]
    assert {"terms", "criterion_value", "total"} <= set(d["models"][0])
    assert d["models"][0]["criterion_value"] == pytest.approx(ref_fit(t, [("A", "B")])["bic"],
                                                              abs=1e-3)
    assert d["lists"] == ["A", "B", "C"]
    assert sum(row["count"] for row in d["table"]) == 322
    assert d["chao_lower_bound"] == round(322 + 229 ** 2 / 168, 1)


def test_to_dict_without_bootstrap_has_null_intervals():
    d = point(table("three_lists.csv")).to_dict()
    assert d["ci95"] == [None, None]
    assert d["profile_ci95"][0] < d["total"] < d["profile_ci95"][1]
    json.dumps(d, allow_nan=False)
