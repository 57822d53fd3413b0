"""Multiple-systems estimation (MSE): capture-recapture on overlapping lists.

A family that appears on k agency lists leaves a capture pattern, one 0/1 per list. The
table of counts per pattern (the 2^k - 1 observable cells) is modelled as independent
Poisson counts with a hierarchical log-linear model (Fienberg 1972; Cormack 1989):

    log mu_w = sum over terms t contained in w of alpha_t

The all-zero pattern is the unseen cell; its expectation is exp(intercept), and the
estimated total is the number observed plus that.

What this module does, and where each piece comes from:

* Models and the extended MLE. Hierarchical models from main effects up to the interactions
  allowed by ``max_interaction`` (the k-way interaction is never identifiable). When a term has
  nobody in its overlap (N*_t = 0, e.g. two lists with nobody in common) its extended maximum
  likelihood estimate is minus infinity: its cells are fitted as zero and left out of the
  Poisson fit, the term still counts as a parameter in AIC/BIC (Chan, Silverman & Vincent 2021,
  JASA 116:1297-1306, sections 2.4-2.6; Silverman's MultipleSystemsEstimation R package). A
  model is used only when its (extended) MLE exists -- the linear-programming test of Fienberg &
  Rinaldo (2012, Ann. Statist. 40:996-1023) -- and its design has full column rank; other
  models are skipped and named in the warnings.
* Model choice. ``criterion="auto"`` (the default) follows the current recommendation of
  Silverman and co-authors as implemented in MultipleSystemsEstimation (method "auto"): for up
  to five lists, BIC over all hierarchical models (Silverman, Chan & Vincent 2024, "Bootstrapping
  multiple systems estimates to account for model selection", Statistics and Computing 34:44);
  for six or more lists, the forward stepwise search of Chan, Silverman & Vincent (2021, section
  3.2) that adds the two-list term with the smallest Poisson p-value while it is below 0.02 (the
  threshold their simulation study found best). "AIC" and "BIC" can be asked for explicitly
  (exhaustive search for up to five lists, a score-screened forward/backward stepwise search
  beyond), and so can "p-value".
* Intervals. ``ci95``/``ci80``: percentile intervals of a parametric bootstrap that re-runs the
  model search on every replicate (Buckland & Garthwaite 1991, Biometrics 47:255-268; the
  bootstrap-with-reselection idea of Chan et al. 2021 section 3.3 and Silverman et al. 2024).
  Replicates are Poisson draws around the observed counts (the Poisson form of the case
  resampling of Chan et al. 2021; ``resample="fitted"`` draws around the chosen model's fitted
  counts, as Buckland & Garthwaite do). For an exhaustive
  search the replicate search is restricted to the best models on the original data, as
  Silverman et al. (2024) propose (all models for 3 lists, the top 20 for 4, the top 100 for 5);
  the stepwise search is re-run in full. ``profile_ci95``/``profile_ci80``: the multinomial
  profile-likelihood interval of the chosen model alone (Cormack 1992, Biometrics 48:567-576; as
  in Rcapture's closedpCI), which ignores the uncertainty of model choice.
* Chao's lower bound n + f1^2 / (2 f2) (Chao 1987, Biometrics 43:783-791), with the
  bias-corrected form f1 (f1 - 1) / (2 (f2 + 1)) when f2 = 0 (Chao 2005, Encyclopedia of
  Statistical Sciences, "Species estimation and applications").

Pure maths: numpy, pandas, statsmodels, scipy. Nothing here touches DuckDB or the pipeline.
"""
from __future__ import annotations

import csv
import io
import itertools
import math
import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.optimize import brentq, linprog, minimize_scalar
from scipy.special import gammaln, xlogy
from scipy.stats import chi2, poisson

from mpg.pipeline.errors import ExitCode, MpgError

__all__ = [
    "EstimateError", "ListTable", "Fit", "Estimate", "read_table", "table_from_frame",
    "table_from_patterns", "estimate", "fit", "bootstrap_totals", "chao_lower_bound",
    "mle_exists", "CRITERIA", "DEFAULT_CRITERION", "DEFAULT_BOOTSTRAP", "DEFAULT_PTHRESH",
]

CRITERIA = ("auto", "AIC", "BIC", "p-value")
DEFAULT_CRITERION = "auto"
# Chan, Silverman & Vincent (2021), section 4.3: of the thresholds they simulated, 0.02 gave the
# smallest mean squared error of the log dark figure over 28 scenarios.
DEFAULT_PTHRESH = 0.02
# 499 replicates keeps bench/estimate.py (8 lists, 4,000 families, stepwise search re-run on
# every replicate) under its 10-second target on 2 cores (about 7 s; 999 took 14 s). Stability,
# measured on a sparse 5-list table of 345 cases (6 seeds): the lower 95% limit moves by 1% of
# the interval's width between seeds, the upper one by about 10% (5% with 999); ask for
# bootstrap=999 or more when the upper limit matters.
DEFAULT_BOOTSTRAP = 499
# Exhaustive search over hierarchical models up to this many lists (Silverman et al. 2024 give
# BIC enumeration up to five lists; six lists already means 32,768 two-way models).
EXHAUSTIVE_MAX_LISTS = 5
# Models the bootstrap re-searches among after an exhaustive search, by number of lists
# (Silverman et al. 2024; MultipleSystemsEstimation's defaults for ntopmodels).
_BOOTSTRAP_TOP = {2: None, 3: None, 4: 20}
_BOOTSTRAP_TOP_DEFAULT = 100
_REPORTED_MODELS = 10
# Bootstrap replicates are Poisson draws around the observed counts ("observed") or around the
# chosen model's fitted counts ("fitted", Buckland & Garthwaite 1991). "observed" is the Poisson
# form of the resampling of observed cases in Chan et al. (2021) and Silverman et al. (2024):
# replicates keep the dependence the table has, so they re-select richer models as often as the
# data support them. Drawing from the chosen model instead never shows the search the
# dependence that model left out: in tests/test_mse_coverage.py its 95% interval covered a
# negative two-list dependence far less often (see the docstring there).
RESAMPLE = ("observed", "fitted")
DEFAULT_RESAMPLE = "observed"


class EstimateError(MpgError):
    """The table cannot give an estimate, or is malformed. Exit code 1 (DELIVERY_PROBLEM)."""

    exit_code = ExitCode.DELIVERY_PROBLEM


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListTable:
    """Observed capture patterns and their counts.

    ``counts`` maps a pattern (one 0/1 per list, in the order of ``lists``, never all 0) to
    the number of individuals seen on exactly that combination of lists. Patterns not in
    the dict have count 0.
    """

    lists: tuple[str, ...]
    counts: dict[tuple[int, ...], int]

    def __post_init__(self) -> None:
        lists = tuple(str(name) for name in self.lists)
        object.__setattr__(self, "lists", lists)
        if len(set(lists)) != len(lists):
            raise EstimateError("the table names a list twice: every list needs its own name")
        clean: dict[tuple[int, ...], int] = {}
        for pattern, count in dict(self.counts).items():
            pattern = tuple(int(v) for v in pattern)
            if len(pattern) != len(lists):
                raise EstimateError(
                    f"the table has a pattern of length {len(pattern)} for {len(lists)} lists")
            if any(v not in (0, 1) for v in pattern):
                raise EstimateError("the table has a pattern with a value other than 0 or 1")
            if not any(pattern):
                raise EstimateError(
                    "the table has a count for the all-zero pattern, but nobody can be observed "
                    "on none of the lists: that cell is the one being estimated")
            if isinstance(count, (bool, np.bool_)) or int(count) != count or count < 0:
                raise EstimateError("the table has a count that is not a whole number >= 0")
            if pattern in clean:
                raise EstimateError("the table has the same pattern twice")
            if int(count) > 0:
                clean[pattern] = int(count)
        object.__setattr__(self, "counts", clean)

    @property
    def k(self) -> int:
        return len(self.lists)

    @property
    def observed(self) -> int:
        return int(sum(self.counts.values()))

    def without(self, index: int) -> "ListTable":
        """The table with list number `index` left out: patterns that differ only there are
        added up, and those on none of the remaining lists drop out."""
        counts: dict[tuple[int, ...], int] = {}
        for pattern, n in self.counts.items():
            rest = pattern[:index] + pattern[index + 1:]
            if any(rest):
                counts[rest] = counts.get(rest, 0) + n
        return ListTable(self.lists[:index] + self.lists[index + 1:], counts)

    def rows(self) -> list[dict[str, int]]:
        """The observed counts as rows (list columns plus ``count``), most lists last."""
        order = sorted(self.counts, key=lambda p: (sum(p), tuple(-v for v in p)))
        return [dict(zip(self.lists, p), count=self.counts[p]) for p in order]


