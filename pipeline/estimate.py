"""Stage `estimate`: how many multi-problem families are there really?

The count (select) is a lower bound: families no agency list shows are not in it. This stage
estimates them by multiple-systems estimation (`pipeline/mse.py`) on the overlaps between
capture lists ([estimate] in the rules: by default the categories BIB, MULTI_AGENCY and
ZORGNETWERK, each a family household's condition before precedence, from
`household_categories.qualifies`; or "agency:NAME", known at that agency), and carries the
uncertainty of record linkage into the count and into the estimate.

Linkage draws. A record the probabilistic pass scored (`ident.link_scores`: its candidates,
each with match_probability = P(this candidate | the record's candidates and "nobody in the
register")) is linked in the run to its best candidate or to nobody, by the threshold. A
draw instead gives every such record (match_key probabilistic, below_threshold or
ambiguous) one of its candidates, or nobody with the remaining probability, independently
of the others: a plausible link configuration. Records decided by review, BSN or name +
birth date + address stay as they are, and so do client-pass links: they rest on the
agency's own client number, evidence the Splink scores do not weigh, and follow links that
are deterministic in nearly every case. A pair an analyst rejected in clerical review
(`--reviews`) is never drawn; its probability goes to the record's other candidates and
"nobody" in proportion. Draws are a hash of (seed, record, draw): the same run gives the
same draws. For every draw, one query (vectorised over a `draw` column) re-derives record ->
person -> household on the reference date, the agencies that count, the categories (the
same SQL as select: `select.categories_sql`) and the list table; only households that hold
a candidate of a drawn record can change, the others keep their categories.

Reads household_categories, households, records, memberships and ident.links,
ident.link_scores, ident.person_keys. Writes, pseudonymised, counts only:
- `capture_design`: one row of JSON: the lists, the categories, the draws made and how many
  records were drawn (what `mpg estimate OUT` needs besides the counts);
- `capture_patterns`: each family household on at least one list, with the run's links:
  household_key, household_type, neighbourhood_code, stratum, lists (the lists it is on);
- `capture_counts`: draw (0 = the run's links, 1..D the linkage draws), household_type,
  neighbourhood_code, lists, count: every draw's list table, fine enough to stratify anew;
- `linkage_draw_counts`: draw, category, count: the count by precedence in every draw;
- `prevalence_estimate`: one row, the JSON that becomes summary.json["estimate"].
Beside the keys of `mse.Estimate.to_dict` (and `error` where no estimate exists), the
section holds `sensitivity`: one entry per list, the estimate with that list left out -- the
same estimator (the rules' criterion) on the whole-city list table with that list's column
collapsed (families on none of the remaining lists drop out), without bootstrap, so cheap:
{left_out, lists (the remaining ones), observed, total, profile_ci95 [low, high], model}, or
{left_out, lists, observed, error} when the smaller table gives no estimate (with two lists,
one is left: always an error). A stratified run's entries are not stratified. A total that
moves a lot when one list is left out rests on that list.
With [estimate] enabled = false the tables are written empty and summary.json has no
estimate. `mpg estimate OUT` (`reestimate`) repeats the estimate from these tables alone.
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from mpg.pipeline import mse, select, sql
from mpg.pipeline.config import (AGENCY_LIST_PREFIX, HOUSEHOLD_TYPE_STRATA, EstimateRules,
                                 Rules)
from mpg.pipeline.context import RunContext
from mpg.pipeline.errors import UsageError
from mpg.pipeline.stage import Stage

# ident.links match_keys of the records a draw re-links; every other record stays as it is.
# "household": a record whose candidates all live in one household is drawn among them too
DRAWN_MATCH_KEYS = ("probabilistic", "household", "below_threshold", "ambiguous")
LEVELS = (0.80, 0.95)
LINKAGE_LEVEL = 0.95  # the linkage intervals: the central 95% of the draws
HOUSEHOLD_TYPES = ("single_parent", "two_adults", "more_adults")
WHOLE_CITY = "all"
OTHER_NEIGHBOURHOODS = "(other neighbourhoods)"
TABLES = ("capture_design", "capture_patterns", "capture_counts", "linkage_draw_counts",
          "prevalence_estimate")


# --------------------------------------------------------------------------------------------
# SQL: capture lists and linkage draws
# --------------------------------------------------------------------------------------------


def lists_sql(lists: tuple[str, ...]) -> tuple[str, dict]:
    """SQL of the lists a household is on (VARCHAR[], in the order of `lists`) over columns
    `qualifies` and `agencies` (the agencies that count) of household_categories."""
    parts, params = [], {}
    for i, name in enumerate(lists):
        params[f"list_{i}"] = name
        if name.startswith(AGENCY_LIST_PREFIX):
            params[f"member_{i}"] = name.removeprefix(AGENCY_LIST_PREFIX)
            condition = f"list_contains(agencies, $member_{i})"
        else:
            params[f"member_{i}"] = name
            condition = f"list_contains(qualifies, $member_{i})"
        parts.append(f"CASE WHEN {condition} THEN $list_{i} END")
    return f"list_filter([{', '.join(parts)}]::VARCHAR[], lambda x: x IS NOT NULL)", params


def _create_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE OR REPLACE TABLE capture_design (design VARCHAR)")
    con.execute("""CREATE OR REPLACE TABLE capture_patterns (household_key VARCHAR,
                   household_type VARCHAR, neighbourhood_code VARCHAR, stratum VARCHAR,
                   lists VARCHAR[])""")
    con.execute("""CREATE OR REPLACE TABLE capture_counts (draw INTEGER, household_type VARCHAR,
                   neighbourhood_code VARCHAR, lists VARCHAR[], count BIGINT)""")
    con.execute("""CREATE OR REPLACE TABLE linkage_draw_counts (draw INTEGER, category VARCHAR,
                   count BIGINT)""")
    con.execute("CREATE OR REPLACE TABLE prevalence_estimate (estimate VARCHAR)")


def _run_lists(con: duckdb.DuckDBPyConnection, rules: Rules) -> None:
    """Draw 0, the run's own links: capture_patterns, its counts and the category counts."""
    expr, params = lists_sql(rules.estimate_lists)
    strata = strata_mapping(rules.estimate, con.execute(
        "SELECT DISTINCT household_type, coalesce(neighbourhood_code, '') FROM households "
        "WHERE is_family ORDER BY ALL").fetchall())
    sql.values_table(con, "_estimate_strata", (("household_type", "VARCHAR"),
                                               ("neighbourhood_code", "VARCHAR"),
                                               ("stratum", "VARCHAR")),
                     [(t, c, s) for (t, c), s in strata.items()])
    con.execute(f"""
        INSERT INTO capture_patterns
        SELECT household_key, h.household_type, h.neighbourhood_code, s.stratum, lists
        FROM (SELECT household_key, {expr} AS lists FROM household_categories
              WHERE is_family) hc
        JOIN households h USING (household_key)
        LEFT JOIN _estimate_strata s ON s.household_type IS NOT DISTINCT FROM h.household_type
             AND s.neighbourhood_code = coalesce(h.neighbourhood_code, '')
        WHERE len(lists) > 0 ORDER BY household_key""", params)
    con.execute("DROP TABLE _estimate_strata")
    con.execute("""
        INSERT INTO capture_counts
        SELECT 0, household_type, neighbourhood_code, lists, count(*) FROM capture_patterns
        GROUP BY ALL ORDER BY ALL""")
    con.execute("""
        INSERT INTO linkage_draw_counts
        SELECT 0, category, count(*) FROM household_categories WHERE category IS NOT NULL
        GROUP BY ALL ORDER BY ALL""")


