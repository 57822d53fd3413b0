"""Stage `pseudonymise`: from the identifying register and links to research tables.

Reads `ident.register_persons`, `ident.persons_std`, `ident.person_addresses`,
`ident.records_clean`, `ident.links`.
Writes, in the pseudonymised database: `persons` (person_key, age on the reference date, sex,
origin, mother_key, father_key), `memberships` (who lives at which address on the reference
date, as household_key + person_key) and `records` (agency records without names, birth
dates, BSNs or addresses, carrying the linked person's key).
"""
from __future__ import annotations

import duckdb
import pyarrow as pa

from mpg.pipeline.context import RunContext
from mpg.pipeline.keys import pseudonym_array
from mpg.pipeline.stage import Stage


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

    # Where each person lives on the reference date; with overlapping periods (a register
    # correction not yet closed) the latest start wins, so nobody is in two households.
    con.execute("""
        CREATE OR REPLACE TEMP TABLE residence_on_reference_date AS
        SELECT r.person_id, r.address_id, r.neighbourhood_code
        FROM ident.person_addresses r
        WHERE r.start_date <= $ref AND (r.end_date IS NULL OR r.end_date > $ref)
        QUALIFY row_number() OVER (PARTITION BY r.person_id
                                   ORDER BY r.start_date DESC, r.address_id) = 1""",
                {"ref": ref})
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

    con.execute("""
        CREATE OR REPLACE TABLE records AS
        SELECT r.record_key, r.agency, r.file, r.row_number, r.record_id, r.contact_date,
               r.end_date, r.in_window, r.is_anonymous, r.neighbourhood_code,
               k.person_key, l.match_probability, l.match_key
        FROM ident.records_clean r
        LEFT JOIN ident.links l USING (record_key)
        LEFT JOIN ident.person_keys k ON k.person_id = l.person_id
        ORDER BY r.record_key""")


STAGE = Stage("pseudonymise",
              reads=("ident.register_persons", "ident.persons_std", "ident.person_addresses",
                     "ident.records_clean", "ident.links"),
              writes=("ident.person_keys", "persons", "memberships", "records"),
              run=pseudonymise)
