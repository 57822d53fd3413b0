"""Stage `households`: the households on the reference date and which are families.

Reads `persons`, `memberships`. Writes `households`: household_key, neighbourhood_code,
n_adults, n_children, is_family (at least one adult and one child), household_type
(single_parent / two_adults / more_adults by the number of adults).
"""
from __future__ import annotations

import duckdb

from mpg.pipeline.context import RunContext
from mpg.pipeline.stage import Stage


def households(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    con.execute("""
        CREATE OR REPLACE TABLE households AS
        SELECT household_key, any_value(neighbourhood_code) AS neighbourhood_code,
               count(*) FILTER (p.age >= $adult) AS n_adults,
               count(*) FILTER (p.age < $adult) AS n_children,
               n_adults >= 1 AND n_children >= 1 AS is_family,
               CASE WHEN n_adults = 1 THEN 'single_parent' WHEN n_adults = 2 THEN 'two_adults'
                    ELSE 'more_adults' END AS household_type
        FROM memberships m JOIN persons p USING (person_key)
        GROUP BY household_key ORDER BY household_key""", {"adult": ctx.rules.adult_age})


STAGE = Stage("households", reads=("persons", "memberships"), writes=("households",),
              run=households)