def _vetoes(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    """ident._estimate_vetoes (record_key, person_id): pairs rejected in clerical review."""
    con.execute("CREATE OR REPLACE TABLE ident._estimate_vetoes "
                "(record_key BIGINT, person_id VARCHAR)")
    if ctx.review_db is None:
        return
    from mpg.linkage.review import latest_decisions_sql
    sql.attach(con, Path(ctx.review_db), "mpg_estimate_reviews", read_only=True)
    try:
        con.execute(f"""
            INSERT INTO ident._estimate_vetoes
            SELECT r.record_key, d.person_id
            FROM ({latest_decisions_sql('mpg_estimate_reviews')}) d
            JOIN ident.records_clean r ON r.agency = d.agency AND r.file = d.file
                 AND r.record_id = d.record_id
            WHERE d.decision = 'non_match'""")
    finally:
        sql.detach(con, "mpg_estimate_reviews")


def _linkage_draws(con: duckdb.DuckDBPyConnection, ctx: RunContext, draws: int) -> int:
    """Draws 1..`draws` into capture_counts and linkage_draw_counts; returns how many
    records were drawn (0: nothing to draw, no rows are added)."""
    rules = ctx.rules
    _vetoes(con, ctx)
    # Each drawn record's candidates with their share of [0, 1): [hi - p, hi). What is left
    # above the last hi is "nobody in the register".
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _estimate_candidates AS
        WITH scored AS (
            SELECT s.record_key, s.person_id, s.match_probability AS p, s.rank,
                   v.record_key IS NOT NULL AS vetoed
            FROM ident.link_scores s JOIN ident.links l USING (record_key)
            LEFT JOIN ident._estimate_vetoes v
                 ON v.record_key = s.record_key AND v.person_id = s.person_id
            WHERE list_contains($drawn, l.match_key) AND s.match_probability > 0),
        kept AS (
            SELECT *, 1 - sum(CASE WHEN vetoed THEN p ELSE 0 END)
                          OVER (PARTITION BY record_key) AS mass
            FROM scored)
        SELECT k.record_key, pk.person_key, k.p / k.mass AS p,
               sum(k.p / k.mass) OVER (PARTITION BY k.record_key ORDER BY k.rank
                                       ROWS UNBOUNDED PRECEDING) AS hi
        FROM kept k JOIN ident.person_keys pk USING (person_id)
        WHERE NOT k.vetoed AND k.mass > 0""", {"drawn": list(DRAWN_MATCH_KEYS)})
    con.execute("DROP TABLE ident._estimate_vetoes")
    drawn_records = sql.scalar(con, "SELECT count(DISTINCT record_key) FROM _estimate_candidates")
    if not drawn_records:
        con.execute("DROP TABLE _estimate_candidates")
        return 0
    params = {"draws": draws, "seed": ctx.rules.estimate.seed}
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _estimate_drawn AS
        WITH u AS (
            SELECT r.record_key, d.draw,
                   hash($seed::BIGINT, r.record_key::BIGINT, d.draw::BIGINT)::DOUBLE
                       / 18446744073709551616.0 AS u
            FROM (SELECT DISTINCT record_key FROM _estimate_candidates) r
            CROSS JOIN range(1, $draws + 1) d(draw))
        SELECT u.draw, c.record_key, c.person_key
        FROM u JOIN _estimate_candidates c
             ON c.record_key = u.record_key AND u.u >= c.hi - c.p AND u.u < c.hi""", params)
    # Only households holding a candidate of a drawn record can differ from the run.
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _estimate_affected AS
        SELECT DISTINCT m.household_key
        FROM _estimate_candidates c JOIN memberships m USING (person_key)""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _estimate_records AS
        SELECT d.draw, m.household_key, r.agency AS source, r.record_key,
               NULL::DOUBLE AS match_probability
        FROM records r JOIN memberships m USING (person_key)
        CROSS JOIN range(1, $draws + 1) d(draw)
        WHERE r.in_window AND NOT r.is_anonymous
          AND m.household_key IN (SELECT household_key FROM _estimate_affected)
          AND r.record_key NOT IN (SELECT record_key FROM _estimate_candidates)
        UNION ALL
        SELECT dr.draw, m.household_key, r.agency, r.record_key, NULL::DOUBLE
        FROM _estimate_drawn dr JOIN records r USING (record_key)
        JOIN memberships m ON m.person_key = dr.person_key
        WHERE r.in_window AND NOT r.is_anonymous""", {"draws": draws})
    select.agency_map(con, rules)
    con.execute("CREATE OR REPLACE TEMP TABLE _estimate_agencies AS "
                + select.household_agencies_sql("_estimate_records", by=("draw",)))
    query, cat_params = select.categories_sql(rules, "_estimate_records", "_estimate_agencies",
                                              by=("draw",))
    con.execute("CREATE OR REPLACE TEMP TABLE _estimate_categories AS " + query, cat_params)
    expr, list_params = lists_sql(rules.estimate_lists)
    con.execute(f"""
        INSERT INTO capture_counts
        WITH unchanged AS (
            SELECT h.household_type, h.neighbourhood_code, {expr} AS lists, count(*) AS n
            FROM household_categories hc JOIN households h USING (household_key)
            WHERE hc.is_family
              AND hc.household_key NOT IN (SELECT household_key FROM _estimate_affected)
            GROUP BY ALL),
        drawn AS (
            SELECT ec.draw, h.household_type, h.neighbourhood_code, {expr} AS lists,
                   count(*) AS n
            FROM _estimate_categories ec JOIN households h USING (household_key)
            WHERE ec.is_family GROUP BY ALL),
        every AS (
            SELECT d.draw, u.household_type, u.neighbourhood_code, u.lists, u.n
            FROM unchanged u CROSS JOIN range(1, $draws + 1) d(draw)
            UNION ALL SELECT * FROM drawn)
        SELECT draw, household_type, neighbourhood_code, lists, sum(n)::BIGINT FROM every
        WHERE len(lists) > 0 GROUP BY ALL ORDER BY ALL""", {**list_params, "draws": draws})
    con.execute("""
        INSERT INTO linkage_draw_counts
        WITH unchanged AS (
            SELECT category, count(*) AS n FROM household_categories
            WHERE category IS NOT NULL
              AND household_key NOT IN (SELECT household_key FROM _estimate_affected)
            GROUP BY ALL),
        every AS (
            SELECT d.draw, u.category, u.n FROM unchanged u
            CROSS JOIN range(1, $draws + 1) d(draw)
            UNION ALL
            SELECT draw, category, count(*) FROM _estimate_categories
            WHERE category IS NOT NULL GROUP BY ALL)
        SELECT draw, category, sum(n)::BIGINT FROM every GROUP BY ALL ORDER BY ALL""",
                {"draws": draws})
    for table in ("_estimate_categories", "_estimate_agencies", "agency_map",
                  "_estimate_records", "_estimate_affected", "_estimate_drawn",
                  "_estimate_candidates"):
        con.execute(f"DROP TABLE {sql.identifier(table)}")
    return int(drawn_records)


# --------------------------------------------------------------------------------------------
# Strata
# --------------------------------------------------------------------------------------------


def strata_order(settings: EstimateRules) -> list[str]:
    if settings.strata is None:
        return [WHOLE_CITY]
    if settings.strata == HOUSEHOLD_TYPE_STRATA:
        return list(HOUSEHOLD_TYPES)
    return list(settings.strata) + [OTHER_NEIGHBOURHOODS]


def strata_mapping(settings: EstimateRules, combinations) -> dict[tuple[Any, Any], str]:
    """(household_type, neighbourhood_code) -> stratum, for the combinations given."""
    out = {}
    group_of = ({code: group for group, codes in settings.strata.items() for code in codes}
                if isinstance(settings.strata, dict) else {})
    for household_type, code in combinations:
        if settings.strata is None:
            out[(household_type, code)] = WHOLE_CITY
        elif settings.strata == HOUSEHOLD_TYPE_STRATA:
            out[(household_type, code)] = household_type
        else:
            out[(household_type, code)] = group_of.get(code, OTHER_NEIGHBOURHOODS)
    return out


def _cells_allow(table: mse.ListTable, min_cell: int) -> bool:
    """Each list holds at least min_cell families and each two lists share min_cell."""
    k = table.k
    margin = [sum(c for p, c in table.counts.items() if p[i]) for i in range(k)]
    pairs = [sum(c for p, c in table.counts.items() if p[i] and p[j])
             for i in range(k) for j in range(i + 1, k)]
    return min(margin + pairs) >= min_cell


def _merge(tables: list[mse.ListTable]) -> mse.ListTable:
    counts: dict[tuple[int, ...], int] = {}
    for table in tables:
        for pattern, n in table.counts.items():
            counts[pattern] = counts.get(pattern, 0) + n
    return mse.ListTable(tables[0].lists, counts)


def _plan_strata(tables: dict[str, mse.ListTable], order: list[str], settings: EstimateRules
                 ) -> tuple[list[list[str]], list[str]]:
    """The strata the estimate uses: groups of the asked strata (in their order). A stratum
    whose cells do not allow an estimate of its own (`_cells_allow`, or no model gives one)
    is merged with its smaller neighbour, the smallest such stratum first."""
    groups = [[name] for name in order]
    if len(groups) == 1:
        return groups, []

    def table_of(group: list[str]) -> mse.ListTable:
        return _merge([tables[name] for name in group])

    def allows(group: list[str]) -> bool:
        table = table_of(group)
        if not _cells_allow(table, settings.min_cell):
            return False
        try:
            mse.estimate(table, criterion=settings.criterion, bootstrap=0)
        except mse.EstimateError:
            return False
        return True

    merged = False
    while len(groups) > 1:
        failing = [i for i, g in enumerate(groups) if not allows(g)]
        if not failing:
            break
        i = min(failing, key=lambda j: (table_of(groups[j]).observed, j))
        neighbours = [j for j in (i - 1, i + 1) if 0 <= j < len(groups)]
        j = min(neighbours, key=lambda n: (table_of(groups[n]).observed, n))
        low, high = min(i, j), max(i, j)
        groups[low:high + 1] = [groups[low] + groups[high]]
        merged = True
    notes = []
    if len(groups) == 1:
        notes.append(f"the stratified estimate was refused: with strata {', '.join(order)} "
                     f"not every stratum has at least {settings.min_cell} families on each "
                     "list and in each overlap of two lists (min_cell), or no model gives an "
                     "estimate for it; the estimate is for all strata together")
    elif merged:
        notes.append("strata merged because their cells are too small for an estimate of "
                     f"their own (min_cell = {settings.min_cell}): "
                     + "; ".join("+".join(g) for g in groups if len(g) > 1))
    return groups, notes


# --------------------------------------------------------------------------------------------
# The estimate from the list tables
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    """What the estimate needs from a run: list tables and category counts per draw."""

    lists: tuple[str, ...]
    categories: tuple[str, ...]
    counts: pd.DataFrame  # draw, household_type, neighbourhood_code, lists, count
    draw_counts: pd.DataFrame  # draw, category, count
    draws: int  # linkage draws made (draw 1..draws in counts)
    drawn_records: int  # records that had candidates to draw from
    linkage_draws_asked: int
    neighbourhoods: tuple[str, ...] = ()  # the register's codes (to check strata against)


def read_inputs(con: duckdb.DuckDBPyConnection) -> Inputs | None:
    """The stage's tables as Inputs; None when the run made none (estimate off)."""
    rows = con.execute("SELECT design FROM capture_design").fetchall()
    if not rows:
        return None
    design = json.loads(rows[0][0])
    # a household without a neighbourhood code keeps it as "" (pandas turns NULL into NaN,
    # which is no key: NaN differs from itself)
    counts = con.execute("SELECT draw, household_type, coalesce(neighbourhood_code, '') AS "
                         "neighbourhood_code, lists, count FROM capture_counts ORDER BY ALL"
                         ).df()
    draw_counts = con.execute("SELECT draw, category, count FROM linkage_draw_counts "
                              "ORDER BY ALL").df()
    codes = (tuple(c for (c,) in con.execute(
        "SELECT neighbourhood_code FROM neighbourhoods ORDER BY ALL").fetchall())
        if sql.table_exists(con, "neighbourhoods") else ())
    return Inputs(tuple(design["lists"]), tuple(design["categories"]), counts, draw_counts,
                  int(design["draws"]), int(design["drawn_records"]),
                  int(design["linkage_draws_asked"]), codes)


