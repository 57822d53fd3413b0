"""Stage `pseudonymise`: from the identifying register and links to research tables.

Reads `ident.register_persons`, `ident.persons_std`, `ident.person_addresses`,
`ident.records_clean`, `ident.links`.
Writes, in the pseudonymised database: `persons` (person_key, age on the reference date, sex,
origin, mother_key, father_key), `memberships` (who lives at which address on the reference
date, as household_key + person_key) and `records` (agency records without names, birth
dates, BSNs or addresses, carrying the linked person's key; a record resolved only at
household level carries no person key but `household_key` and `candidate_keys`).
"""
from __future__ import annotations

import duckdb
import pyarrow as pa

from mpg.pipeline.context import RunContext
from mpg.pipeline.keys import pseudonym_array
from mpg.pipeline.stage import Stage


def residence_on_reference_date_sql(ref: str = "$ref") -> str:
    """(person_id, address_id, neighbourhood_code): where each person lives on the reference
    date (a parameter); with overlapping periods (a register correction not yet closed) the
    latest start wins, so nobody is in two households. The household of definitions.md is
    the address; `linkage.link.household_pass` uses the same one."""
    return f"""
        SELECT r.person_id, r.address_id, r.neighbourhood_code
        FROM ident.person_addresses r
        WHERE r.start_date <= {ref} AND (r.end_date IS NULL OR r.end_date > {ref})
        QUALIFY row_number() OVER (PARTITION BY r.person_id
                                   ORDER BY r.start_date DESC, r.address_id) = 1"""


def pseudonymise(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    ref = ctx.manifest.run.reference_date
    person_ids = con.sql("SELECT DISTINCT person_id FROM ident.register_persons "
                         "ORDER BY person_id").to_arrow_table().column("person_id").combine_chunks()
    con.register("person_keys_arrow", pa.table({
        "person_id": person_ids,
        "person_key": pseudonym_array(ctx.pseudonym_key, "person", person_ids)}))
    con.execute("CREATE OR REPLACE TABLE ident.person_keys AS SELECT * FROM person_keys_arrow")
    con.unregister("person_keys_arrow")

    # Age in whole years on the reference date.
    con.execute("""
        CREATE OR REPLACE TABLE persons AS
        SELECT k.person_key,
               year($ref) - year(p.birth_date)
                 - CASE WHEN month($ref) * 100 + day($ref)
                             < month(p.birth_date) * 100 + day(p.birth_date) THEN 1 ELSE 0 END
                 AS age,
               s.register_sex AS sex, p.origin, mk.person_key AS mother_key,
               fk.person_key AS father_key
        FROM ident.register_persons p
        JOIN ident.persons_std s USING (person_id)
        JOIN ident.person_keys k USING (person_id)
        LEFT JOIN ident.person_keys mk ON mk.person_id = p.mother_id
        LEFT JOIN ident.person_keys fk ON fk.person_id = p.father_id
        WHERE p.birth_date <= $ref
        ORDER BY k.person_key""", {"ref": ref})

    # Where each person lives on the reference date.
    con.execute("CREATE OR REPLACE TEMP TABLE residence_on_reference_date AS "
                + residence_on_reference_date_sql(), {"ref": ref})
    # A household is named after its lowest register number among the adults (any member
    # when there is no adult), so a family keeps its key while its adults stay together.
    anchors = con.sql("""
        SELECT r.address_id,
               coalesce(min(r.person_id) FILTER (p.age >= $adult), min(r.person_id)) AS anchor
        FROM residence_on_reference_date r
        JOIN ident.person_keys k USING (person_id)
        JOIN persons p USING (person_key)
        GROUP BY r.address_id ORDER BY r.address_id""",
                      params={"adult": ctx.rules.adult_age}).to_arrow_table()
    anchors = pa.table({
        "address_id": anchors.column("address_id").combine_chunks(),
        "household_key": pseudonym_array(ctx.pseudonym_key, "household",
                                         anchors.column("anchor").combine_chunks())})
    con.register("household_keys_arrow", anchors)
    con.execute("CREATE OR REPLACE TEMP TABLE household_keys AS "
                "SELECT * FROM household_keys_arrow")
    con.execute("""
        CREATE OR REPLACE TABLE memberships AS
        SELECT h.household_key, k.person_key, r.neighbourhood_code
        FROM residence_on_reference_date r
        JOIN ident.person_keys k USING (person_id)
        JOIN persons p USING (person_key)
        JOIN household_keys_arrow h USING (address_id)
        ORDER BY h.household_key, k.person_key""")
    con.unregister("household_keys_arrow")
    con.execute("DROP TABLE residence_on_reference_date")

    # A record resolved at household level (match_key 'household') has no person_key but
    # the household_key of the household its candidates live in, and their person keys.
    con.execute("""
        CREATE OR REPLACE TABLE records AS
        WITH candidates AS (
            SELECT l.record_key, list(k.person_key ORDER BY k.person_key) AS candidate_keys
            FROM (SELECT record_key, unnest(candidate_ids) AS person_id FROM ident.links
                  WHERE candidate_ids IS NOT NULL) l
            JOIN ident.person_keys k USING (person_id) GROUP BY l.record_key)
        SELECT r.record_key, r.agency, r.file, r.row_number, r.record_id, r.contact_date,
               r.end_date, r.in_window, r.is_anonymous, r.neighbourhood_code,
               k.person_key, l.match_probability, l.match_key,
               h.household_key, c.candidate_keys
        FROM ident.records_clean r
        LEFT JOIN ident.links l USING (record_key)
        LEFT JOIN ident.person_keys k ON k.person_id = l.person_id
        LEFT JOIN household_keys h ON h.address_id = l.household_id
        LEFT JOIN candidates c USING (record_key)
        ORDER BY r.record_key""")
    con.execute("DROP TABLE household_keys")


STAGE = Stage("pseudonymise",
              reads=("ident.register_persons", "ident.persons_std", "ident.person_addresses",
                     "ident.records_clean", "ident.links"),
              writes=("ident.person_keys", "persons", "memberships", "records"),
              run=pseudonymise)
