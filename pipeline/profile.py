"""Stage `profile`: who the counted families are.

Reads `household_categories`, `households`, `memberships`, `persons`, `records`. Writes
`counted_households` (one row per counted household: the columns of households.parquet) and
`profile_origin` (origin of mothers and fathers of the families of the profiled categories and of
all family households of the city).
"""
from __future__ import annotations

import duckdb

from mpg.pipeline.context import RunContext
from mpg.pipeline.stage import Stage
from mpg.pipeline.select import RECORD_HOUSEHOLD, codes


def profile(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    rules = ctx.rules
    # Social assistance: any member with a period overlapping the window (= in_window).
    # A BIJSTAND record resolved at household level describes its household too.
    con.execute(f"""
        CREATE OR REPLACE TABLE counted_households AS
        WITH bijstand AS (
            SELECT DISTINCT {RECORD_HOUSEHOLD} AS household_key
            FROM records r LEFT JOIN memberships m USING (person_key)
            WHERE list_contains($bijstand, r.agency) AND r.in_window)
        SELECT c.household_key, c.category, h.neighbourhood_code, h.n_adults, h.n_children,
               c.agencies, b.household_key IS NOT NULL AS bijstand,
               CAST(c.match_probability_min AS DOUBLE) AS match_probability_min, h.household_type
        FROM household_categories c JOIN households h USING (household_key)
        LEFT JOIN bijstand b USING (household_key)
        WHERE c.category IS NOT NULL
        ORDER BY c.household_key""", {"bijstand": codes(rules.bijstand_sources)})
    # Mothers and fathers: adults of the household who are a parent of one of its children.
    con.execute("""
        CREATE OR REPLACE TABLE profile_origin AS
        WITH members AS (
            SELECT m.household_key, p.* FROM memberships m JOIN persons p USING (person_key)
            JOIN households h USING (household_key) WHERE h.is_family),
        parents AS (
            SELECT DISTINCT a.household_key, a.person_key, a.origin,
                   CASE WHEN c.mother_key = a.person_key THEN 'mothers' ELSE 'fathers' END AS role
            FROM members a JOIN members c
              ON c.household_key = a.household_key AND c.age < $adult
             AND a.person_key IN (c.mother_key, c.father_key)
            WHERE a.age >= $adult),
        scoped AS (
            SELECT 'city' AS scope, * FROM parents
            UNION ALL
            SELECT 'counted', p.* FROM parents p JOIN counted_households c USING (household_key)
            WHERE list_contains($profiled, c.category))
        SELECT role, scope, coalesce(origin, 'unknown') AS origin, count(*) AS n
        FROM scoped GROUP BY ALL ORDER BY role, scope, origin""",
                {"adult": rules.adult_age, "profiled": list(rules.profiled)})


STAGE = Stage("profile",
              reads=("household_categories", "households", "memberships", "persons", "records"),
              writes=("counted_households", "profile_origin"), run=profile)