def _tables(inputs: Inputs, settings: EstimateRules, draws: int
            ) -> dict[int, dict[str, mse.ListTable]]:
    """draw -> stratum -> ListTable."""
    lists = inputs.lists
    index = {name: i for i, name in enumerate(lists)}
    order = strata_order(settings)
    mapping = strata_mapping(settings, set(zip(inputs.counts["household_type"],
                                               inputs.counts["neighbourhood_code"])))
    cells: dict[int, dict[str, dict[tuple[int, ...], int]]] = {
        d: {s: {} for s in order} for d in range(draws + 1)}
    for draw, household_type, code, on, n in inputs.counts.itertuples(index=False):
        if draw > draws:
            continue
        pattern = [0] * len(lists)
        for name in on:
            pattern[index[name]] = 1
        key = tuple(pattern)
        stratum = cells[int(draw)][mapping[(household_type, code)]]
        stratum[key] = stratum.get(key, 0) + int(n)
    return {d: {s: mse.ListTable(lists, c) for s, c in per.items()} for d, per in cells.items()}


def _percentile(values: np.ndarray, q: float) -> float | None:
    """As the estimator's intervals: a replicate without an estimate counts as unbounded."""
    if len(values) == 0:
        return None
    cap = 1e300
    out = float(np.quantile(np.where(np.isinf(values), cap, values), q))
    return None if out >= cap / 10 else out


