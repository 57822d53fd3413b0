"""Stage `link`: each non-anonymous agency record to at most one register person.

Reads `ident.records_std`, `ident.persons_std` (written by `linkage.standardise`) and, when
`ctx.review_db` is set, the clerical decisions stored by `linkage.review.import_reviews`.
Writes `ident.links` (record_key BIGINT, person_id VARCHAR NULL = not linked,
match_probability DOUBLE, match_key VARCHAR, household_id VARCHAR, candidate_ids VARCHAR[]):
one row per non-anonymous record.

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
  household         a record still unlinked whose plausible candidates
                    (scored, not vetoed, not `min_margin` bits below the
                    best) all live in ONE household on the reference
                    date, and whose candidates there together reach
                    `threshold`: the record counts for that household
                    while its person stays unresolved (person_id NULL)  "household"
A household-level row carries `household_id` (the address_id of that household on the
reference date) and `candidate_ids` (its plausible candidates, register numbers); every
other row has them NULL. A candidate set spread over two households, or holding a person
who lives nowhere on the reference date, stays unlinked ("ambiguous" or "below_threshold").
A pair reviewed as "non_match" is never linked by any pass. A deterministic pass that
finds more than one person links nothing: the record goes on to the next pass.
An unlinked record has person_id NULL and match_key NULL (no candidate at all),
"below_threshold", "ambiguous" (the best candidate would pass on its own, but others fit
the record too) or
"rejected_in_review", with the best candidate's probability as match_probability.

The stage returns linkage quality figures (no identifying values) for run.json, and the
probabilistic pass writes the trained model into the table `linkage_model`. `mpg tune` runs
the same list of passes (`PASSES`) again at other thresholds, reusing the scores.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from mpg.pipeline import sql
from mpg.pipeline.config import LinkageSettings
from mpg.pipeline.context import RunContext
from mpg.pipeline.stage import Stage

LINKS_TABLE = "ident.links"
# (record_key, person_id, match_probability, match_key, household_id, candidate_ids)
DECIDED = "ident._link_decided"
# The columns of ident.links (and of the decided links the passes build up).
LINK_COLUMNS_SQL = ("record_key BIGINT, person_id VARCHAR, match_probability DOUBLE, "
                    "match_key VARCHAR, household_id VARCHAR, candidate_ids VARCHAR[]")
DECIDED_COLUMNS = "record_key, person_id, match_probability, match_key"
# Record r and register person p: a person born after the record's contact date cannot be
# its person (the probabilistic pass's candidates and the client pass's link obey it).
BORN_BY_CONTACT = "NOT coalesce(p.birth_date > r.contact_date, false)"
VETOES = "ident._link_vetoes"  # (record_key, person_id) reviewed as non_match
_NO_SCORES = ("(SELECT NULL::BIGINT AS record_key, NULL::DOUBLE AS best_probability, "
              "NULL::VARCHAR AS unlinked_reason)")


@dataclass(frozen=True)
class LinkPass:
    name: str  # the key of [passes] in the linkage settings, and the links' match_key
    run: Callable[["PassInput"], str | None]  # returns SQL of unlinked reasons, or None


@dataclass
class PassInput:
    con: duckdb.DuckDBPyConnection
    ctx: RunContext
    decided: str
    vetoes: str
    threshold: float
    rescore: bool  # False: the probabilistic pass reuses the scores of an earlier run
    training: object = None  # set by the probabilistic pass
    sizes: dict | None = None


def _review(p: PassInput) -> None:
    if p.ctx.review_db:
        from mpg.linkage.review import apply_reviews
        apply_reviews(p.con, p.ctx.review_db, decided=p.decided, vetoes=p.vetoes)


def _probabilistic(p: PassInput) -> str:
    from mpg.linkage.probabilistic import probabilistic_pass
    scored, p.training, p.sizes = probabilistic_pass(
        p.con, p.ctx.linkage, p.decided, p.vetoes, threshold=p.threshold, rescore=p.rescore,
        reference_date=p.ctx.manifest.run.reference_date)
    return scored


PASSES = (
    LinkPass("review", _review),
    LinkPass("bsn", lambda p: bsn_pass(p.con, p.decided, p.vetoes)),
    LinkPass("name_dob_address", lambda p: name_dob_address_pass(p.con, p.decided, p.vetoes)),
    LinkPass("probabilistic", _probabilistic),
    LinkPass("client", lambda p: client_pass(p.con, p.decided, p.vetoes)),
    LinkPass("household", lambda p: household_pass(p.con, p.ctx, p.decided, p.vetoes,
                                                   threshold=p.threshold)),
)


def run_passes(con: duckdb.DuckDBPyConnection, ctx: RunContext, *,
               threshold: float | None = None, rescore: bool = True) -> PassInput:
    """Every pass the settings switch on, in order, into ident.links. `threshold` and
    `rescore=False` are for `mpg tune`: other thresholds on the scores already made."""
    settings = ctx.linkage
    con.execute(f"CREATE OR REPLACE TABLE {DECIDED} ({LINK_COLUMNS_SQL})")
    con.execute(f"CREATE OR REPLACE TABLE {VETOES} (record_key BIGINT, person_id VARCHAR)")
    state = PassInput(con, ctx, DECIDED, VETOES,
                      settings.threshold if threshold is None else threshold, rescore)
    scored = None
    try:
        for link_pass in PASSES:
            if getattr(settings.passes, link_pass.name):
                reasons = link_pass.run(state)
                scored = reasons or scored
        con.execute(f"""
            CREATE OR REPLACE TABLE {LINKS_TABLE} AS
            SELECT r.record_key, d.person_id,
                   coalesce(d.match_probability, s.best_probability) AS match_probability,
                   coalesce(d.match_key, s.unlinked_reason) AS match_key,
                   d.household_id, d.candidate_ids
            FROM ident.records_std r
            LEFT JOIN {DECIDED} d USING (record_key)
            LEFT JOIN {scored or _NO_SCORES} s USING (record_key)
            ORDER BY r.record_key
        """)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {DECIDED}")
        con.execute(f"DROP TABLE IF EXISTS {VETOES}")
    return state


def link(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> dict:
    """Write ident.links (see the module docstring); return the linkage figures."""
    from mpg.linkage.probabilistic import EMPTY_SCORES, Training, save_model
    state = run_passes(con, ctx)
    if not ctx.linkage.passes.probabilistic:
        con.execute(EMPTY_SCORES)
        save_model(con, None)
    training = state.training or Training(reason="probabilistic pass off")
    metrics = {**link_metrics(con, ctx.linkage), "training": training.facts(),
               **(state.sizes or {})}
    return {"link": metrics, "warnings": list(training.warnings)}


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


def _insert_unique(con: duckdb.DuckDBPyConnection, candidates_sql: str, match_key: str,
                   decided: str) -> None:
    """Link each record whose candidate set (record_key, person_id) holds one person."""
    con.execute(f"""
        INSERT INTO {decided} ({DECIDED_COLUMNS})
        SELECT record_key, min(person_id), 1.0, ?
        FROM ({candidates_sql})
        GROUP BY record_key
        HAVING count(DISTINCT person_id) = 1
    """, [match_key])


def bsn_pass(con: duckdb.DuckDBPyConnection, decided: str = DECIDED,
             vetoes: str = VETOES) -> None:
    """A valid BSN of the register that agrees with the birth date (also with day and month
    swapped), or with the surname (own, or a part of a double name) when there is no birth
    date to compare. A record whose birth date contradicts the BSN's person is left to the
    probabilistic pass: agencies write down the BSN of a relative (same surname) now and
    then, and a mistyped birth date with the right BSN still links there."""
    _insert_unique(con, f"""
        SELECT r.record_key, p.person_id
        FROM ident.records_std r JOIN ident.persons_std p ON p.bsn = r.bsn
        WHERE {_undecided(decided=decided)} AND {_not_vetoed(vetoes=vetoes)}
          AND ({_same_birth_date()}
               OR ((r.birth_date IS NULL OR p.birth_date IS NULL)
                   AND list_has_any(r.surname_keys, p.surname_keys)))
    """, "bsn", decided)


def name_dob_address_pass(con: duckdb.DuckDBPyConnection, decided: str = DECIDED,
                          vetoes: str = VETOES) -> None:
    """Surname + exact birth date among the persons registered at the record's address on its
    contact date; a conflicting valid BSN on both sides rules a person out."""
    _insert_unique(con, f"""
        SELECT r.record_key, p.person_id
        FROM (SELECT *, unnest(residents_at_contact) AS resident FROM ident.records_std) r
        JOIN ident.persons_std p ON p.person_id = r.resident
        WHERE {_undecided(decided=decided)} AND {_not_vetoed(vetoes=vetoes)}
          AND r.birth_date = p.birth_date
          AND list_has_any(r.surname_keys, p.surname_keys_household)
          AND {_no_bsn_conflict()}
    """, "name_dob_address", decided)


def client_pass(con: duckdb.DuckDBPyConnection, decided: str = DECIDED,
                vetoes: str = VETOES) -> None:
    """An agency's client number names one client: a record left unlinked (a name alone
    that two register persons bear, say) goes to the person the same agency's other records
    of that client number link to, when they link to one person only and the record does
    not contradict that person. Its probability is the weakest of those links."""
    con.execute(f"""
        INSERT INTO {decided} ({DECIDED_COLUMNS})
        WITH client AS (
            SELECT rec.agency, rec.client_id, min(d.person_id) AS person_id,
                   min(d.match_probability) AS match_probability
            FROM {decided} d JOIN ident.records_clean rec USING (record_key)
            WHERE d.person_id IS NOT NULL AND nullif(trim(rec.client_id), '') IS NOT NULL
            GROUP BY rec.agency, rec.client_id
            HAVING count(DISTINCT d.person_id) = 1)
        SELECT r.record_key, c.person_id, c.match_probability, 'client'
        FROM ident.records_clean rec
        JOIN client c ON c.agency = rec.agency AND c.client_id = rec.client_id
        JOIN ident.records_std r USING (record_key)
        JOIN ident.persons_std p ON p.person_id = c.person_id
        WHERE {_undecided(decided=decided)} AND {_not_vetoed(vetoes=vetoes)}
          AND {_no_bsn_conflict()}
          AND {BORN_BY_CONTACT}
          AND (r.birth_date IS NULL OR p.birth_date IS NULL OR {_same_birth_date()}
               OR damerau_levenshtein(r.birth_text, p.birth_text) <= 1)
          AND (r.surname_stem IS NULL OR p.surname_stem IS NULL
               OR list_has_any(r.surname_keys, p.surname_keys_household)
               OR jaro_winkler_similarity(r.surname_stem, p.surname_stem) >= 0.8)
          AND (r.initials IS NULL OR p.initials IS NULL
               OR substr(r.initials, 1, 1) = substr(p.initials, 1, 1)
               OR list_has_any(r.given_groups, p.given_groups))
    """)


def household_pass(con: duckdb.DuckDBPyConnection, ctx: RunContext, decided: str = DECIDED,
                   vetoes: str = VETOES, threshold: float | None = None) -> None:
    """A record no pass linked, whose plausible candidates all live in one household on the
    reference date, counts for that household: mother and baby daughter with one name and
    initial and no birth date, two brothers at one address with a mistyped birth date.
    Plausible: scored, not vetoed, and not `min_margin` bits below the best candidate (the
    margin rule of the probabilistic pass). The household's probability is the sum of its
    candidates' match probabilities (each weighed against all the record's candidates and
    against nobody in the register), and must reach `threshold`."""
    if not sql.table_exists(con, "ident.link_scores"):
        return
    settings = ctx.linkage
    from mpg.pipeline.pseudonymise import residence_on_reference_date_sql
    con.execute(f"""
        INSERT INTO {decided}
        WITH candidates AS (
            SELECT s.record_key, s.person_id, s.match_weight, s.match_probability,
                   max(s.match_weight) OVER (PARTITION BY s.record_key) AS best_weight
            FROM ident.link_scores s
            WHERE s.record_key NOT IN (SELECT record_key FROM {decided})
              AND NOT EXISTS (SELECT 1 FROM {vetoes} v WHERE v.record_key = s.record_key
                              AND v.person_id = s.person_id)),
        homes AS (
            SELECT c.*, h.address_id
            FROM candidates c LEFT JOIN ({residence_on_reference_date_sql()}) h USING (person_id)),
        one_home AS (
            SELECT record_key, min(address_id) AS address_id,
                   list(person_id ORDER BY person_id) AS candidate_ids
            FROM homes WHERE match_weight >= best_weight - $min_margin
            GROUP BY record_key
            HAVING count(address_id) = count(*) AND count(DISTINCT address_id) = 1),
        weighed AS (
            SELECT o.record_key, o.address_id, any_value(o.candidate_ids) AS candidate_ids,
                   sum(h.match_probability ORDER BY h.person_id) AS household_probability
            FROM one_home o
            JOIN homes h ON h.record_key = o.record_key AND h.address_id = o.address_id
            GROUP BY o.record_key, o.address_id)
        SELECT record_key, NULL, least(household_probability, 1.0), 'household', address_id,
               candidate_ids
        FROM weighed WHERE household_probability >= $threshold
    """, {"min_margin": settings.min_margin,
          "threshold": settings.threshold if threshold is None else threshold,
          "ref": ctx.manifest.run.reference_date})


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def link_metrics(con: duckdb.DuckDBPyConnection, settings: LinkageSettings) -> dict:
    """Counts and shares only: nothing here identifies a person."""
    by_agency = {}
    for agency, n, n_linked in con.execute(f"""
            SELECT r.agency, count(*), count(l.person_id)
            FROM {LINKS_TABLE} l JOIN ident.records_std r USING (record_key)
            GROUP BY r.agency ORDER BY r.agency""").fetchall():
        by_agency[agency] = {"records": n, "linked": n_linked, "rate": _share(n_linked, n)}
    total, linked, households = con.execute(
        f"SELECT count(*), count(person_id), count(household_id) FROM {LINKS_TABLE}"
    ).fetchall()[0]
    by_pass = {key: n for key, n in con.execute(f"""
            SELECT match_key, count(*) FROM {LINKS_TABLE} WHERE person_id IS NOT NULL
            GROUP BY match_key ORDER BY match_key""").fetchall()}
    # Histogram of match probabilities of every record that was scored, linked or not.
    edges = [0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0]
    histogram = []
    for low, high in zip(edges[:-1], edges[1:]):
        upper = "<=" if high == 1.0 else "<"
        n = con.execute(f"""SELECT count(*) FROM {LINKS_TABLE}
                            WHERE match_probability >= ? AND match_probability {upper} ?""",
                        [low, high]).fetchall()[0][0]
        histogram.append({"from": low, "to": high, "records": n})
    return {
        "records": total,
        "linked": linked,
        "linkage_rate": _share(linked, total),
        # records that count for a household whose member they are cannot be told apart
        "resolved_at_household": households,
        "by_agency": by_agency,
        "links_by_pass": by_pass,
        "share_of_links_by_pass": {k: _share(v, linked) for k, v in by_pass.items()},
        "match_probability_histogram": histogram,
        "threshold": settings.threshold,
        "min_margin_bits": settings.min_margin,
    }



STAGE = Stage("link", reads=("ident.records_std", "ident.persons_std", "ident.records_clean"),
              writes=(LINKS_TABLE, "ident.link_scores", "linkage_model"), run=link)
