"""Stage `select`: apply the selection rules (definitions.md) to the family households.

Reads `records`, `memberships`, `households` and the rule set. Writes:
- `household_agencies`: per household and agency of the multi-agency rule, the records in
  the window and whether the agency counts (MJD needs `min_records` = 2 by default);
- `household_categories`: per household with any record: is_family, n_agencies, agencies
  (those that count), `qualifies` (every category whose condition the household meets,
  in precedence order, family or not: the capture lists of the prevalence estimate),
  the one category it gets by precedence (NULL = not counted) and match_probability_min
  (the weakest link behind that category);
- `record_outcomes`: what became of every agency record (counted household, anonymous,
  outside the window, unlinked, no family household, profile only), so no row vanishes.
A record resolved at household level (`records.household_key`, no person) counts for that
household like a linked record of one of its members.

Categories come from the rules (`Rules.categories`); their names and sources reach SQL as
parameters, never as text.
"""
from __future__ import annotations

import duckdb

from mpg.pipeline import sql
from mpg.pipeline.config import Category, Rules
from mpg.pipeline.context import RunContext
from mpg.pipeline.stage import Stage


# The household a record counts for (`records` r LEFT JOIN `memberships` m): its person's,
# or, for a record resolved only at household level, the one its candidates live in.
RECORD_HOUSEHOLD = "coalesce(m.household_key, r.household_key)"


def codes(sources) -> list[str]:
    """Source codes as a list parameter (`list_contains($x, source)`)."""
    return [c.value for c in sources]


def agency_map(con: duckdb.DuckDBPyConnection, rules: Rules) -> None:
    """TEMP agency_map(source, agency, min_records) from the rules, as parameters."""
    sql.values_table(con, "agency_map", (("source", "VARCHAR"), ("agency", "VARCHAR"),
                                         ("min_records", "INTEGER")),
                     [(code.value, name, rule.min_records)
                      for name, rule in rules.agencies.items() for code in rule.sources])


def _condition(index: int, category: Category, params: dict) -> tuple[str, str]:
    """(SQL of the category's condition over `signals` + `agencies`, SQL of the weakest
    link behind it); its values go into `params`."""
    clauses, weakest = [], []
    if category.sources:
        params[f"sources_{index}"] = codes(category.sources)
        params[f"min_records_{index}"] = category.min_records
        clauses.append(f"s.n_source_{index} >= $min_records_{index}")
        weakest.append(f"s.p_source_{index}")
    if category.min_agencies is not None:
        params[f"min_agencies_{index}"] = category.min_agencies
        clauses.append(f"coalesce(a.n_agencies, 0) >= $min_agencies_{index}")
        weakest.append("a.agencies_probability")
    return " AND ".join(clauses), (weakest[0] if len(weakest) == 1
                                   else f"least({', '.join(weakest)})")


def household_agencies_sql(records: str, by: tuple[str, ...] = ()) -> str:
    """Per household (and `by` column, such as a linkage draw) and agency of the
    multi-agency rule: records in the window and whether the agency counts. `records` is a
    relation of (by..., household_key, source, record_key, match_probability); the TEMP
    table agency_map (`agency_map`) must exist. Names here come from code, never a user."""
    keys = "".join(f"hr.{k}, " for k in by)
    return f"""
        SELECT {keys}hr.household_key, a.agency, count(*) AS n_records,
               count(*) >= any_value(a.min_records) AS counts,
               min(hr.match_probability) AS match_probability_min
        FROM {records} hr JOIN agency_map a USING (source)
        GROUP BY {keys}hr.household_key, a.agency ORDER BY {keys}hr.household_key, a.agency"""