def _central(values, level: float = LINKAGE_LEVEL) -> list[float | None]:
    """The central `level` of the draws, as values the draws took (nearest rank)."""
    arr = np.asarray(values, dtype=float)
    if len(arr) == 0:
        return [None, None]
    lo, hi = np.quantile(np.where(np.isinf(arr), 1e300, arr), [(1 - level) / 2, (1 + level) / 2],
                         method="inverted_cdf")
    return [None if v >= 1e299 else float(v) for v in (lo, hi)]


def _r1(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 1)


def _int_or_none(x: float | None) -> int | None:
    return None if x is None else int(round(x))


def _log_var(values: np.ndarray) -> float:
    """Variance of log(total) over the finite replicates (nan with fewer than two)."""
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr) & (arr > 0)]
    return float(np.var(np.log(arr), ddof=1)) if len(arr) >= 2 else math.nan


def fixed_model_totals(table: mse.ListTable, terms: tuple[str, ...], n: int, seed: int
                       ) -> np.ndarray:
    """Totals of a bootstrap with the model fixed (`terms`), no search on the replicates.

    Replicates are Poisson draws around the observed counts, drawn exactly as mse's
    bootstrap draws them (cells in order of their bit mask, from default_rng(seed)), so with
    the same seed replicate b here is replicate b of `mse.estimate(..., seed=seed)`: the
    difference between the two bootstraps is the model search alone."""
    k = table.k
    patterns = [tuple((mask >> i) & 1 for i in range(k)) for mask in range(1, 1 << k)]
    y = np.array([table.counts.get(p, 0) for p in patterns], dtype=float)
    overlap = np.array([sum(p) >= 2 for p in patterns])
    rng = np.random.default_rng(seed)
    out = np.empty(n)
    for b in range(n):
        yb = rng.poisson(y)
        if yb.sum() == 0 or not yb[overlap].any():
            out[b] = math.inf
            continue
        replicate = mse.ListTable(table.lists, {p: int(c) for p, c in zip(patterns, yb) if c})
        try:
            result = mse.fit(replicate, terms)
        except mse.EstimateError:
            out[b] = math.inf
            continue
        out[b] = result.total if result.exists else math.inf
    return out