def _describe_value(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 24 else text[:21] + "...'"


def _parse_flag(value: Any) -> int | None:
    """0/1 from an int, float, bool or string; None when it is anything else."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value) if value in (0, 1) else None
    if isinstance(value, (float, np.floating)):
        return int(value) if value in (0.0, 1.0) else None
    if isinstance(value, str):
        text = value.strip()
        return int(text) if text in ("0", "1") else None
    return None


def _parse_count(value: Any) -> tuple[int | None, str]:
    """(count, "") or (None, why) for one cell of the count column."""
    if isinstance(value, (bool, np.bool_)):
        return None, "is a true/false value, not a count"
    if isinstance(value, (int, np.integer)):
        number: float | int = int(value)
    elif isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None, "is empty"
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None, "is empty"
        try:
            number = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return None, f"is not a number ({_describe_value(value)})"
            if not math.isfinite(number):
                return None, f"is not a number ({_describe_value(value)})"
    elif value is None or value is pd.NA:
        return None, "is empty"
    else:
        return None, f"is not a number ({_describe_value(value)})"
    if isinstance(number, float):
        if not math.isfinite(number):
            return None, f"is not a finite number ({_describe_value(value)})"
        if number != int(number):
            return None, f"is not a whole number ({_describe_value(value)})"
        number = int(number)
    if number < 0:
        return None, f"is negative ({number})"
    return int(number), ""


def _build_table(columns: Sequence[Any], rows: Sequence[tuple[str, Sequence[Any]]],
                 source: str) -> ListTable:
    """Validate rows (label, values) under ``columns`` and build the ListTable."""
    names = [str(c).strip() for c in columns]
    seen: dict[str, int] = {}
    for name in names:
        if name == "":
            raise EstimateError(f"{source}: a column has no name")
        if name in seen:
            raise EstimateError(f"{source}: the column '{name}' appears twice")
        seen[name] = 1
    if "count" not in names:
        raise EstimateError(
            f"{source}: there is no 'count' column (expected one 0/1 column per list and a "
            f"'count' column with the number of people on that combination)")
    count_at = names.index("count")
    list_names = [n for n in names if n != "count"]
    list_at = [i for i, n in enumerate(names) if n != "count"]
    if len(list_names) < 2:
        raise EstimateError(
            f"{source}: found {len(list_names)} list column(s) besides 'count'; capture-"
            f"recapture needs at least two lists")
    if not rows:
        raise EstimateError(f"{source}: the table has no rows")
    counts: dict[tuple[int, ...], int] = {}
    where: dict[tuple[int, ...], str] = {}
    for label, values in rows:
        if len(values) != len(names):
            raise EstimateError(
                f"{source}, {label}: has {len(values)} fields where the header has {len(names)}")
        pattern = []
        for i, name in zip(list_at, list_names):
            flag = _parse_flag(values[i])
            if flag is None:
                raise EstimateError(
                    f"{source}, {label}, column '{name}': a list column must be 0 or 1, found "
                    f"{_describe_value(values[i])}")
            pattern.append(flag)
        count, why = _parse_count(values[count_at])
        if count is None:
            raise EstimateError(
                f"{source}, {label}, column 'count': the count {why}; it must be a whole "
                f"number of people, 0 or more")
        key = tuple(pattern)
        if not any(key):
            raise EstimateError(
                f"{source}, {label}, columns {', '.join(repr(n) for n in list_names)}: the row "
                f"is 0 on every list, but nobody can be observed on none of the lists (that "
                f"unseen cell is what the estimate is for); remove the row")
        if key in counts:
            raise EstimateError(
                f"{source}, {label}, columns {', '.join(repr(n) for n in list_names)}: this "
                f"combination of lists already appears in {where[key]}; give each "
                f"combination one row")
        counts[key] = count
        where[key] = label
    return ListTable(tuple(list_names), counts)


def read_table(path: str | os.PathLike[str]) -> ListTable:
    """Read a CSV: one 0/1 column per list (named by the list) and a ``count`` column.

    Lines starting with ``#`` (e.g. a line citing the source) and blank lines are skipped.
    Errors name the file, the line and the column.
    """
    source = os.fspath(path)
    try:
        with open(source, encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except OSError as exc:
        raise EstimateError(f"{source}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise EstimateError(f"{source}: is not UTF-8 text") from None
    header: list[str] | None = None
    rows: list[tuple[str, list[str]]] = []
    reader = csv.reader(io.StringIO(text))
    try:
        for record in reader:
            line = reader.line_num
            if not record or all(not field_.strip() for field_ in record):
                continue
            if record[0].lstrip().startswith("#"):
                continue
            if header is None:
                header = record
                continue
            rows.append((f"line {line}", record))
    except csv.Error as exc:
        raise EstimateError(f"{source}, line {reader.line_num}: not valid CSV ({exc})") from None
    if header is None:
        raise EstimateError(f"{source}: the file is empty (no header, no rows)")
    return _build_table(header, rows, source)


def table_from_frame(frame: pd.DataFrame, source: str = "the table") -> ListTable:
    """A ListTable from a DataFrame with one 0/1 column per list and a ``count`` column.

    Errors name ``source``, the row (1 = first data row) and the column.
    """
    if not isinstance(frame, pd.DataFrame):
        raise EstimateError(f"{source}: expected a table (DataFrame), got {type(frame).__name__}")
    values = frame.astype(object).to_numpy().tolist() if len(frame) else []
    rows = [(f"row {i + 1}", row) for i, row in enumerate(values)]
    return _build_table(list(frame.columns), rows, source)


def table_from_patterns(lists: Sequence[str], patterns: Iterable[Sequence[int]]) -> ListTable:
    """A ListTable from one capture pattern per individual (e.g. after record linkage)."""
    lists = tuple(str(n) for n in lists)
    if len(lists) < 2:
        raise EstimateError(
            f"capture-recapture needs at least two lists; got {len(lists)}")
    counts: dict[tuple[int, ...], int] = {}
    for i, pattern in enumerate(patterns, start=1):
        flags = []
        if len(pattern) != len(lists):
            raise EstimateError(
                f"individual {i}: pattern has {len(pattern)} entries for {len(lists)} lists")
        for name, value in zip(lists, pattern):
            flag = _parse_flag(value)
            if flag is None:
                raise EstimateError(
                    f"individual {i}, list '{name}': must be 0 or 1, found {_describe_value(value)}")
            flags.append(flag)
        key = tuple(flags)
        if not any(key):
            raise EstimateError(
                f"individual {i}: is on none of the lists; only people seen on at least one "
                f"list can be counted")
        counts[key] = counts.get(key, 0) + 1
    return ListTable(lists, counts)


# --------------------------------------------------------------------------------------------
# Cells, terms and models as bit masks
# --------------------------------------------------------------------------------------------
# A cell (capture pattern) and a term (set of lists) are both bit masks: bit i = list i.
# A model is a frozenset of interaction masks (two or more bits), closed under taking subsets
# of size >= 2. The intercept and all main effects are always in the model.


def _popcount(mask: int) -> int:
    return bin(mask).count("1")


def _closure(terms: Iterable[int]) -> frozenset[int]:
    out: set[int] = set()
    for t in terms:
        bits = [b for b in range(t.bit_length()) if t >> b & 1]
        for r in range(2, len(bits) + 1):
            for sub in itertools.combinations(bits, r):
                out.add(sum(1 << b for b in sub))
    return frozenset(out)


def _maximal(model: frozenset[int]) -> list[int]:
    """The generating (maximal) interaction terms of a hierarchical model."""
    return [t for t in model if not any(u != t and (u & t) == t for u in model)]


def _term_key(t: int) -> tuple[int, list[int]]:
    return (_popcount(t), [b for b in range(t.bit_length()) if t >> b & 1])


class _Space:
    """Everything that depends only on the number of lists: cells, designs, catalogues."""

    _cache: dict[int, "_Space"] = {}

    def __init__(self, k: int):
        self.k = k
        self.ncell = (1 << k) - 1
        self.cells = np.arange(1, 1 << k, dtype=np.int64)
        self.size = np.array([_popcount(int(c)) for c in self.cells])
        self.mains = [1 << i for i in range(k)]
        self.pairs = [(1 << i) | (1 << j) for i in range(k) for j in range(i + 1, k)]
        self._columns: dict[int, np.ndarray] = {}
        self._designs: dict[tuple, np.ndarray] = {}
        self._rank_ok: dict[tuple, bool] = {}
        self._catalogues: dict[int, list[frozenset[int]]] = {}

    @classmethod
    def of(cls, k: int) -> "_Space":
        if k not in cls._cache:
            cls._cache[k] = cls(k)
        return cls._cache[k]

    def column(self, term: int) -> np.ndarray:
        col = self._columns.get(term)
        if col is None:
            col = ((self.cells & term) == term).astype(float)
            self._columns[term] = col
        return col

    def terms_of(self, model: frozenset[int]) -> list[int]:
        """All columns of a model, intercept first: 0, main effects, interactions by order."""
        return [0] + self.mains + sorted(model, key=_term_key)

    def design(self, terms: tuple[int, ...], keep_key: int, keep: np.ndarray) -> np.ndarray:
        key = (terms, keep_key)
        X = self._designs.get(key)
        if X is None:
            full = np.column_stack([np.ones(self.ncell) if t == 0 else self.column(t)
                                    for t in terms])
            X = np.ascontiguousarray(full[keep])
            if len(self._designs) > 50000:
                self._designs.clear()
            self._designs[key] = X
        return X

    def full_rank(self, terms: tuple[int, ...], keep_key: int, X: np.ndarray) -> bool:
        key = (terms, keep_key)
        ok = self._rank_ok.get(key)
        if ok is None:
            ok = X.shape[0] >= X.shape[1] and np.linalg.matrix_rank(X) == X.shape[1]
            self._rank_ok[key] = ok
        return ok

    def superset_sums(self, y: np.ndarray) -> np.ndarray:
        """N*_t = number observed on all lists of t (and maybe others), for every mask t."""
        f = np.zeros(1 << self.k)
        f[1:] = y
        idx = np.arange(1 << self.k)
        for i in range(self.k):
            low = idx[(idx >> i & 1) == 0]
            f[low] += f[low | (1 << i)]
        return f

    def catalogue(self, max_order: int) -> list[frozenset[int]]:
        """All hierarchical models with interactions of order <= max_order (< k)."""
        max_order = min(max_order, self.k - 1)
        cat = self._catalogues.get(max_order)
        if cat is not None:
            return cat
        by_order = {r: [sum(1 << b for b in c) for c in itertools.combinations(range(self.k), r)]
                    for r in range(2, max_order + 1)}
        models: list[frozenset[int]] = []

        def grow(r: int, chosen: frozenset[int], previous: list[int]) -> None:
            if r > max_order:
                models.append(chosen)
                return
            if r == 2:
                admissible = by_order[2]
            else:
                prev = set(previous)
                admissible = [t for t in by_order[r]
                              if all((t & ~(1 << b)) in prev
                                     for b in range(self.k) if t >> b & 1)]
            for m in range(len(admissible) + 1):
                for sub in itertools.combinations(admissible, m):
                    grow(r + 1, chosen | frozenset(sub), list(sub))

        grow(2, frozenset(), [])
        models.sort(key=lambda m: (len(m), sorted(_term_key(t) for t in m)))
        self._catalogues[max_order] = models
        return models


# --------------------------------------------------------------------------------------------
# Fitting one model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    """One log-linear model fitted to one table."""

    terms: tuple[str, ...]            # interaction terms of the model ("A:B", ...), hierarchy closed
    model: str                        # e.g. "main effects + A:B + B:C"
    hierarchy: str                    # Silverman's notation with list numbers, e.g. "[12,3]"
    observed: int
    unseen: float                     # nan when the model cannot give an estimate
    total: float
    loglik: float                     # Poisson log-likelihood over the fitted cells
    deviance: float
    df: int                           # residual degrees of freedom (fitted cells - free params)
    n_params: int                     # parameters, counting those fixed at minus infinity
    aic: float
    bic: float
    exists: bool                      # the (extended) MLE exists and the model is identifiable
    mle_exists: bool                  # the ordinary MLE exists (no parameter at minus infinity)
    identifiable: bool
    neg_inf_terms: tuple[str, ...]    # terms whose extended MLE is minus infinity (empty overlaps)
    reason: str = ""                  # why the model gives no estimate, in words
    params: Any = field(default=None, repr=False, compare=False)
    fitted: Any = field(default=None, repr=False, compare=False)

    def criterion(self, name: str) -> float:
        return {"AIC": self.aic, "BIC": self.bic}[name]


@dataclass
class _Raw:
    """Internal result of one fit on one count vector."""

    model: frozenset[int]
    ok: bool
    reason: str
    unseen: float = math.nan
    loglik: float = math.nan
    deviance: float = math.nan
    df: int = 0
    n_params: int = 0
    n_obs: int = 0
    neg_inf: tuple[int, ...] = ()
    terms: tuple[int, ...] = ()
    keep: np.ndarray | None = None
    mu: np.ndarray | None = None      # fitted values on all 2^k - 1 cells (0 where removed)
    params: np.ndarray | None = None
    identifiable: bool = True

    def crit(self, name: str) -> float:
        if not self.ok:
            return math.inf
        if name == "AIC":
            return -2.0 * self.loglik + 2.0 * self.n_params
        return -2.0 * self.loglik + self.n_params * math.log(max(self.n_obs, 1))

    @property
    def total(self) -> float:
        return self.n_obs + self.unseen


_POISSON = sm.families.Poisson()


def _lp_exists(X: np.ndarray, y: np.ndarray) -> bool:
    """Fienberg & Rinaldo (2012): maximise s s.t. X'x = X'y, x_i >= s, x >= 0, s <= 1.

    The MLE of the log-linear model with design X (rows = the fitted cells) exists iff s* > 0,
    i.e. the observed margins lie in the relative interior of the marginal cone.
    """
    nobs, npar = X.shape
    c = np.zeros(nobs + 1)
    c[-1] = -1.0
    A_eq = np.hstack([X.T, np.zeros((npar, 1))])
    b_eq = X.T @ y
    A_ub = np.hstack([-np.eye(nobs), np.ones((nobs, 1))])
    b_ub = np.zeros(nobs)
    bounds = [(0, None)] * nobs + [(None, 1.0)]
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if res.status != 0:
        return False
    return -res.fun > 1e-7


def _positive_certificate(X: np.ndarray, y: np.ndarray, mu: np.ndarray) -> bool:
    """True when a converged fit proves that the MLE exists, so the LP can be skipped.

    The fitted values mu are strictly positive; one Newton correction x = mu * (1 - X v), with
    (X' diag(mu) X) v = X'(mu - y), solves X'x = X'y. If every cell keeps at least half its
    fitted value, x is a strictly positive solution: a feasible point of the Fienberg-Rinaldo
    LP with s > 0, hence the MLE exists. When the MLE does not exist the fit is still running
    off to the boundary, the correction takes about all of the vanishing cells' mass, and the
    certificate fails; then (and whenever it fails) the LP decides.
    """
    if not np.all(np.isfinite(mu)) or np.min(mu) <= 1e-10 * max(1.0, float(np.sum(y))):
        return False
    r = X.T @ (mu - y)
    try:
        v = np.linalg.solve(X.T @ (X * mu[:, None]), r)
    except np.linalg.LinAlgError:
        return False
    return bool(np.max(X @ v) < 0.5)


class _Context:
    """A table prepared for fitting: the count vector and the caches that go with it."""

    def __init__(self, table: ListTable):
        self.table = table
        self.k = table.k
        self.space = _Space.of(self.k)
        y = np.zeros(self.space.ncell)
        for pattern, count in table.counts.items():
            mask = sum(1 << i for i, v in enumerate(pattern) if v)
            y[mask - 1] = count
        self.y = y
        self.n = int(y.sum())
        self.lp_cache: dict[tuple, bool] = {}

    # names ----------------------------------------------------------------------------------
    def term_name(self, t: int) -> str:
        return ":".join(self.table.lists[b] for b in range(self.k) if t >> b & 1)

    def model_terms(self, model: frozenset[int]) -> tuple[str, ...]:
        return tuple(self.term_name(t) for t in sorted(model, key=_term_key))

    def model_label(self, model: frozenset[int]) -> str:
        names = self.model_terms(model)
        return "main effects" + "".join(" + " + n for n in names)

    def hierarchy(self, model: frozenset[int]) -> str:
        gens = _maximal(model) + [m for m in self.space.mains
                                  if not any(t & m for t in model)]
        gens.sort(key=lambda t: (-_popcount(t), [b for b in range(self.k) if t >> b & 1]))
        return "[" + ",".join("".join(str(b + 1) for b in range(self.k) if t >> b & 1)
                              for t in gens) + "]"

    def parse_terms(self, terms: Iterable[Any]) -> frozenset[int]:
        masks = []
        for term in terms:
            if isinstance(term, str):
                parts = [p.strip() for p in term.replace("*", ":").split(":")]
            else:
                parts = list(term)
            bits = 0
            for part in parts:
                if isinstance(part, (int, np.integer)) and not isinstance(part, bool):
                    idx = int(part)
                    if not 0 <= idx < self.k:
                        raise EstimateError(f"term {term!r}: there is no list number {idx}")
                else:
                    if part not in self.table.lists:
                        raise EstimateError(
                            f"term {term!r}: there is no list called {part!r} (lists: "
                            f"{', '.join(self.table.lists)})")
                    idx = self.table.lists.index(part)
                bits |= 1 << idx
            if _popcount(bits) >= 2:
                masks.append(bits)
        return _closure(masks)

    # fitting --------------------------------------------------------------------------------
    def fit(self, model: frozenset[int], y: np.ndarray | None = None,
            start: Mapping[int, float] | None = None, check: bool = True) -> _Raw:
        """Fit ``model`` to ``y`` (the table's counts by default), extended MLE, with checks."""
        space = self.space
        y = self.y if y is None else y
        nstar = space.superset_sums(y)
        all_terms = space.terms_of(model)
        neg_inf = tuple(t for t in all_terms[1:] if nstar[t] == 0)
        terms = tuple(t for t in all_terms if t not in neg_inf)
        n_obs = int(round(y.sum()))
        raw = _Raw(model=model, ok=False, reason="", n_params=len(all_terms), n_obs=n_obs,
                   neg_inf=neg_inf, terms=terms)
        if neg_inf:
            removed = np.zeros(space.ncell, dtype=bool)
            for t in neg_inf:
                removed |= (space.cells & t) == t
            keep = ~removed
            keep_key = hash(keep.tobytes())
        else:
            keep = np.ones(space.ncell, dtype=bool)
            keep_key = 0
        raw.keep = keep
        X = space.design(terms, keep_key, keep)
        yk = y[keep]
        if not space.full_rank(terms, keep_key, X):
            raw.identifiable = False
            raw.reason = ("not identifiable: the model has more free parameters than its "
                          "observed cells can determine")
            return raw
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                sp = None if start is None else np.array([start.get(t, 0.0) for t in terms])
                res = sm.GLM(yk, X, family=_POISSON).fit(start_params=sp, maxiter=100)
                beta = np.asarray(res.params, dtype=float)
                mu_k = np.exp(np.clip(X @ beta, -700, 700))
            except Exception:  # noqa: BLE001 - any numerical failure: the LP decides below
                beta = None
                mu_k = None
        exists = None
        if check:
            if mu_k is not None and _positive_certificate(X, yk, mu_k):
                exists = True
            else:
                zero_key = (terms, keep_key, np.flatnonzero(yk == 0).tobytes())
                exists = self.lp_cache.get(zero_key)
                if exists is None:
                    exists = _lp_exists(X, yk)
                    self.lp_cache[zero_key] = exists
            if not exists:
                raw.reason = ("the maximum likelihood estimate does not exist (Fienberg-Rinaldo "
                              "linear program: some fitted cells would have to be zero)")
                return raw
        if beta is None or not np.all(np.isfinite(beta)):
            # Rare: the estimate exists but IRLS from the warm start failed; start afresh.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    res = sm.GLM(yk, X, family=_POISSON).fit(maxiter=300)
                    beta = np.asarray(res.params, dtype=float)
                    mu_k = np.exp(np.clip(X @ beta, -700, 700))
                except Exception:  # noqa: BLE001
                    raw.reason = "the model could not be fitted numerically"
                    return raw
        if not np.all(np.isfinite(beta)) or beta[0] > 700:
            raw.reason = "the model could not be fitted numerically"
            return raw
        mu = np.zeros(space.ncell)
        mu[keep] = mu_k
        raw.ok = True
        raw.params = beta
        raw.mu = mu
        raw.unseen = float(math.exp(beta[0]))
        raw.loglik = float(np.sum(xlogy(yk, mu_k) - mu_k - gammaln(yk + 1.0)))
        raw.deviance = float(2.0 * np.sum(xlogy(yk, yk / np.where(mu_k > 0, mu_k, 1.0))
                                          - (yk - mu_k)))
        raw.df = int(X.shape[0] - X.shape[1])
        return raw

    def public(self, raw: _Raw, check_ordinary: bool = True) -> Fit:
        model = raw.model
        neg = tuple(self.term_name(t) for t in raw.neg_inf)
        if check_ordinary:
            ordinary = raw.ok and not raw.neg_inf
        else:
            ordinary = False
        return Fit(
            terms=self.model_terms(model), model=self.model_label(model),
            hierarchy=self.hierarchy(model), observed=raw.n_obs,
            unseen=raw.unseen if raw.ok else math.nan,
            total=raw.total if raw.ok else math.nan,
            loglik=raw.loglik, deviance=raw.deviance, df=raw.df, n_params=raw.n_params,
            aic=raw.crit("AIC") if raw.ok else math.nan,
            bic=raw.crit("BIC") if raw.ok else math.nan,
            exists=raw.ok, mle_exists=ordinary, identifiable=raw.identifiable,
            neg_inf_terms=neg, reason=raw.reason,
            params=None if raw.params is None else raw.params.copy(),
            fitted=None if raw.mu is None else raw.mu.copy())


# --------------------------------------------------------------------------------------------
# Checks that need no model search
# --------------------------------------------------------------------------------------------


def chao_lower_bound(table: ListTable) -> float:
    """Chao's (1987) lower bound for the total: n + f1^2 / (2 f2).

    f1, f2 are the numbers seen on exactly one and exactly two lists. When f2 = 0 the
    bias-corrected form n + f1 (f1 - 1) / (2 (f2 + 1)) is used (Chao 2005). It assumes lists are
    independent given a person's catchability, so it bounds the total from below under
    heterogeneity; it says nothing about dependence between lists.
    """
    f1 = sum(c for p, c in table.counts.items() if sum(p) == 1)
    f2 = sum(c for p, c in table.counts.items() if sum(p) == 2)
    n = table.observed
    if f2 > 0:
        return float(n + f1 * f1 / (2.0 * f2))
    return float(n + f1 * (f1 - 1) / 2.0)


def mle_exists(table: ListTable, terms: Iterable[Any] = (), *, extended: bool = False) -> bool:
    """Fienberg & Rinaldo's linear-programming test of the existence of the MLE.

    ``terms``: the interactions of the model besides the main effects (names "A:B", tuples of
    list names or of list numbers); lower-order terms are added to keep the model hierarchical.
    With ``extended=False`` this is the test for the ordinary MLE on all 2^k - 1 observed cells:
    maximise s subject to A'x = A'n, x_i >= s for every cell, s <= 1; the MLE exists iff s* > 0.
    With ``extended=True`` terms with an empty overlap are first fixed at minus infinity and
    their cells dropped (Chan, Silverman & Vincent 2021), and the test is run on what remains.
    The design must also have full column rank for the estimate to mean anything; use
    ``fit(...).exists`` for both checks together.
    """
    ctx = _Context(table)
    model = ctx.parse_terms(terms)
    space = ctx.space
    all_terms = space.terms_of(model)
    y = ctx.y
    if extended:
        nstar = space.superset_sums(y)
        neg_inf = [t for t in all_terms[1:] if nstar[t] == 0]
        keep = np.ones(space.ncell, dtype=bool)
        for t in neg_inf:
            keep &= (space.cells & t) != t
        cols = tuple(t for t in all_terms if t not in neg_inf)
    else:
        keep = np.ones(space.ncell, dtype=bool)
        cols = tuple(all_terms)
    X = space.design(cols, hash(keep.tobytes()), keep)
    return _lp_exists(X, y[keep])


def fit(table: ListTable, terms: Iterable[Any] = ()) -> Fit:
    """Fit one hierarchical log-linear model: main effects plus ``terms`` (and their subsets).

    Terms with an empty overlap get the extended MLE minus infinity (see the module
    docstring). ``Fit.exists`` is False, with the reason in words, when the (extended) MLE
    does not exist or the model is not identifiable; total and unseen are then nan.
    """
    _check_estimable(table)
    ctx = _Context(table)
    model = ctx.parse_terms(terms)
    if any(_popcount(t) >= ctx.k for t in model):
        raw = _Raw(model=model, ok=False, identifiable=False, n_obs=ctx.n,
                   n_params=len(ctx.space.terms_of(model)),
                   reason="not identifiable: the interaction of all lists can never be "
                          "estimated, since the cell it would need is the unseen one")
        return ctx.public(raw)
    return ctx.public(ctx.fit(model))


def _check_estimable(table: ListTable) -> None:
    """Raise EstimateError, in plain words, for tables that can never give an estimate."""
    if table.k < 2:
        raise EstimateError(
            f"the table has {table.k} list(s); capture-recapture needs at least two lists")
    if table.observed == 0:
        raise EstimateError("the table counts nobody: every count is 0")
    used = [name for i, name in enumerate(table.lists)
            if any(p[i] for p in table.counts)]
    if len(used) < 2:
        raise EstimateError(
            f"only {len(used)} list has anyone on it ({', '.join(used) or 'none'}); "
            f"capture-recapture needs people on at least two lists")
    if not any(sum(p) >= 2 for p in table.counts):
        raise EstimateError(
            "nobody is on two lists or more: without any overlap between the lists there is "
            "no information about how many were missed by all of them (the estimate would be "
            "infinite)")


# --------------------------------------------------------------------------------------------
# Model searches
# --------------------------------------------------------------------------------------------


@dataclass
class _SearchResult:
    best: _Raw | None
    ranked: list[_Raw]              # admissible models, best first (exhaustive) or the path
    skipped: list[_Raw]             # models rejected for existence or identifiability
    method: str                     # words for the output
    catalogue: list[frozenset[int]] | None = None   # the exhaustive list of candidates


def _default_max_order(k: int) -> int:
    # MultipleSystemsEstimation's defaults: 2 lists 1, 3 lists 2, 4-5 lists 3, 6+ lists 2.
    if k <= 2:
        return 1
    if k == 3:
        return 2
    if k <= 5:
        return 3
    return 2


def _resolve_criterion(criterion: str, k: int) -> str:
    name = {"aic": "AIC", "bic": "BIC", "auto": "auto", "p-value": "p-value",
            "pvalue": "p-value", "p": "p-value", "stepwise": "p-value"}.get(
        str(criterion).strip().lower())
    if name is None:
        raise EstimateError(
            f"unknown selection criterion {criterion!r}; choose one of {', '.join(CRITERIA)}")
    if name == "auto":
        return "BIC" if k <= EXHAUSTIVE_MAX_LISTS else "p-value"
    return name


def _search_exhaustive(ctx: _Context, crit: str, max_order: int, keep_top: int = 1
                       ) -> _SearchResult:
    """Fit every hierarchical model up to ``max_order`` and rank them by ``crit``.

    Exact, but it does not fit models that cannot reach the ``keep_top`` best: a model's
    log-likelihood is at most the saturated one, so its criterion is at least
    -2 loglik_saturated + penalty * n_params; the catalogue runs from small models to large,
    so once that bound passes the keep_top-th best value found, no later model can enter.
    """
    catalogue = ctx.space.catalogue(max_order)
    y = ctx.y
    sat = float(np.sum(xlogy(y, y) - y - gammaln(y + 1.0)))
    penalty = 2.0 if crit == "AIC" else math.log(max(ctx.n, 1))
    ranked: list[_Raw] = []
    skipped: list[_Raw] = []
    done: dict[frozenset[int], _Raw] = {}
    best_values: list[float] = []
    fitted = 0
    for model in catalogue:
        n_params = 1 + ctx.k + len(model)
        if len(best_values) >= keep_top and -2.0 * sat + penalty * n_params > best_values[
                keep_top - 1]:
            break
        start = None
        # Warm start from a fitted parent (the model less one generating term): the catalogue
        # lists smaller models first, so one is usually there already.
        for t in _maximal(model):
            parent = done.get(frozenset(model - {t}))
            if parent is not None and parent.params is not None:
                start = dict(zip(parent.terms, parent.params))
                break
        raw = ctx.fit(model, start=start)
        fitted += 1
        done[model] = raw
        if raw.ok:
            ranked.append(raw)
            value = raw.crit(crit)
            if len(best_values) < keep_top or value < best_values[-1]:
                best_values.append(value)
                best_values.sort()
                del best_values[keep_top:]
        else:
            skipped.append(raw)
    ranked.sort(key=lambda r: r.crit(crit))
    best = ranked[0] if ranked else None
    method = (f"exhaustive search by {crit} over the {len(catalogue)} hierarchical models with "
              f"interactions up to order {min(max_order, ctx.k - 1)}")
    if fitted < len(catalogue):
        method += (f" ({fitted} fitted; the other {len(catalogue) - fitted} have so many "
                   f"parameters that even a perfect fit could not rank among the best "
                   f"{keep_top})")
    return _SearchResult(best, ranked, skipped, method, catalogue)


def _addable(ctx: _Context, model: frozenset[int], max_order: int) -> list[int]:
    """Interaction terms that can be added keeping the model hierarchical, by order."""
    out = []
    k = ctx.k
    for r in range(2, min(max_order, k - 1) + 1):
        for c in itertools.combinations(range(k), r):
            t = sum(1 << b for b in c)
            if t in model:
                continue
            if r == 2 or all((t & ~(1 << b)) in model for b in c):
                out.append(t)
    return out


def _score_stats(ctx: _Context, raw: _Raw, y: np.ndarray, cands: list[int]) -> np.ndarray:
    """Rao score statistics for adding each candidate column to a fitted model (cheap)."""
    space = ctx.space
    keep = raw.keep
    X = space.design(raw.terms, hash(keep.tobytes()) if raw.neg_inf else 0, keep)
    mu = raw.mu[keep]
    resid = y[keep] - mu
    W = mu
    XtWX = X.T @ (X * W[:, None])
    try:
        inv = np.linalg.inv(XtWX)
    except np.linalg.LinAlgError:
        inv = np.linalg.pinv(XtWX)
    Z = np.column_stack([space.column(t)[keep] for t in cands])
    U = Z.T @ resid
    ZtWX = (Z * W[:, None]).T @ X
    info = np.einsum("ij,ij->j", Z * W[:, None], Z) - np.einsum("ij,jk,ik->i", ZtWX, inv, ZtWX)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(info > 1e-12, U * U / info, np.where(np.abs(U) > 0, np.inf, 0.0))
    return stat


def _search_stepwise_ic(ctx: _Context, crit: str, max_order: int, y: np.ndarray | None = None,
                        screen: int = 3) -> _SearchResult:
    """Forward/backward stepwise search by AIC or BIC for many lists.

    Forward steps rank the addable terms by their score statistic from the current fit and fit
    only the best ``screen`` of them; backward steps try removing each removable term.
    """
    y = ctx.y if y is None else y
    current = ctx.fit(frozenset(), y=y)
    skipped: list[_Raw] = []
    if not current.ok:
        skipped.append(current)
        return _SearchResult(None, [], skipped, f"stepwise search by {crit}")
    path = [current]
    seen: set[frozenset[int]] = {current.model}
    for _ in range(200):
        improved = False
        cands = _addable(ctx, current.model, max_order)
        if cands:
            stats = _score_stats(ctx, current, y, cands)
            order = np.argsort(-stats, kind="stable")
            best = None
            tried = 0
            for j in order:
                if tried >= screen:
                    break
                model = _closure(current.model | {cands[j]})
                if model in seen:
                    continue
                seen.add(model)
                raw = ctx.fit(model, y=y, start=_extend_start(ctx, current, model))
                tried += 1
                if not raw.ok:
                    skipped.append(raw)
                    continue
                if best is None or raw.crit(crit) < best.crit(crit):
                    best = raw
            if best is not None and best.crit(crit) < current.crit(crit) - 1e-9:
                current = best
                path.append(current)
                improved = True
        removable = [t for t in _maximal(current.model)]
        best = None
        for t in removable:
            model = frozenset(current.model - {t})
            raw = ctx.fit(model, y=y)
            if raw.ok and (best is None or raw.crit(crit) < best.crit(crit)):
                best = raw
        if best is not None and best.crit(crit) < current.crit(crit) - 1e-9:
            current = best
            path.append(current)
            improved = True
        if not improved:
            break
    method = (f"stepwise search by {crit} (forward steps screened by score statistics, "
              f"backward steps by refitting) over hierarchical models with interactions up to "
              f"order {min(max_order, ctx.k - 1)}: with {ctx.k} lists an exhaustive search is "
              f"too large")
    return _SearchResult(current, path, skipped, method)


def _extend_start(ctx: _Context, parent: _Raw, model: frozenset[int]
                  ) -> dict[int, float] | None:
    """Warm start for a model from a fitted parent: its coefficients, 0 for new columns."""
    if parent.params is None:
        return None
    return dict(zip(parent.terms, parent.params))


def _search_pvalue(ctx: _Context, pthresh: float, y: np.ndarray | None = None,
                   start: Mapping[int, float] | None = None) -> _SearchResult:
    """The forward stepwise search of Chan, Silverman & Vincent (2021), section 3.2.

    From main effects, every two-list term not yet in the model gets the p-value of its
    observed overlap N*_ij under the current fit (Poisson with the fitted mean of the overlap,
    the smaller tail); the term with the smallest p-value is added if it is below ``pthresh``
    and the resulting model has an existing, identifiable (extended) MLE; else the search stops.
    """
    y = ctx.y if y is None else y
    space = ctx.space
    current = ctx.fit(frozenset(), y=y, start=start)
    skipped: list[_Raw] = []
    if not current.ok:
        skipped.append(current)
        return _SearchResult(None, [], skipped, "stepwise p-value search")
    path = [current]
    nstar = space.superset_sums(y)
    pairs = space.pairs
    pair_cols = np.column_stack([space.column(t) for t in pairs])
    observed = np.array([nstar[t] for t in pairs])
    selected = np.zeros(len(pairs), dtype=bool)
    for _ in range(len(pairs)):
        expected = current.mu @ pair_cols
        lower = poisson.cdf(observed, expected)
        upper = poisson.sf(observed - 1, expected)
        pval = np.minimum(lower, upper)
        pval[selected] = 1.0
        order = np.lexsort((np.arange(len(pairs)), pval))
        accepted = None
        for j in order:
            if pval[j] >= pthresh:
                break
            model = frozenset(current.model | {pairs[j]})
            raw = ctx.fit(model, y=y, start=_extend_start(ctx, current, model))
            if raw.ok:
                accepted = (j, raw)
                break
            skipped.append(raw)
            pval[j] = 1.0
        if accepted is None:
            break
        j, current = accepted
        selected[j] = True
        path.append(current)
    method = (f"forward stepwise search over two-list interactions, adding the term with the "
              f"smallest Poisson p-value while it is below {pthresh:g} (Chan, Silverman & "
              f"Vincent 2021)")
    return _SearchResult(current, path, skipped, method)


def _run_search(ctx: _Context, crit: str, max_order: int, pthresh: float,
                keep_top: int = _REPORTED_MODELS) -> _SearchResult:
    if crit == "p-value":
        return _search_pvalue(ctx, pthresh)
    if ctx.k <= EXHAUSTIVE_MAX_LISTS:
        return _search_exhaustive(ctx, crit, max_order, keep_top=keep_top)
    return _search_stepwise_ic(ctx, crit, max_order)


# --------------------------------------------------------------------------------------------
# Bootstrap
# --------------------------------------------------------------------------------------------


class _Screen:
    """One candidate model prepared for cheap scoring on bootstrap replicates.

    From the fit on the original data (coefficients b, fitted mu, information I = X'WX), the
    log-likelihood of the refitted model on a replicate y* is, to second order,
    l*(b) + U'I^-1 U / 2 with U = X'(y* - mu): one Newton step, no refit. The bootstrap ranks
    its candidates this way and refits exactly only the few best.
    """

    def __init__(self, ctx: _Context, raw: _Raw):
        space = ctx.space
        self.raw = raw
        self.model = raw.model
        self.keep = raw.keep
        self.removed = ~raw.keep
        self.any_removed = bool(self.removed.any())
        self.X = space.design(raw.terms, hash(raw.keep.tobytes()) if raw.neg_inf else 0,
                              raw.keep)
        self.mu = raw.mu[raw.keep]
        self.log_mu = np.log(self.mu)
        self.chol = np.linalg.cholesky(self.X.T @ (self.X * self.mu[:, None]))
        self.positive_terms = [t for t in raw.terms[1:]]
        self.n_params = raw.n_params
        self.start = dict(zip(raw.terms, raw.params))

    def applies(self, y: np.ndarray, nstar: np.ndarray) -> bool:
        """The approximation holds when the replicate has the same minus-infinity terms."""
        if self.any_removed and np.any(y[self.removed] > 0):
            return False
        return all(nstar[t] > 0 for t in self.positive_terms)

    def approx_loglik(self, y: np.ndarray, lgam: np.ndarray) -> float:
        yk = y[self.keep]
        u = self.X.T @ (yk - self.mu)
        z = np.linalg.solve(self.chol, u)
        return float(yk @ self.log_mu - self.mu.sum() - lgam[self.keep].sum() + 0.5 * z @ z)


_FINALISTS = 4


def _bootstrap(ctx: _Context, search: _SearchResult, crit: str, max_order: int, pthresh: float,
               n: int, rng: np.random.Generator, top: int | None, resample: str = "observed"
               ) -> tuple[np.ndarray, int]:
    """Totals of ``n`` parametric bootstrap replicates, re-running the model search on each.

    After an exhaustive search each replicate chooses among the ``top`` best models on the
    original data (Silverman et al. 2024): all of them are scored cheaply (``_Screen``), the
    ``_FINALISTS`` best and any whose approximation does not apply are refitted exactly, and
    the best exact criterion wins. The stepwise searches are re-run in full.
    Returns (totals, number of replicates for which no model had an estimate: those are +inf).
    """
    best = search.best
    assert best is not None and best.mu is not None
    mu = ctx.y if resample == "observed" else best.mu
    totals = np.empty(n)
    failures = 0
    screens: list[_Screen] | None = None
    if crit != "p-value" and search.catalogue is not None:
        chosen = search.ranked if top is None else search.ranked[:top]
        screens = [_Screen(ctx, r) for r in chosen]
    first = search.ranked[0] if search.ranked else None
    main_start = (dict(zip(first.terms, first.params))
                  if first is not None and first.params is not None and not first.model else None)
    for b in range(n):
        y = rng.poisson(mu).astype(float)
        if y.sum() == 0 or not _has_overlap(ctx, y):
            totals[b] = math.inf
            failures += 1
            continue
        if screens is not None:
            bestb = _choose_screened(ctx, screens, y, crit)
        elif crit == "p-value":
            bestb = _search_pvalue(ctx, pthresh, y=y, start=main_start).best
        else:
            bestb = _search_stepwise_ic(ctx, crit, max_order, y=y).best
        if bestb is None:
            totals[b] = math.inf
            failures += 1
        else:
            totals[b] = bestb.total
    return totals, failures


def _choose_screened(ctx: _Context, screens: list[_Screen], y: np.ndarray, crit: str
                     ) -> _Raw | None:
    n_obs = float(y.sum())
    penalty = 2.0 if crit == "AIC" else math.log(max(n_obs, 1.0))
    nstar = ctx.space.superset_sums(y)
    lgam = gammaln(y + 1.0)
    scored: list[tuple[float, int]] = []
    exact: list[_Raw] = []
    for i, sc in enumerate(screens):
        if sc.applies(y, nstar):
            scored.append((-2.0 * sc.approx_loglik(y, lgam) + penalty * sc.n_params, i))
        else:
            exact.append(ctx.fit(sc.model, y=y, start=sc.start))
    scored.sort()
    refitted = 0
    for _, i in scored:
        if refitted >= _FINALISTS and any(r.ok for r in exact):
            break
        exact.append(ctx.fit(screens[i].model, y=y, start=screens[i].start))
        refitted += 1
    ok = [r for r in exact if r.ok]
    return min(ok, key=lambda r: r.crit(crit)) if ok else None


def _has_overlap(ctx: _Context, y: np.ndarray) -> bool:
    return bool(np.any(y[ctx.space.size >= 2] > 0))


def bootstrap_totals(table: ListTable, *, criterion: str = DEFAULT_CRITERION,
                     n: int = DEFAULT_BOOTSTRAP, rng: np.random.Generator | int | None = None,
                     max_interaction: int | None = None, pthresh: float = DEFAULT_PTHRESH,
                     bootstrap_models: int | None = None,
                     resample: str = DEFAULT_RESAMPLE) -> np.ndarray:
    """Totals of a parametric bootstrap that re-runs the model search on every replicate.

    The model is chosen on ``table`` as ``estimate`` does; replicates are Poisson draws around
    the observed counts (``resample="observed"``, the default) or around the chosen model's
    fitted counts (``resample="fitted"``). Replicates on which no model gives an estimate (e.g.
    no overlap left) are +inf: keep them when pooling, they belong in the upper tail.
    """
    _check_estimable(table)
    ctx = _Context(table)
    crit = _resolve_criterion(criterion, ctx.k)
    max_order = _max_order(max_interaction, ctx.k)
    search = _run_search(ctx, crit, max_order, pthresh)
    if search.best is None:
        raise _no_model_error(ctx, search)
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    top = _bootstrap_top(ctx.k, bootstrap_models)
    totals, _ = _bootstrap(ctx, search, crit, max_order, pthresh, int(n), rng, top,
                           _resolve_resample(resample))
    return totals


def _resolve_resample(resample: str) -> str:
    if resample not in RESAMPLE:
        raise EstimateError(f"unknown bootstrap resampling {resample!r}; choose one of "
                            f"{', '.join(RESAMPLE)}")
    return resample


def _bootstrap_top(k: int, bootstrap_models: int | None) -> int | None:
    if bootstrap_models is not None:
        return int(bootstrap_models) if bootstrap_models > 0 else None
    return _BOOTSTRAP_TOP.get(k, _BOOTSTRAP_TOP_DEFAULT)


def _max_order(max_interaction: int | None, k: int) -> int:
    if max_interaction is None:
        return _default_max_order(k)
    if int(max_interaction) != max_interaction or max_interaction < 1:
        raise EstimateError("max_interaction must be a whole number, 1 or more "
                            "(1 = main effects only, 2 = up to two-list interactions, ...)")
    return min(int(max_interaction), k - 1)


def _percentile(values: np.ndarray, q: float) -> float | None:
    finite_cap = 1e300
    arr = np.where(np.isinf(values), finite_cap, values)
    out = float(np.quantile(arr, q))
    return None if out >= finite_cap / 10 else out


# --------------------------------------------------------------------------------------------
# Profile likelihood (Cormack 1992)
# --------------------------------------------------------------------------------------------


def _profile_interval(ctx: _Context, raw: _Raw, levels: Sequence[float]
                      ) -> tuple[dict[float, tuple[float, float | None]], float, list[str]]:
    """Multinomial profile-likelihood intervals for N under the chosen model (Rcapture style).

    For a given N the unseen cell gets count N - n and the model is refitted on all cells;
    log L(N) = log N! - log (N-n)! + (N-n) log (N-n) - N log N - deviance/2 (up to a constant),
    Cormack (1992). The interval is {N : log L(N) >= max - chi2_1(level)/2}.
    """
    space = ctx.space
    keep = raw.keep
    X_obs = space.design(raw.terms, hash(keep.tobytes()) if raw.neg_inf else 0, keep)
    X = np.vstack([X_obs, np.eye(1, X_obs.shape[1])])
    y_obs = ctx.y[keep]
    n = float(ctx.n)
    start = raw.params
    notes: list[str] = []

    def loglik(N: float) -> float:
        n0 = max(N - n, 0.0)
        yy = np.append(y_obs, n0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sm.GLM(yy, X, family=_POISSON).fit(start_params=start, maxiter=100)
        mu = np.exp(np.clip(X @ np.asarray(res.params), -700, 700))
        dev = 2.0 * np.sum(xlogy(yy, yy / np.where(mu > 0, mu, 1.0)) - (yy - mu))
        ct = gammaln(N + 1.0) - gammaln(n0 + 1.0) + xlogy(n0, n0) - N * math.log(N)
        return float(ct - dev / 2.0)

    n_hat = raw.total
    opt = minimize_scalar(lambda N: -loglik(N), bounds=(n, max(n + 1.0, 1.5 * n_hat)),
                          method="bounded", options={"xatol": 1e-4})
    n_max = float(opt.x)
    l_max = -float(opt.fun)
    if loglik(n) > l_max:  # maximum at the boundary: nobody unseen
        n_max, l_max = n, loglik(n)
    out: dict[float, tuple[float, float | None]] = {}
    for level in levels:
        target = l_max - chi2.ppf(level, 1) / 2.0
        f = lambda N: loglik(N) - target  # noqa: E731
        if n_max <= n or f(n) >= 0:
            lower = n
        else:
            lower = brentq(f, n, n_max, xtol=1e-4)
        upper: float | None = None
        hi = max(n_max * 1.5, n_max + 10.0)
        for _ in range(40):
            if f(hi) < 0:
                upper = brentq(f, n_max, hi, xtol=1e-4)
                break
            hi *= 2.0
            if hi > 1e12:
                break
        if upper is None:
            notes.append(f"the upper limit of the {round(level * 100)}% profile-likelihood "
                         f"interval could not be found: the likelihood stays flat, the data "
                         f"bound the total only from below")
        out[level] = (lower, upper)
    return out, n_max, notes


# --------------------------------------------------------------------------------------------
# The estimate
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    lists: tuple[str, ...]
    table: list[dict[str, int]]
    observed: int
    unseen: float
    total: float
    ci: dict[float, tuple[float | None, float | None]]
    profile_ci: dict[float, tuple[float | None, float | None]]
    chao_lower_bound: float
    fit: Fit
    criterion: str
    criterion_requested: str
    search: str
    interval_method: str
    models: list[dict[str, Any]]
    warnings: list[str]
    bootstrap: int
    bootstrap_failures: int
    seed: int
    max_interaction: int
    bootstrap_totals: np.ndarray = field(repr=False, compare=False)
    pthresh: float | None = None

    @property
    def model(self) -> str:
        return self.fit.model

    def to_dict(self) -> dict[str, Any]:
        def r1(x: float | None) -> float | None:
            return None if x is None or not math.isfinite(x) else round(float(x), 1)

        def pair(p: tuple[float | None, float | None]) -> list[float | None]:
            return [r1(p[0]), r1(p[1])]

        out: dict[str, Any] = {
            "observed": int(self.observed),
            "unseen": r1(self.unseen),
            "total": r1(self.total),
        }
        for level, interval in self.ci.items():
            out[f"ci{_level_key(level)}"] = pair(interval)
        out["chao_lower_bound"] = r1(self.chao_lower_bound)
        out["model"] = self.fit.model
        out["model_terms"] = list(self.fit.terms)
        out["model_hierarchy"] = self.fit.hierarchy
        out["criterion"] = self.criterion
        out["criterion_requested"] = self.criterion_requested
        if self.pthresh is not None:
            out["p_threshold"] = float(self.pthresh)
        out["search"] = self.search
        out["interval_method"] = self.interval_method
        for level, interval in self.profile_ci.items():
            out[f"profile_ci{_level_key(level)}"] = pair(interval)
        out["bootstrap_replicates"] = int(self.bootstrap)
        out["bootstrap_without_estimate"] = int(self.bootstrap_failures)
        out["seed"] = int(self.seed)
        out["max_interaction"] = int(self.max_interaction)
        out["neg_inf_terms"] = list(self.fit.neg_inf_terms)
        out["models"] = [dict(m) for m in self.models]
        out["warnings"] = list(self.warnings)
        out["lists"] = list(self.lists)
        out["table"] = [dict(row) for row in self.table]
        return out


def _level_key(level: float) -> str:
    pct = level * 100
    return str(int(round(pct))) if abs(pct - round(pct)) < 1e-9 else f"{pct:g}".replace(".", "_")


def _no_model_error(ctx: _Context, search: _SearchResult) -> EstimateError:
    everyone = [name for i, name in enumerate(ctx.table.lists)
                if sum(c for p, c in ctx.table.counts.items() if p[i]) == ctx.n]
    why = ""
    if everyone:
        why = (f" Everybody observed is on {' and '.join(everyone)}, so the table says nothing "
               f"about people missing from it.")
    return EstimateError(
        "no model gives an estimate: for every model in the search the maximum likelihood "
        "estimate does not exist (the overlaps between the lists are too sparse, so some "
        "fitted counts would have to be zero and the number missed would be unbounded) or "
        f"the model is not identifiable.{why}")


def estimate(table: ListTable, *, criterion: str = DEFAULT_CRITERION,
             max_interaction: int | None = None, bootstrap: int = DEFAULT_BOOTSTRAP,
             seed: int = 0, levels: Sequence[float] = (0.80, 0.95),
             pthresh: float = DEFAULT_PTHRESH, bootstrap_models: int | None = None,
             resample: str = DEFAULT_RESAMPLE) -> Estimate:
    """Estimate the total (observed + unseen) from a table of overlapping lists.

    criterion: "auto" (default: BIC over all hierarchical models for up to 5 lists, the
        stepwise p-value search of Chan et al. 2021 for 6 or more), "AIC", "BIC", "p-value".
    max_interaction: highest order of interaction in the search (default: 2 for 3 lists and
        for 6 or more, 3 for 4-5 lists; the p-value search only uses two-list terms).
    bootstrap: number of parametric bootstrap replicates that re-run the search (0: none,
        then ci95/ci80 are null).
    levels: the confidence levels of the intervals.
    pthresh: the p-value threshold of the stepwise p-value search.
    bootstrap_models: how many of the best models the bootstrap re-searches among after an
        exhaustive search (default as Silverman et al. 2024: all for 3 lists, 20 for 4, 100 for
        5); ignored for the stepwise searches, which are re-run in full.
    resample: "observed" (default): replicates are Poisson draws around the observed counts;
        "fitted": around the chosen model's fitted counts.
    """
    _check_estimable(table)
    levels = tuple(float(x) for x in levels)
    if any(not 0 < x < 1 for x in levels):
        raise EstimateError("confidence levels must lie strictly between 0 and 1")
    if int(bootstrap) != bootstrap or bootstrap < 0:
        raise EstimateError("the number of bootstrap replicates must be a whole number >= 0")
    if not 0 < pthresh < 1:
        raise EstimateError("the p-value threshold must lie strictly between 0 and 1")
    ctx = _Context(table)
    crit = _resolve_criterion(criterion, ctx.k)
    max_order = _max_order(max_interaction, ctx.k)
    resample = _resolve_resample(resample)
    if crit == "p-value":
        max_order = min(max_order, 2)
    notes: list[str] = []
    empty_lists = [name for i, name in enumerate(table.lists)
                   if not any(p[i] for p in table.counts)]
    if empty_lists:
        notes.append(f"nobody is on {', '.join(empty_lists)}: "
                     f"{'that list adds' if len(empty_lists) == 1 else 'those lists add'} "
                     f"nothing to the estimate")
    nstar = ctx.space.superset_sums(ctx.y)
    empty_pairs = [ctx.term_name(t) for t in ctx.space.pairs if nstar[t] == 0
                   and not any(ctx.table.lists[b] in empty_lists
                               for b in range(ctx.k) if t >> b & 1)]
    if empty_pairs:
        notes.append(
            f"{len(empty_pairs)} pair(s) of lists have nobody in common "
            f"({', '.join(empty_pairs[:12])}{', ...' if len(empty_pairs) > 12 else ''}); in a "
            f"model with such an interaction its estimate is minus infinity and those cells "
            f"are fitted as zero (the extended MLE of Chan, Silverman & Vincent 2021)")

    search = _run_search(ctx, crit, max_order, pthresh)
    if search.skipped:
        for label, group in (
                ("their maximum likelihood estimate does not exist (Fienberg-Rinaldo linear "
                 "program: some fitted counts would have to be zero)",
                 [r for r in search.skipped if r.identifiable and "exist" in r.reason]),
                ("they are not identifiable",
                 [r for r in search.skipped if not r.identifiable]),
                ("they could not be fitted numerically",
                 [r for r in search.skipped if r.identifiable and "exist" not in r.reason])):
            names = sorted({ctx.model_label(r.model) for r in group})
            if names:
                notes.append(
                    f"{len(names)} model(s) skipped in the search because {label}: "
                    + "; ".join(names[:6]) + ("; ..." if len(names) > 6 else ""))
    if search.best is None:
        raise _no_model_error(ctx, search)
    best = search.best
    if ctx.k > EXHAUSTIVE_MAX_LISTS and crit != "p-value":
        notes.append(f"with {ctx.k} lists the {crit} search is stepwise, not exhaustive: it may "
                     f"miss the model with the best {crit}")

    rng = np.random.default_rng(seed)
    top = _bootstrap_top(ctx.k, bootstrap_models)
    if bootstrap > 0:
        totals, failures = _bootstrap(ctx, search, crit, max_order, pthresh, int(bootstrap),
                                      rng, top, resample)
        ci = {lv: (_percentile(totals, (1 - lv) / 2), _percentile(totals, (1 + lv) / 2))
              for lv in levels}
        if failures:
            notes.append(
                f"{failures} of {bootstrap} bootstrap replicates gave no estimate (no model "
                f"with an existing MLE); they count as unbounded totals in the intervals")
        if any(v[1] is None for v in ci.values()):
            notes.append("the upper bootstrap limit is unbounded: too many replicates had no "
                         "finite estimate")
    else:
        totals, failures = np.empty(0), 0
        ci = {lv: (None, None) for lv in levels}

    profile, n_max, pnotes = _profile_interval(ctx, best, levels)
    notes.extend(pnotes)
    if best.neg_inf:
        notes.append("the chosen model fixes at minus infinity: "
                     + ", ".join(ctx.term_name(t) for t in best.neg_inf))

    if crit == "p-value":
        restrict = "the stepwise search re-run in full on each replicate"
    elif search.catalogue is not None:
        nmod = len(search.ranked) if top is None else min(top, len(search.ranked))
        restrict = (f"each replicate choosing by {crit} among the {nmod} best models on the "
                    f"original data (Silverman, Chan & Vincent 2024)")
    else:
        restrict = f"the stepwise {crit} search re-run in full on each replicate"
    interval_method = (
        f"ci95/ci80: parametric bootstrap that re-runs the model search (percentile), "
        f"{int(bootstrap)} replicates drawn as Poisson counts around "
        f"{'the observed counts' if resample == 'observed' else 'the fitted counts of the chosen model'}, "
        f"{restrict}; so they include the uncertainty of model choice. "
        f"profile_ci95/profile_ci80: multinomial profile-likelihood interval of the chosen "
        f"model alone (Cormack 1992, as Rcapture's closedpCI), which ignores model choice.")
    if bootstrap == 0:
        interval_method = ("ci95/ci80: not computed (bootstrap=0). profile_ci95/profile_ci80: "
                           "multinomial profile-likelihood interval of the chosen model alone "
                           "(Cormack 1992, as Rcapture's closedpCI), which ignores model choice.")

    models = []
    listed = search.ranked if search.catalogue is not None else search.ranked[::-1]
    for raw in listed[:_REPORTED_MODELS]:
        entry = {
            "terms": list(ctx.model_terms(raw.model)),
            "model": ctx.model_label(raw.model),
            "criterion_value": None,
            "total": round(raw.total, 1),
            "aic": round(raw.crit("AIC"), 3),
            "bic": round(raw.crit("BIC"), 3),
            "df": int(raw.df),
        }
        entry["criterion_value"] = (entry["bic"] if crit in ("BIC", "p-value")
                                    else entry["aic"])
        models.append(entry)

    return Estimate(
        lists=table.lists, table=table.rows(), observed=ctx.n, unseen=best.unseen,
        total=best.total, ci=ci, profile_ci=profile, chao_lower_bound=chao_lower_bound(table),
        fit=ctx.public(best), criterion=crit, criterion_requested=str(criterion),
        search=search.method, interval_method=interval_method, models=models, warnings=notes,
        bootstrap=int(bootstrap), bootstrap_failures=int(failures), seed=int(seed),
        max_interaction=int(max_order), bootstrap_totals=totals,
        pthresh=float(pthresh) if crit == "p-value" else None)
