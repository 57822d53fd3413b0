"""Stage `link`: each non-anonymous agency record to at most one register person.

Reads `ident.records_std`, `ident.persons_std` (written by `linkage.standardise`) and, when
`ctx.review_db` is set, the clerical decisions stored by `linkage.review.import_reviews`.
Writes `ident.links` (record_key BIGINT, person_id VARCHAR NULL = not linked,
match_probability DOUBLE, match_key VARCHAR): one row per non-anonymous record.

Passes run in order; a record decided by one pass is not looked at by the next:
  review            a clerical "match" decision                        match_key "review"
  bsn               valid BSN (11-proof) + birth date agrees (or, when
                    there is none, the surname)                         match_key "bsn"
  name_dob_address  surname + birth date + the address the person had
                    on the record's contact date, exactly one person   "name_dob_address"
  probabilistic     Splink; best candidate whose match_probability
                    (weighed against the record's other candidates,
                    see linkage.probabilistic) is at least `threshold`
                    and whose weight is `min_margin` bits above the
                    second best                                         "probabilistic"
  client            the agency's other records with the same client
                    number all link to one person, and nothing on the
                    record (BSN, birth date, surname, given name)
                    contradicts that person                             "client"
A pair reviewed as "non_match" is never linked by any pass. A deterministic pass that
finds more than one person links nothing: the record goes on to the next pass.
An unlinked record has person_id NULL and match_key NULL (no candidate at all),
"below_threshold", "ambiguous" (the best candidate would pass on its own, but others fit
the record too) or
"rejected_in_review", with the best candidate's probability as match_probability.

Linkage quality figures (no identifying values) go to `ctx.metrics["link"]`.
"""
from __future__ import annotations

import duckdb

from mpg.linkage.settings import effective

LINKS_TABLE = "ident.links"
DECIDED = "ident._link_decided"  # (record_key, person_id, match_probability, match_key)
VETOES = "ident._link_vetoes"  # (record_key, person_id) reviewed as non_match
_NO_SCORES = ("(SELECT NULL::BIGINT AS record_key, NULL::DOUBLE AS best_probability, "
              "NULL::VARCHAR AS unlinked_reason)")


def link(con: duckdb.DuckDBPyConnection, ctx) -> list[str]:
    """Write ident.links; see the module docstring for the passes."""
    settings = effective(ctx.linkage)
    con.execute(f"""CREATE OR REPLACE TABLE {DECIDED} (record_key BIGINT, person_id VARCHAR,
                    match_probability DOUBLE, match_key VARCHAR)""")
    con.execute(f"CREATE OR REPLACE TABLE {VETOES} (record_key BIGINT, person_id VARCHAR)")
    scored, training = None, {"trained": False, "reason": "probabilistic pass off"}
    try:
        if settings.passes.review and getattr(ctx, "review_db", None):
            from mpg.linkage.review import apply_reviews
            apply_reviews(con, ctx.review_db, decided=DECIDED, vetoes=VETOES)
        if settings.passes.bsn:
            bsn_pass(con)
        if settings.passes.name_dob_address:
            name_dob_address_pass(con)
        if settings.passes.probabilistic:
            from mpg.linkage.probabilistic import probabilistic_pass
            scored, training = probabilistic_pass(con, ctx, settings, decided=DECIDED,
                                                  vetoes=VETOES)
        if settings.passes.client:
            client_pass(con, decided=DECIDED, vetoes=VETOES)
        con.execute(f"""
            CREATE OR REPLACE TABLE {LINKS_TABLE} AS
            SELECT r.record_key, d.person_id,
                   coalesce(d.match_probability, s.best_probability) AS match_probability,
                   coalesce(d.match_key, s.unlinked_reason) AS match_key
            FROM ident.records_std r
            LEFT JOIN {DECIDED} d USING (record_key)
            LEFT JOIN {scored or _NO_SCORES} s USING (record_key)
            ORDER BY r.record_key
        """)
        ctx.metrics["link"] = {**link_metrics(con, settings), "training": training}
    finally:
        con.execute(f"DROP TABLE IF EXISTS {DECIDED}")
        con.execute(f"DROP TABLE IF EXISTS {VETOES}")
    return [LINKS_TABLE]


def _undecided(alias: str = "r", decided: str = DECIDED) -> str:
    return f"{alias}.record_key NOT IN (SELECT record_key FROM {decided})"


def _not_vetoed(r: str = "r", p: str = "p", vetoes: str = VETOES) -> str:
    return (f"NOT EXISTS (SELECT 1 FROM {vetoes} v WHERE v.record_key = {r}.record_key "
            f"AND v.person_id = {p}.person_id)")


def _same_birth_date(r: str = "r", p: str = "p") -> str:
    """The same birth date, also with day and month swapped."""
    return (f"({r}.birth_date = {p}.birth_date OR ({r}.birth_year = {p}.birth_year "
            f"AND {r}.birth_month = {p}.birth_day AND {r}.birth_day = {p}.birth_month))")


def _no_bsn_conflict(r: str = "r", p: str = "p") -> str:
    """Not two valid BSNs that differ."""
    return f"NOT ({r}.bsn IS NOT NULL AND {p}.bsn IS NOT NULL AND {r}.bsn <> {p}.bsn)"


def _insert_unique(con: duckdb.DuckDBPyConnection, candidates_sql: str, match_key: str) -> None:
    """Link each record whose candidate set (record_key, person_id) holds one person."""
    con.execute(f"""
        INSERT INTO {DECIDED}
        SELECT record_key, min(person_id), 1.0, '{match_key}'
        FROM ({candidates_sql})
        GROUP BY record_key
        HAVING count(DISTINCT person_id) = 1
    """)