def _seed(*parts: int) -> int:
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1)[0])


def _variance_shares(draw_totals: np.ndarray, draw_replicates: list[np.ndarray],
                     run_replicates: np.ndarray, fixed_replicates: np.ndarray
                     ) -> dict[str, float] | None:
    """Shares of the variance of the estimated total from sampling, model choice and linkage.

    The law of total variance over the linkage draws d, on the log of the total (the
    bootstrap distribution is skewed to the right: on the raw scale a few huge replicates
    would decide every share):
        Var(log T) = Var_d(E[log T | d]) + E_d[Var(log T | d)]
                   =      linkage         +   sampling and model choice.
    linkage: the variance between draws of the draw's own estimate. Within a draw, the
    bootstrap that re-runs the model search varies by sampling and by model choice; model
    choice is the variance it has beyond a bootstrap of the same replicates with the chosen
    model fixed (measured on the run's links, as a fraction of the within-draw variance:
    (V_search - V_fixed) / V_search, at least 0); sampling is the rest. The three add up to
    the whole, so they are given as shares summing to 1. Replicates without an estimate
    (unbounded) are left out of these variances. None without a bootstrap."""
    v_search, v_fixed = _log_var(run_replicates), _log_var(fixed_replicates)
    if not math.isfinite(v_search):
        return None
    fraction = min(1.0, max(0.0, (v_search - v_fixed) / v_search)) if v_search > 0 else 0.0
    if draw_replicates:
        within = [v for v in (_log_var(r) for r in draw_replicates) if math.isfinite(v)]
        v_within = float(np.mean(within)) if within else v_search
        finite = draw_totals[np.isfinite(draw_totals)]
        v_link = _log_var(finite) if len(finite) >= 2 else 0.0
        v_link = 0.0 if not math.isfinite(v_link) else v_link
    else:
        v_within, v_link = v_search, 0.0
    whole = v_within + v_link
    if whole <= 0:
        return {"sampling": 1.0, "model_choice": 0.0, "linkage": 0.0}
    linkage = round(v_link / whole, 4)
    model = round(fraction * v_within / whole, 4)
    return {"sampling": round(1.0 - linkage - model, 4), "model_choice": model,
            "linkage": linkage}


def _hull(a: list[float | None], b: list[float | None]) -> list[float | None]:
    """The smallest interval containing both (None = unbounded above / not known)."""
    lows = [x for x in (a[0], b[0]) if x is not None]
    high = None if a[1] is None or b[1] is None else max(a[1], b[1])
    return [min(lows) if lows else None, high]


def _linkage_counts(inputs: Inputs, draws: int) -> dict[str, Any]:
    """The count itself under linkage alone: central 95% of the draws, per category too."""
    frame = inputs.draw_counts[(inputs.draw_counts["draw"] >= 1)
                               & (inputs.draw_counts["draw"] <= draws)]
    wide = frame.pivot_table(index="draw", columns="category", values="count",
                             aggfunc="sum").reindex(index=range(1, draws + 1),
                                                    columns=list(inputs.categories)).fillna(0)
    run = inputs.draw_counts[inputs.draw_counts["draw"] == 0]
    by_run = dict(zip(run["category"], run["count"]))
    if draws == 0:
        total = sum(int(by_run.get(c, 0)) for c in inputs.categories)
        spread = {"mpg_total": [total, total],
                  "by_category": {c: [int(by_run.get(c, 0))] * 2 for c in inputs.categories}}
        return spread
    totals = wide.sum(axis=1).to_numpy()
    return {"mpg_total": [_int_or_none(v) for v in _central(totals)],
            "by_category": {c: [_int_or_none(v) for v in _central(wide[c].to_numpy())]
                            for c in inputs.categories}}


