"""Stage `publish`: the run's exact outputs (outputs.md), written into the staging OUT.

Reads the pseudonymised tables (and `ident.links` + `ident.records` for links.parquet, the
one output that carries register numbers and stays inside the bureau). Writes
summary.json, neighbourhoods.csv, households.parquet, rejects.csv, links.parquet.
Output is deterministic: the same delivery, settings and key give identical bytes.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from mpg.pipeline import sql
from mpg.pipeline.context import RunContext
from mpg.pipeline.estimate import stored_estimate
from mpg.pipeline.stage import Stage

NOT_COUNTED = ("anonymous_zorgnetwerk", "unlinked_records", "no_family_household",
               "outside_window")


def summary(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> dict[str, Any]:
    """summary.json (outputs.md). The categories, their order and which are profiled come
    from the rules; `zorgnetwerk_identified` and `bib_without_children` are the contract's
    names for what the categories BIB and ZORGNETWERK qualify (0 in a rule set without)."""
    run, rules = ctx.manifest.run, ctx.rules
    names = [c.name for c in rules.categories]
    by_category = dict(con.execute(
        "SELECT category, count(*) FROM counted_households GROUP BY category").fetchall())
    qualifying = dict(con.execute("""
        SELECT q, count(*) FROM (SELECT unnest(qualifies) AS q FROM household_categories
                                 WHERE is_family) GROUP BY q""").fetchall())
    profiled = {"profiled": list(rules.profiled)}
    where = "FROM counted_households WHERE list_contains($profiled, category)"
    types = dict(con.execute(f"SELECT household_type, count(*) {where} GROUP BY ALL",
                             profiled).fetchall())
    per_household = con.execute(
        f"SELECT n_children, count(*) {where} GROUP BY ALL ORDER BY n_children",
        profiled).fetchall()
    combinations = con.execute("""
        SELECT array_to_string(agencies, '+') AS combination, count(*) FROM counted_households
        WHERE list_contains($by_agencies, category) GROUP BY ALL ORDER BY combination""",
        {"by_agencies": [c.name for c in rules.categories if c.min_agencies is not None]}
    ).fetchall()
    outcomes = dict(con.execute(
        "SELECT outcome, count(*) FROM record_outcomes GROUP BY ALL").fetchall())
    origin: dict[str, dict[str, dict[str, int]]] = {
        role: {"counted": {}, "city": {}} for role in ("mothers", "fathers")}
    for role, scope, code, n in con.execute(
            "SELECT role, scope, origin, n FROM profile_origin ORDER BY ALL").fetchall():
        origin[role][scope][code] = n
    out = {
        "run": run.name,
        "reference_date": run.reference_date.isoformat(),
        "window": [run.window_start.isoformat(), run.window_end.isoformat()],
        "family_households": sql.scalar(con, "SELECT count(*) FROM households WHERE is_family"),
        "mpg_total": sum(by_category.values()),
        "by_category": {c: by_category.get(c, 0) for c in names},
        "zorgnetwerk_identified": qualifying.get("ZORGNETWERK", 0),
        "bib_without_children": sql.scalar(
            con, "SELECT count(*) FROM household_categories "
                 "WHERE list_contains(qualifies, 'BIB') AND NOT is_family"),
        "household_types": {t: types.get(t, 0)
                            for t in ("single_parent", "two_adults", "more_adults")},
        "children": {
            "total": sql.scalar(con, f"SELECT coalesce(sum(n_children), 0)::BIGINT {where}",
                                profiled),
            "per_household": {str(n): count for n, count in per_household},
        },
        "agency_combinations": dict(combinations),
        "bijstand_households": sql.scalar(con, f"SELECT count(*) {where} AND bijstand",
                                          profiled),
        "not_counted": {k: outcomes.get(k, 0) for k in NOT_COUNTED},
        "rejects": sql.scalar(con, "SELECT count(*) FROM rejects"),
        # Additions to the contract (outputs.md allows adding): family households meeting
        # each category's condition whatever their category (the capture lists of the
        # estimate), the profile's origin table, and the rule set the count was made with.
        "qualifying": {c: qualifying.get(c, 0) for c in names},
        "origin": origin,
        "rules": rules.model_dump(mode="json"),
    }
    # The prevalence estimate (pipeline/estimate.py), last, so that `mpg estimate OUT` can
    # replace it leaving the bytes before it as they are; absent when the rules switch it off.
    estimate = stored_estimate(con)
    if estimate is not None:
        out["estimate"] = estimate
    return out


def _neighbourhood_sql(ctx: RunContext) -> tuple[str, dict]:
    """Every neighbourhood of the register with its counts: one column per category."""
    cats = ctx.rules.categories
    params = {f"c{i}": c.name for i, c in enumerate(cats)}
    counts = ",\n".join(f"count(*) FILTER (category = $c{i}) AS {sql.identifier(c.column)}"
                        for i, c in enumerate(cats))
    picks = ",\n".join(f"coalesce(any_value(m.{sql.identifier(c.column)}), 0) "
                       f"AS {sql.identifier(c.column)}" for c in cats)
    return f"""
        WITH codes AS (SELECT neighbourhood_code, neighbourhood_name FROM neighbourhoods),
        fam AS (SELECT neighbourhood_code, count(*) AS family_households FROM households
                WHERE is_family GROUP BY ALL),
        mpg AS (SELECT neighbourhood_code, {counts}, count(*) AS mpg_total
                FROM counted_households GROUP BY ALL),
        t AS (
            SELECT c.neighbourhood_code, any_value(c.neighbourhood_name) AS neighbourhood_name,
                   coalesce(any_value(f.family_households), 0) AS family_households,
                   {picks},
                   coalesce(any_value(m.mpg_total), 0) AS mpg_total
            FROM codes c LEFT JOIN fam f USING (neighbourhood_code)
            LEFT JOIN mpg m USING (neighbourhood_code) GROUP BY c.neighbourhood_code)
        SELECT *,
               round(coalesce(family_households / nullif(sum(family_households) OVER (), 0), 0), 6)
                   AS share_of_family_households,
               round(coalesce(mpg_total / nullif(sum(mpg_total) OVER (), 0), 0), 6) AS share_of_mpg
        FROM t ORDER BY neighbourhood_code""", params


def publish(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    out: Path = ctx.stage_out
    data = summary(con, ctx)
    (out / "summary.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    query, params = _neighbourhood_sql(ctx)
    neighbourhoods = con.execute(query, params).df()
    neighbourhoods.to_csv(out / "neighbourhoods.csv", index=False, lineterminator="\n")
    sql.write_parquet(con, """
        SELECT household_key, category, neighbourhood_code, n_adults, n_children, agencies,
               bijstand, match_probability_min, household_type
        FROM counted_households ORDER BY household_key""", out / "households.parquet")
    sql.write_csv(con, 'SELECT file, "row", reason FROM rejects ORDER BY file, "row"',
                  out / "rejects.csv")
    sql.write_parquet(con, """
        SELECT r.agency, r.file, r.record_id, l.person_id, l.match_probability,
               CASE WHEN r.is_anonymous THEN 'anonymous' ELSE l.match_key END AS match_key,
               -- match_key household: the register address of the household its
               -- candidates share on the reference date, and those candidates
               l.household_id, l.candidate_ids
        FROM ident.records_clean r LEFT JOIN ident.links l USING (record_key)
        ORDER BY r.record_key""", out / "links.parquet")


FILES = ("summary.json", "neighbourhoods.csv", "households.parquet", "rejects.csv",
         "links.parquet")
STAGE = Stage("publish",
              reads=("counted_households", "households", "household_categories",
                     "record_outcomes", "profile_origin", "neighbourhoods", "rejects",
                     "ident.records_clean", "ident.links", "prevalence_estimate"),
              writes=(), run=publish, files=FILES)