def categories_sql(rules: Rules, records: str, agencies: str,
                   by: tuple[str, ...] = ()) -> tuple[str, dict]:
    """(SQL, parameters) of household_categories (module docstring) from `records` (as for
    household_agencies_sql) and `agencies` (its result), per household and `by` column.
    One definition of the categories for the count and for the estimate's linkage draws."""
    params: dict = {}
    per_source, conditions = [], []
    for index, category in enumerate(rules.categories):
        params[f"name_{index}"] = category.name
        if category.sources:
            per_source.append(
                f"count(*) FILTER (list_contains($sources_{index}, source)) AS n_source_{index}, "
                f"min(match_probability) FILTER (list_contains($sources_{index}, source)) "
                f"AS p_source_{index}")
        conditions.append(_condition(index, category, params))
    qualifies = ", ".join(f"CASE WHEN {cond} THEN $name_{i} END"
                          for i, (cond, _) in enumerate(conditions))
    category_case = " ".join(f"WHEN {cond} THEN $name_{i}" for i, (cond, _) in enumerate(conditions))
    weakest_case = " ".join(f"WHEN {cond} THEN {weak}" for cond, weak in conditions)
    keys = "".join(f"{k}, " for k in by)
    s_keys = "".join(f"s.{k}, " for k in by)
    return f"""
        WITH signals AS (
            SELECT {keys}household_key{''.join(', ' + p for p in per_source)}
            FROM {records} GROUP BY {keys}household_key),
        agencies AS (
            SELECT {keys}household_key, count(*) FILTER (counts) AS n_agencies,
                   list(agency ORDER BY agency) FILTER (counts) AS agencies,
                   min(match_probability_min) FILTER (counts) AS agencies_probability
            FROM {agencies} GROUP BY {keys}household_key),
        judged AS (
            SELECT {s_keys}s.household_key, h.is_family, coalesce(a.n_agencies, 0) AS n_agencies,
                   coalesce(a.agencies, []::VARCHAR[]) AS agencies,
                   list_filter([{qualifies}], lambda q: q IS NOT NULL) AS qualifies,
                   CASE WHEN h.is_family THEN CASE {category_case} END END AS category,
                   CASE WHEN h.is_family THEN CASE {weakest_case} END END
                       AS match_probability_min
            FROM signals s JOIN households h USING (household_key)
            LEFT JOIN agencies a USING ({keys}household_key))
        SELECT * FROM judged ORDER BY {keys}household_key""", params


def select(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    rules = ctx.rules
    agency_map(con, rules)
    # The records that can select a household: in the window, identified, linked to a
    # person who lives in some household on the reference date, or resolved at household
    # level (its candidates, one of whom it is, all live in that household).
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE household_records AS
        SELECT {RECORD_HOUSEHOLD} AS household_key, r.agency AS source, r.record_key,
               r.match_probability
        FROM records r LEFT JOIN memberships m USING (person_key)
        WHERE r.in_window AND NOT r.is_anonymous AND {RECORD_HOUSEHOLD} IS NOT NULL""")
    con.execute("CREATE OR REPLACE TABLE household_agencies AS "
                + household_agencies_sql("household_records"))
    query, params = categories_sql(rules, "household_records", "household_agencies")
    con.execute("CREATE OR REPLACE TABLE household_categories AS " + query, params)
    con.execute(f"""
        CREATE OR REPLACE TABLE record_outcomes AS
        SELECT r.record_key, r.agency,
               CASE WHEN list_contains($bijstand, r.agency) THEN 'profile_source'
                    WHEN NOT r.in_window THEN 'outside_window'
                    WHEN r.is_anonymous THEN 'anonymous_zorgnetwerk'
                    WHEN r.person_key IS NULL AND r.household_key IS NULL
                        THEN 'unlinked_records'
                    WHEN h.is_family IS NOT TRUE THEN 'no_family_household'
                    ELSE 'family_household' END AS outcome
        FROM records r
        LEFT JOIN memberships m USING (person_key)
        LEFT JOIN households h ON h.household_key = {RECORD_HOUSEHOLD}
        ORDER BY r.record_key""", {"bijstand": codes(rules.bijstand_sources)})
    con.execute("DROP TABLE household_records")
    con.execute("DROP TABLE agency_map")


STAGE = Stage("select", reads=("records", "memberships", "households"),
              writes=("household_agencies", "household_categories", "record_outcomes"),
              run=select)