def _estimate_draws(tables: dict[int, dict[str, mse.ListTable]], groups, runs, draws: int,
                    settings: EstimateRules) -> tuple[np.ndarray, list[np.ndarray], int, int]:
    """Each linkage draw estimated again (its own model search) with a share of the
    bootstrap: (the draws' totals, their replicates, draws without an estimate, replicates
    per draw). Draws whose table (in a stratum) is the same share one estimate and one
    bootstrap of as many replicates as they need together: most draws of a well-linked
    delivery give one of a few tables. A draw whose table is the run's own takes the run's
    estimate and slices of its bootstrap (replicates of the very same distribution), so
    where linkage changes nothing the pooled interval is the one without linkage, not that
    interval plus the noise of a second bootstrap."""
    B = settings.bootstrap
    per_draw = max(2, B // draws) if (B and draws) else 0
    totals = np.zeros(draws)
    replicates = [np.zeros(per_draw) for _ in range(draws)]
    alike: dict[tuple, tuple[mse.ListTable, list[int]]] = {}
    for d in range(1, draws + 1):
        for i, (group, _) in enumerate(groups):
            table = _merge([tables[d][s] for s in group])
            key = (i, tuple(sorted(table.counts.items())))
            alike.setdefault(key, (table, []))[1].append(d - 1)
    own = {(i, tuple(sorted(t.counts.items()))): run for i, ((_, t), run)
           in enumerate(zip(groups, runs))}
    failed: set[int] = set()
    for key, (table, members) in alike.items():
        i = key[0]
        run = own.get(key)
        if run is not None and len(run.bootstrap_totals) >= per_draw * len(members):
            total, boot = run.total, run.bootstrap_totals
        else:
            try:
                result = mse.estimate(table, criterion=settings.criterion,
                                      bootstrap=per_draw * len(members),
                                      seed=_seed(settings.seed, i, members[0] + 1),
                                      levels=LEVELS)
            except mse.EstimateError:
                failed.update(members)
                continue
            total, boot = result.total, result.bootstrap_totals
        for n, d in enumerate(members):
            totals[d] += total
            replicates[d] = replicates[d] + boot[n * per_draw:(n + 1) * per_draw]
    for d in failed:
        totals[d] = math.inf
        replicates[d] = np.full(per_draw, math.inf)
    return totals, (replicates if per_draw else []), len(failed), per_draw


def compute(inputs: Inputs, settings: EstimateRules) -> tuple[dict[str, Any], list[str]]:
    """summary.json["estimate"] from the list tables, and the warnings for run.json.

    The estimate on the run's own links (draw 0) gives the total, the model and the
    intervals without linkage; each linkage draw is estimated again (its model search too)
    with a share of the bootstrap, and the pooled replicates give ci95/ci80."""
    draws = min(settings.linkage_draws, inputs.draws)
    run_notes: list[str] = []
    notes: list[str] = []
    if settings.linkage_draws and inputs.draws < settings.linkage_draws and inputs.drawn_records:
        notes.append(f"{settings.linkage_draws} linkage draws asked, {inputs.draws} stored in "
                     "the run: the run's draws are used")
    if isinstance(settings.strata, dict) and inputs.neighbourhoods:
        known = set(inputs.neighbourhoods)
        for group, codes in settings.strata.items():
            unknown = [c for c in codes if c not in known]
            if unknown:
                notes.append(f"stratum {group}: neighbourhood code(s) {', '.join(unknown)} "
                             "are not in the register; check [estimate.strata]")
    tables = _tables(inputs, settings, draws)
    order = strata_order(settings)
    overall = _merge(list(tables[0].values()))
    section: dict[str, Any] = {"observed": overall.observed}
    linkage: dict[str, Any] = {"draws": draws, "records_drawn": inputs.drawn_records,
                               "level": LINKAGE_LEVEL, **_linkage_counts(inputs, draws)}
    if settings.linkage_draws == 0:
        linkage.update(mpg_total=None, by_category=None,
                       note="linkage_draws = 0: linkage uncertainty is not included")
    elif inputs.drawn_records == 0:
        linkage["note"] = ("no record had candidates of the probabilistic linkage to draw "
                           "from: every link is fixed, linkage adds no uncertainty")
    try:
        plan, plan_notes = _plan_strata(tables[0], order, settings)
        notes += plan_notes
        groups = [(g, _merge([tables[0][s] for s in g])) for g in plan]
        one = len(groups) == 1
        seeds = [settings.seed if one else _seed(settings.seed, i) for i in range(len(groups))]
        runs = [mse.estimate(t, criterion=settings.criterion, bootstrap=settings.bootstrap,
                             seed=seeds[i], levels=LEVELS) for i, (_, t) in enumerate(groups)]
    except mse.EstimateError as exc:
        reason = str(exc)
        run_notes.append(f"estimate: no estimate of the families no list shows ({reason}); "
                         "the count stands")
        return ({"error": reason, **section, "lists": list(inputs.lists),
                 "table": overall.rows(), "warnings": notes, "linkage": linkage,
                 "strata": None, "sensitivity": sensitivity(overall, settings)},
                run_notes + notes)

    B = settings.bootstrap
    run_reps = np.sum([r.bootstrap_totals for r in runs], axis=0) if B else np.empty(0)
    fixed_reps = (np.sum([fixed_model_totals(t, r.fit.terms, B, seeds[i])
                          for i, ((_, t), r) in enumerate(zip(groups, runs))], axis=0)
                  if B else np.empty(0))
    total = float(sum(r.total for r in runs))
    draw_totals, draw_reps, failures, per_draw = _estimate_draws(tables, groups, runs, draws,
                                                                 settings)
    if failures:
        notes.append(f"{failures} of {draws} linkage draws gave no estimate; they count as "
                     "unbounded in the intervals")

    without = {lv: [_percentile(run_reps, (1 - lv) / 2), _percentile(run_reps, (1 + lv) / 2)]
               if B else [None, None] for lv in LEVELS}
    if one:
        without = {lv: list(runs[0].ci[lv]) for lv in LEVELS}
    pooled = np.concatenate(draw_reps) if draw_reps else np.empty(0)
    combined = {}
    for lv in LEVELS:
        if len(pooled):
            drawn = [_percentile(pooled, (1 - lv) / 2), _percentile(pooled, (1 + lv) / 2)]
            combined[lv] = _hull(drawn, without[lv])
        else:
            combined[lv] = without[lv]

    if one:
        section = runs[0].to_dict()
        base_method = runs[0].interval_method
    else:
        section = _stratified(groups, runs, overall, settings)
        base_method = runs[0].interval_method
    for lv in LEVELS:
        key = f"ci{round(lv * 100)}"
        section[key] = [_r1(x) for x in combined[lv]]
        section[f"{key}_without_linkage"] = [_r1(x) for x in without[lv]]
    section["total"] = _r1(total)
    section["unseen"] = _r1(total - overall.observed)
    section["interval_method"] = _interval_method(base_method, draws, per_draw,
                                                  settings.linkage_draws, B, one)
    linkage["total"] = [_r1(x) for x in _central(draw_totals)] if draws else None
    linkage["draws_without_estimate"] = failures
    section["linkage"] = linkage
    section["variance_shares"] = (_variance_shares(draw_totals, draw_reps, run_reps, fixed_reps)
                                  if B else None)
    section["warnings"] = list(section.get("warnings", [])) + notes
    section["lists"] = list(inputs.lists)
    section["table"] = overall.rows()
    section["sensitivity"] = sensitivity(overall, settings)
    section.setdefault("strata", None)
    section["stratified_by"] = (None if settings.strata is None
                                else settings.strata if isinstance(settings.strata, str)
                                else "neighbourhood groups")
    run_notes += [f"estimate: {n}" for n in plan_notes]
    return section, run_notes


def sensitivity(table: mse.ListTable, settings: EstimateRules) -> list[dict[str, Any]]:
    """summary.json["estimate"]["sensitivity"]: the estimate with each list left out in turn
    (module docstring); the point estimate and its profile-likelihood 95% interval only, no
    bootstrap."""
    out = []
    for i, name in enumerate(table.lists):
        smaller = table.without(i)
        entry: dict[str, Any] = {"left_out": name, "lists": list(smaller.lists),
                                 "observed": smaller.observed}
        try:
            result = mse.estimate(smaller, criterion=settings.criterion, bootstrap=0,
                                  levels=(0.95,))
        except mse.EstimateError as exc:
            entry["error"] = str(exc)
        else:
            entry.update(total=_r1(result.total),
                         profile_ci95=[_r1(x) for x in result.profile_ci[0.95]],
                         model=result.model)
        out.append(entry)
    return out


def _stratified(groups, runs, overall: mse.ListTable, settings: EstimateRules
                ) -> dict[str, Any]:
    """The top of the section for an estimate added up over strata; each stratum's own
    estimate (its model, table and intervals without linkage) is under `strata`."""
    first = runs[0]
    strata = {}
    for (group, _), result in zip(groups, runs):
        entry = result.to_dict()
        entry["strata"] = group
        strata["+".join(group)] = entry
    return {
        "observed": overall.observed,
        "unseen": None,  # set by compute, as the total and the intervals
        "total": None,
        "ci80": [None, None],
        "ci95": [None, None],
        "chao_lower_bound": _r1(sum(r.chao_lower_bound for r in runs)),
        "model": "; ".join(f"{name}: {entry['model']}" for name, entry in strata.items()),
        "model_terms": None,
        "model_hierarchy": None,
        "criterion": first.criterion,
        "criterion_requested": first.criterion_requested,
        "search": f"per stratum: {first.search}",
        "profile_ci80": [None, None],
        "profile_ci95": [None, None],
        "bootstrap_replicates": settings.bootstrap,
        "bootstrap_without_estimate": int(sum(r.bootstrap_failures for r in runs)),
        "seed": settings.seed,
        "max_interaction": first.max_interaction,
        "neg_inf_terms": [],
        "models": [],
        "warnings": [f"{name}: {w}" for name, entry in strata.items()
                     for w in entry["warnings"]],
        "strata": strata,
    }


def _interval_method(base: str, draws: int, per_draw: int, asked: int, bootstrap: int,
                     one: bool) -> str:
    base = base.replace("ci95/ci80:", "ci95_without_linkage/ci80_without_linkage:", 1)
    if not one:
        base = ("Per stratum (strata.*): " + base + " The total and its intervals add the "
                "strata up, replicate by replicate (strata are independent); a profile "
                "interval does not add up and is given per stratum only.")
    if not bootstrap:
        return base
    if draws:
        head = (f"ci95/ci80: percentile interval of {draws * per_draw} bootstrap totals pooled "
                f"over {draws} linkage draws ({per_draw} each; every replicate re-runs the "
                "model search on the draw's list table), so they include sampling, model "
                "choice and linkage uncertainty; never narrower than ci*_without_linkage "
                "(linkage can only add uncertainty; the hull takes away the Monte Carlo noise "
                "between two separate bootstraps). ")
    else:
        why = ("linkage_draws = 0" if not asked
               else "no record had probabilistic candidates to draw")
        head = (f"ci95/ci80: the same as ci*_without_linkage ({why}): sampling and model "
                "choice. ")
    return head + base


# --------------------------------------------------------------------------------------------
# The stage and `mpg estimate OUT`
# --------------------------------------------------------------------------------------------


def estimate(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> dict[str, Any]:
    settings = ctx.rules.estimate
    _create_tables(con)
    if not settings.enabled:
        return {}
    started = time.perf_counter()
    _run_lists(con, ctx.rules)
    drawn = (_linkage_draws(con, ctx, settings.linkage_draws)
             if settings.linkage_draws else 0)
    made = settings.linkage_draws if drawn else 0
    design = {"lists": list(ctx.rules.estimate_lists),
              "categories": [c.name for c in ctx.rules.categories],
              "draws": made, "drawn_records": drawn,
              "linkage_draws_asked": settings.linkage_draws,
              "drawn_match_keys": list(DRAWN_MATCH_KEYS), "seed": settings.seed}
    con.execute("INSERT INTO capture_design VALUES (?)", [json.dumps(design)])
    sql_seconds = time.perf_counter() - started
    inputs = read_inputs(con)
    assert inputs is not None
    section, warnings = compute(inputs, settings)
    con.execute("INSERT INTO prevalence_estimate VALUES (?)", [json.dumps(section)])
    return {"estimate": {"linkage_draws": made, "records_drawn": drawn,
                         "draws_seconds": round(sql_seconds, 3),
                         "estimate_seconds": round(time.perf_counter() - started - sql_seconds,
                                                   3),
                         "error": section.get("error")},
            "warnings": warnings}


def stored_estimate(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """summary.json["estimate"] as the stage stored it; None when the estimate is off (or
    the connection has no such table, as in `mpg tune`'s recounts)."""
    if not sql.table_exists(con, "prevalence_estimate"):
        return None
    rows = con.execute("SELECT estimate FROM prevalence_estimate").fetchall()
    return json.loads(rows[0][0]) if rows else None


def settings_with(settings: EstimateRules, **overrides: Any) -> EstimateRules:
    """The [estimate] settings with command-line options (None: keep the rules' value)."""
    from pydantic import ValidationError

    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return EstimateRules.model_validate({**settings.model_dump(), **given})
    except ValidationError as exc:
        problems = "; ".join(f"--{'.'.join(str(x) for x in e['loc'])}: {e['msg']}"
                             for e in exc.errors())
        raise UsageError(f"the options cannot be used: {problems}") from None


def reestimate(out: str | Path, rules: Rules, **overrides: Any) -> dict[str, Any]:
    """`mpg estimate OUT`: the estimate again from OUT/run.duckdb's tables alone (no
    identifying table is needed) with `rules` [estimate] and the options; the estimate
    section of OUT/summary.json is added or replaced, every other key kept as it was."""
    out = Path(out)
    database, summary_path = out / "run.duckdb", out / "summary.json"
    if not database.is_file() or not summary_path.is_file():
        raise UsageError(f"{out} is not the OUT folder of a run (it needs run.duckdb and "
                         "summary.json)")
    settings = settings_with(rules.estimate, **overrides)
    if not settings.enabled:
        raise UsageError("the rules switch the estimate off ([estimate] enabled = false); "
                         "give rules with it on (--rules)")
    con = duckdb.connect(str(database), read_only=True)
    try:
        if not sql.table_exists(con, "capture_design"):
            raise UsageError(f"the run in {out} was made by a version of this tool without "
                             "the estimate; run the count again (mpg run)")
        inputs = read_inputs(con)
    finally:
        con.close()
    if inputs is None:
        raise UsageError(f"the run in {out} made no capture lists (its rules switched the "
                         "estimate off); run the count again with it on")
    lists = rules.estimate_lists
    if tuple(lists) != inputs.lists:
        raise UsageError(f"the rules' estimate lists ({', '.join(lists)}) are not the lists "
                         f"the run in {out} made ({', '.join(inputs.lists)}); other lists need "
                         "the count again (mpg run) with those rules")
    section, _ = compute(inputs, settings)
    write_section(summary_path, section)
    return section


def estimate_csv(path: str | Path, settings: EstimateRules, **overrides: Any
                 ) -> dict[str, Any]:
    """`mpg estimate --table COUNTS.csv`: the estimate of a table of counts (one 0/1 column
    per list and a count column), with [estimate]'s criterion, bootstrap and seed unless the
    options give others. An EstimateError (exit 1) when the table gives no estimate."""
    settings = settings_with(settings, **overrides)
    table = mse.read_table(path)
    return mse.estimate(table, criterion=settings.criterion, bootstrap=settings.bootstrap,
                        seed=settings.seed, levels=LEVELS).to_dict()


def write_section(summary_path: Path, section: dict[str, Any]) -> None:
    """Put `section` as "estimate" into summary.json: a temporary file beside it, renamed
    over it, so a reader sees the old file or the new one. Other keys keep their bytes
    (publish writes with the same json settings)."""
    data = json.loads(summary_path.read_text(encoding="utf-8"))
    data["estimate"] = section
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    temporary = summary_path.with_name(f".{summary_path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, summary_path)
    finally:
        if temporary.exists():
            temporary.unlink()


STAGE = Stage("estimate",
              reads=("household_categories", "households", "records", "memberships",
                     "ident.links", "ident.link_scores", "ident.person_keys",
                     "ident.records_clean"),
              writes=TABLES, run=estimate)