def bsn_pass(con: duckdb.DuckDBPyConnection) -> None:
    """A valid BSN of the register that agrees with the birth date (also with day and month
    swapped), or with the surname (own, or a part of a double name) when there is no birth
    date to compare. A record whose birth date contradicts the BSN's person is left to the
    probabilistic pass: agencies write down the BSN of a relative (same surname) now and
    then, and a mistyped birth date with the right BSN still links there."""
    _insert_unique(con, f"""
        SELECT r.record_key, p.person_id
        FROM ident.records_std r JOIN ident.persons_std p ON p.bsn = r.bsn
        WHERE {_undecided()} AND {_not_vetoed()}
          AND ({_same_birth_date()}
               OR ((r.birth_date IS NULL OR p.birth_date IS NULL)
                   AND list_has_any(r.surname_keys, p.surname_keys)))
    """, "bsn")


def name_dob_address_pass(con: duckdb.DuckDBPyConnection) -> None:
    """Surname + exact birth date among the persons registered at the record's address on its
    contact date; a conflicting valid BSN on both sides rules a person out."""
    _insert_unique(con, f"""
        SELECT r.record_key, p.person_id
        FROM (SELECT *, unnest(residents_at_contact) AS resident FROM ident.records_std) r
        JOIN ident.persons_std p ON p.person_id = r.resident
        WHERE {_undecided()} AND {_not_vetoed()}
          AND r.birth_date = p.birth_date
          AND list_has_any(r.surname_keys, p.surname_keys_household)
          AND {_no_bsn_conflict()}
    """, "name_dob_address")


def client_pass(con: duckdb.DuckDBPyConnection, decided: str = DECIDED,
                vetoes: str = VETOES) -> None:
    """An agency's client number names one client: a record left unlinked (a name alone
    that two register persons bear, say) goes to the person the same agency's other records
    of that client number link to, when they link to one person only and the record does
    not contradict that person. Its probability is the weakest of those links."""
    con.execute(f"""
        INSERT INTO {decided}
        WITH client AS (
            SELECT rec.agency, rec.client_id, min(d.person_id) AS person_id,
                   min(d.match_probability) AS match_probability
            FROM {decided} d JOIN ident.records rec USING (record_key)
            WHERE d.person_id IS NOT NULL AND nullif(trim(rec.client_id), '') IS NOT NULL
            GROUP BY rec.agency, rec.client_id
            HAVING count(DISTINCT d.person_id) = 1)
        SELECT r.record_key, c.person_id, c.match_probability, 'client'
        FROM ident.records rec
        JOIN client c ON c.agency = rec.agency AND c.client_id = rec.client_id
        JOIN ident.records_std r USING (record_key)
        JOIN ident.persons_std p ON p.person_id = c.person_id
        WHERE {_undecided(decided=decided)} AND {_not_vetoed(vetoes=vetoes)}
          AND {_no_bsn_conflict()}
          AND (r.birth_date IS NULL OR p.birth_date IS NULL OR {_same_birth_date()}
               OR damerau_levenshtein(r.birth_text, p.birth_text) <= 1)
          AND (r.surname_stem IS NULL OR p.surname_stem IS NULL
               OR list_has_any(r.surname_keys, p.surname_keys_household)
               OR jaro_winkler_similarity(r.surname_stem, p.surname_stem) >= 0.8)
          AND (r.initials IS NULL OR p.initials IS NULL
               OR substr(r.initials, 1, 1) = substr(p.initials, 1, 1)
               OR list_has_any(r.given_groups, p.given_groups))
    """)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def link_metrics(con: duckdb.DuckDBPyConnection, settings) -> dict:
    """Counts and shares only: nothing here identifies a person."""
    by_agency = {}
    for agency, n, n_linked in con.execute(f"""
            SELECT r.agency, count(*), count(l.person_id)
            FROM {LINKS_TABLE} l JOIN ident.records_std r USING (record_key)
            GROUP BY r.agency ORDER BY r.agency""").fetchall():
        by_agency[agency] = {"records": n, "linked": n_linked, "rate": _share(n_linked, n)}
    total, linked = con.execute(
        f"SELECT count(*), count(person_id) FROM {LINKS_TABLE}").fetchall()[0]
    by_pass = {key: n for key, n in con.execute(f"""
            SELECT match_key, count(*) FROM {LINKS_TABLE} WHERE person_id IS NOT NULL
            GROUP BY match_key ORDER BY match_key""").fetchall()}
    # Histogram of match probabilities of every record that was scored, linked or not.
    edges = [0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0]
    histogram = []
    for low, high in zip(edges[:-1], edges[1:]):
        upper = "<=" if high == 1.0 else "<"
        n = con.execute(f"""SELECT count(*) FROM {LINKS_TABLE}
                            WHERE match_probability >= {low} AND match_probability {upper} {high}
                         """).fetchall()[0][0]
        histogram.append({"from": low, "to": high, "records": n})
    return {
        "records": total,
        "linked": linked,
        "linkage_rate": _share(linked, total),
        "by_agency": by_agency,
        "links_by_pass": by_pass,
        "share_of_links_by_pass": {k: _share(v, linked) for k, v in by_pass.items()},
        "match_probability_histogram": histogram,
        "threshold": settings.threshold,
        "min_margin_bits": settings.min_margin,
    }

