"""The probabilistic pass: Splink on DuckDB, records_std against persons_std.

Every Splink table holds names and dates, so Splink works inside the `ident` database
(`USE ident` while it runs) and its `__splink__*` tables are dropped afterwards. Splink logs
at WARNING and its messages carry no values; exceptions from Splink are re-raised without
the SQL (which could quote a value).

A person born after a record's contact date is no candidate of that record: such pairs
are dropped before the candidates are weighed.

Writes `ident.link_scores` (record_key, person_id, match_weight, pair_probability,
match_probability, rank, weight_margin = weight above the next candidate, NULL for the last;
and the gamma_* level of each comparison): the scored candidate pairs, which
`linkage.tune` reads to draw threshold curves and pick pairs for clerical review.

`pair_probability` is Splink's: the pair judged on its own, as if every other register person
might still agree with the record just as well. `match_probability` also weighs what the rest
of the register showed: the record names one person, or nobody in the register (a share
1 - expected_link_rate of records), so a candidate's probability is its odds over the odds of
all the record's candidates plus that "nobody" (see `candidate_probability_sql`). A record
whose name, without birth date or address, fits exactly one register person gets a high
probability; the same record fitting two namesakes gets at most one half for each.
"""
from __future__ import annotations

import copy
import json
import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from splink.internals.exceptions import SplinkException

from mpg.linkage.link import BORN_BY_CONTACT, DECIDED_COLUMNS
from mpg.linkage.model import (BASE_DIALECT, PERSONS, RECORDS, probability_to_weight,
                               splink_settings)
from mpg.linkage.standardise import LINK_COLUMNS
from mpg.pipeline import sql
from mpg.pipeline.config import LinkageSettings

SCORES = "ident.link_scores"
WITHIN_SURNAME = "given_in_surname"  # tf column whose frequency is within the surname group
WITHIN_SURNAME_PRIOR = 20  # persons' worth of the register-wide frequency in each group
KNOWN = "known"  # the comparison whose m is measured on the deterministic links (known_m)
DETERMINISTIC_KEYS = ("review", "bsn", "name_dob_address")
CANDIDATE_FLOOR_BITS = 6.0
KNOWN_MIN_LINKS = 50  # deterministic links needed to measure the m of `known`
# Pairs that agree exactly on these are always scored, whatever their weight (a near-veto
# level learned by EM must not hide a namesake with the same birth date from the margin rule).
EXACT_NAME_RULE = ("l.surname_stem = r.surname_stem and l.given_first = r.given_first "
                   "and l.birth_date = r.birth_date")
MODEL_TABLE = "linkage_model"  # main database: the trained model as JSON (no personal data)
# For developers on synthetic data only: keep Splink's own exception (it may quote values).
_DEBUG = bool(os.environ.get("MPG_LINKAGE_DEBUG"))
# Splink warns for every comparison level an EM session cannot train (expected: a session
# blocking on birth date learns nothing about birth dates); the bureau's terminal shows
# only real errors. The trained m and u values are in linkage_model.json.
SPLINK_LOG_LEVEL = logging.ERROR
# What Splink accepts as an m or u probability (splink.internals.comparison_level).
M_U_FLOOR = 1e-300
# EM sums over pairs in parallel, so the last digits of m and u differ between identical
# runs; rounded to this many significant digits, the same delivery gives the same bytes.
SIGNIFICANT_DIGITS = 10
# How a training step fails on a delivery it cannot learn from (an EM blocking rule that
# finds no pairs, an m that underflows): the model is put back as it was before the step,
# and the run says so on the console and in run.json. Anything else is a bug and stops it.
TRAINING_FAILURES = (ValueError, ZeroDivisionError, ArithmeticError, duckdb.Error,
                     SplinkException)


class LinkageError(RuntimeError):
    """Splink failed; the message names the step, never a value."""


@contextmanager
def inside_ident(con: duckdb.DuckDBPyConnection):
    """Run with `ident` as the default database, then restore the caller's default and drop
    every table Splink left behind."""
    # fetchall, never fetchone: this DuckDB refuses con.sql() while a result is unfinished,
    # and Splink uses con.sql().
    database, schema = con.execute("SELECT current_database(), current_schema()").fetchall()[0]
    con.execute("USE ident")
    try:
        yield
    finally:
        drop_splink_tables(con)
        con.execute(f'USE "{database}"."{schema}"')


def drop_splink_tables(con: duckdb.DuckDBPyConnection) -> None:
    for schema, name, kind in con.execute("""
            SELECT schema_name, table_name, 'TABLE' FROM duckdb_tables()
            WHERE database_name = 'ident' AND (table_name LIKE '\\_\\_splink\\_\\_%' ESCAPE '\\'
                                               OR table_name LIKE '\\_splink\\_%' ESCAPE '\\')
            UNION ALL
            SELECT schema_name, view_name, 'VIEW' FROM duckdb_views()
            WHERE database_name = 'ident' AND (view_name LIKE '\\_\\_splink\\_\\_%' ESCAPE '\\'
                                               OR view_name LIKE '\\_splink\\_%' ESCAPE '\\')
            """).fetchall():
        con.execute(f'DROP {kind} IF EXISTS ident."{schema}"."{name}"')


def quiet_splink() -> None:
    logging.getLogger("splink").setLevel(SPLINK_LOG_LEVEL)


def build_linker(con: duckdb.DuckDBPyConnection, settings: LinkageSettings, n_persons: int,
                 model: dict | Path | None = None, m_fixed: dict | None = None,
                 blocking_rules: list[dict] | None = None,
                 tables: tuple[str, str] = ("_splink_records", "_splink_persons"),
                 term_frequencies=None):
    """A Linker on `_splink_records` / `_splink_persons` (which must exist in ident, the
    current default database). With `model` (a trained model or its JSON file) its
    parameters are used instead of the priors; `m_fixed` ({(comparison, label): m}) sets
    the m of levels measured outside EM (known_m); `blocking_rules` replaces the model's;
    `tables` are other input tables, and `term_frequencies` another Linker whose term
    frequencies (of the whole delivery) they use."""
    from splink import DuckDBAPI, Linker
    db_api = DuckDBAPI(connection=con)
    records = db_api.register(tables[0], dataset_display_name=RECORDS)
    persons = db_api.register(tables[1], dataset_display_name=PERSONS)
    if isinstance(model, (str, Path)):
        model = json.loads(Path(model).read_text(encoding="utf-8"))
    if model is None:
        model = splink_settings(settings, n_persons)
    else:
        model = {**floored(model), "linker_uid": None}  # fresh: no clash with cached tables
    model = copy.deepcopy(model)
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            key = (comparison["output_column_name"], level.get("label_for_charts"))
            if m_fixed and key in m_fixed:
                level["m_probability"] = m_fixed[key]
    if blocking_rules is not None:
        model["blocking_rules_to_generate_predictions"] = blocking_rules
    linker = Linker([records, persons], model, log_level=SPLINK_LOG_LEVEL)
    quiet_splink()
    if term_frequencies is not None:
        for column in {level["tf_adjustment_column"] for c in model["comparisons"]
                       for level in c["comparison_levels"]
                       if level.get("tf_adjustment_column")} - {WITHIN_SURNAME}:
            linker.table_management.register_term_frequency_lookup(
                term_frequencies.table_management.compute_tf_table(column), column)
    _register_within_surname_tf(con, linker, db_api, model)
    return linker, db_api


def _register_within_surname_tf(con: duckdb.DuckDBPyConnection, linker, db_api,
                                model: dict) -> None:
    """The term frequency of `given_in_surname` is that of the given name WITHIN its
    surname group in the register (n(surname, given) / n(surname)), not of the whole name
    among everybody: a level that agrees on both is then worth log2(m / f(given|surname))
    on top of the surname's own tf-adjusted weight, so a full name common in one group
    weighs what it should."""
    used = any(level.get("tf_adjustment_column") == WITHIN_SURNAME
               for c in model["comparisons"] for level in c["comparison_levels"])
    if not used:
        return
    if not sql.table_exists(con, "ident._splink_tf_within_surname"):
        _within_surname_table(con)
    table = db_api.register("_splink_tf_within_surname")
    linker.table_management.register_term_frequency_lookup(table, WITHIN_SURNAME)


def _within_surname_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"""
        CREATE OR REPLACE TABLE ident._splink_tf_within_surname AS
        WITH named AS (SELECT {WITHIN_SURNAME}, surname_stem, given_first
                       FROM ident._splink_persons WHERE {WITHIN_SURNAME} IS NOT NULL),
        given AS (SELECT given_first, count(*) / sum(count(*)) OVER () AS f
                  FROM named GROUP BY given_first),
        pairs AS (SELECT {WITHIN_SURNAME}, any_value(given_first) AS given_first,
                         count(*) AS n,
                         sum(count(*)) OVER (PARTITION BY any_value(surname_stem)) AS n_surname
                  FROM named GROUP BY {WITHIN_SURNAME})
        -- a small surname group says little about its given names: shrunk towards the
        -- given name's frequency in the whole register
        SELECT p.{WITHIN_SURNAME},
               (p.n + $prior * g.f) / (p.n_surname + $prior) AS tf_{WITHIN_SURNAME}
        FROM pairs p JOIN given g USING (given_first)""", {"prior": WITHIN_SURNAME_PRIOR})


def prior_model(settings: LinkageSettings, n_persons: int) -> dict:
    """The untrained model, as a Linker would save it (Splink's settings as a dict)."""
    from splink import SettingsCreator
    creator = SettingsCreator.from_path_or_dict(splink_settings(settings, n_persons))
    return floored(creator.get_settings("duckdb").as_dict())


def floored(model: dict) -> dict:
    """The model with every m and u at least what Splink accepts, rounded (see
    SIGNIFICANT_DIGITS), and no random linker id: the saved model is the same bytes for the
    same delivery."""
    model = copy.deepcopy(model)
    model.pop("linker_uid", None)
    for comparison in model.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            for key in ("m_probability", "u_probability"):
                value = level.get(key)
                if isinstance(value, float):
                    level[key] = max(float(f"{value:.{SIGNIFICANT_DIGITS}g}"), M_U_FLOOR)
    return model


def _known_links(decided: str | None) -> str:
    """(record_key, person_id, agency) of the deterministic links made so far."""
    if decided is None:
        return ("(SELECT NULL::BIGINT AS record_key, NULL::VARCHAR AS person_id, "
                "NULL::VARCHAR AS agency WHERE false)")
    keys = ", ".join(sql.literal(k) for k in DETERMINISTIC_KEYS)
    return f"""(SELECT d.record_key, d.person_id, r.agency FROM {decided} d
                JOIN ident.records_std r USING (record_key)
                WHERE d.person_id IS NOT NULL AND d.match_key IN ({keys}))"""


def _input_tables(con: duckdb.DuckDBPyConnection, decided: str | None = None,
                  reference_date=None) -> tuple[int, int]:
    """Splink's two input tables: LINK_COLUMNS plus what the deterministic links in
    `decided` tell (agencies_known: the agencies whose records are linked to the person;
    household_agencies_known: to the members of their household on `reference_date`; a
    record's own agency on its side), as text '|A|B|' ('' = none)."""
    from mpg.pipeline.pseudonymise import residence_on_reference_date_sql
    columns = ", ".join(LINK_COLUMNS)
    con.execute("DROP TABLE IF EXISTS ident._splink_tf_within_surname")
    con.execute(f"CREATE OR REPLACE TABLE ident._splink_records AS "
                f"SELECT {columns}, '|' || agency || '|' AS agencies_known, "
                f"'|' || agency || '|' AS household_agencies_known FROM ident.records_std")
    household = (f"SELECT person_id, address_id FROM ({residence_on_reference_date_sql()})"
                 if reference_date is not None else
                 "SELECT NULL::VARCHAR AS person_id, NULL::VARCHAR AS address_id WHERE false")
    con.execute(f"""
        CREATE OR REPLACE TABLE ident._splink_persons AS
        WITH known AS {_known_links(decided)},
        home AS ({household}),
        own AS (SELECT person_id, list(DISTINCT agency ORDER BY agency) AS agencies
                FROM known GROUP BY person_id),
        family AS (
            SELECT h.person_id, list(DISTINCT k.agency ORDER BY k.agency) AS agencies
            FROM home h JOIN home m ON m.address_id = h.address_id
            JOIN known k ON k.person_id = m.person_id GROUP BY h.person_id)
        SELECT {", ".join("p." + c for c in LINK_COLUMNS)},
               coalesce('|' || array_to_string(o.agencies, '|') || '|', '') AS agencies_known,
               coalesce('|' || array_to_string(coalesce(f.agencies, o.agencies), '|') || '|',
                        '') AS household_agencies_known
        FROM ident.persons_std p
        LEFT JOIN own o ON o.person_id = p.uid LEFT JOIN family f ON f.person_id = p.uid
    """, {"ref": reference_date} if reference_date is not None else None)
    n_records = con.execute("SELECT count(*) FROM ident._splink_records").fetchall()[0][0]
    n_persons = con.execute("SELECT count(*) FROM ident._splink_persons").fetchall()[0][0]
    return n_records, n_persons


def known_m(con: duckdb.DuckDBPyConnection, settings: LinkageSettings,
            decided: str | None, reference_date) -> dict:
    """m of the `known` comparison's levels, measured on the deterministic links: for each
    linked record, which level its own person shows when that record is left out (the
    same agency, or another, knows the person or their household through OTHER records).
    EM cannot learn these: the records it trains on include the linked ones, whose own
    link would count. {(comparison, label): m}; {} without the comparison or links."""
    comparison = next((c for c in settings.splink.comparisons
                       if c.output_column_name == KNOWN), None)
    if comparison is None:
        return {}
    levels = [lv for lv in comparison.comparison_levels if not lv.is_null_level]
    # Too few links to measure: the comparison says nothing (m = u at every level), for
    # where nothing is linked nobody is known, match or not.
    neutral = {(KNOWN, lv.label_for_charts): lv.u_probability for lv in levels}
    if decided is None or reference_date is None:
        return neutral
    from mpg.pipeline.pseudonymise import residence_on_reference_date_sql
    # Each record against the others: a group of links it belongs to with two or more
    # members has another one.
    counts = con.execute(f"""
        WITH known AS {_known_links(decided)},
        home AS (SELECT person_id, address_id FROM ({residence_on_reference_date_sql()})),
        k AS (SELECT known.*, coalesce(h.address_id, 'person:' || known.person_id) AS home
              FROM known LEFT JOIN home h USING (person_id)),
        judged AS (
            SELECT count(*) OVER (PARTITION BY person_id, agency) > 1 AS same_person,
                   count(*) OVER (PARTITION BY home, agency) > 1 AS same_household,
                   count(*) OVER (PARTITION BY person_id) > 1 AS other_person,
                   count(*) OVER (PARTITION BY home) > 1 AS other_household,
                   -- without another record of its own agency in the household (the
                   -- levels below same_household), the others' agencies are all but its own
                   count(DISTINCT agency) OVER (PARTITION BY home) - 1 >= 2 AS two_others
            FROM k)
        SELECT count(*) FILTER (same_person),
               count(*) FILTER (NOT same_person AND same_household),
               count(*) FILTER (NOT same_household AND two_others),
               count(*) FILTER (NOT same_household AND NOT two_others AND other_person),
               count(*) FILTER (NOT same_household AND NOT two_others AND NOT other_person
                                AND other_household),
               count(*) FILTER (NOT other_household)
        FROM judged""", {"ref": reference_date}).fetchall()[0]
    total = sum(counts)
    if total < KNOWN_MIN_LINKS or len(levels) != len(counts):
        return neutral
    return {(KNOWN, lv.label_for_charts): max(n / total, 1e-3) for lv, n in zip(levels, counts)}


@dataclass
class Training:
    """How training went: counts for run.json and warnings the bureau must see."""

    trained: bool = False
    reason: str = ""
    u_estimated: bool = False
    em_sessions: int = 0
    em_failed: int = 0
    warnings: list[str] = field(default_factory=list)

    def facts(self) -> dict:
        out = {"trained": self.trained}
        if self.reason:
            out["reason"] = self.reason
        if self.trained:
            out.update(u_estimated=self.u_estimated, em_sessions=self.em_sessions,
                       em_failed=self.em_failed)
        return out


def train(con: duckdb.DuckDBPyConnection, settings: LinkageSettings, n_persons: int,
          n_records: int, apis: list, m_fixed: dict | None = None) -> tuple[dict, Training]:
    """u by random sampling and m by EM when the delivery is large enough; else the priors.
    Returns the model (Splink's settings dict) and how training went. A step that fails
    leaves the model exactly as it was before the step (a deep copy of Splink's settings
    object, trained values and their history included, is put back)."""
    options = settings.training
    linker, db_api = build_linker(con, settings, n_persons, m_fixed=m_fixed)
    apis.append(db_api)
    if n_records < options.min_records:
        return floored(linker.misc.save_model_to_json()), Training(
            reason=f"fewer than {options.min_records} records: priors")
    training = Training(trained=True)
    steps = [("u estimation by random sampling",
              lambda lk: lk.training.estimate_u_using_random_sampling(
                  max_pairs=options.u_max_pairs, seed=options.seed))]
    steps += [(f"EM session blocked on {rule!r}",
               lambda lk, rule=rule: lk.training.estimate_parameters_using_expectation_maximisation(
                   rule, fix_u_probabilities=True, max_pairs=options.em_max_pairs))
              for rule in options.em_blocking_rules]
    for index, (name, step) in enumerate(steps):
        # The whole model as it stands, with the history of values each level was trained
        # to in earlier sessions (Splink averages them): what a failed step is undone to.
        before = copy.deepcopy(linker._settings_obj)
        try:
            step(linker)
        except duckdb.InterruptException:
            raise KeyboardInterrupt from None
        except TRAINING_FAILURES as exc:
            training.warnings.append(
                f"linkage training: the {name} failed ({type(exc).__name__}); the model "
                "keeps the values it had before that step, so links rest on fewer trained "
                "parameters than the settings ask for")
            if index:
                training.em_failed += 1
            linker._settings_obj = before
            continue
        if index:
            training.em_sessions += 1
        else:
            training.u_estimated = True
            linker, db_api = build_linker(
                con, settings, n_persons,
                model=without_matches_in_u(floored(linker.misc.save_model_to_json())))
            apis.append(db_api)
    return floored(linker.misc.save_model_to_json()), training


def without_matches_in_u(model: dict) -> dict:
    """u estimated by random sampling counts the true matches among the sampled pairs too:
    a share lambda (probability_two_random_records_match) of them, agreeing at each level
    with probability m. For an identifier that share is all the agreement there is (each
    record of FEBRL has its person in a register of 5000: lambda = 1/5000, the sampled u
    of "same id" about lambda * m), and its weight would cancel the prior. Each sampled u
    becomes (u - lambda * m) / (1 - lambda) with the level's prior m, and never less than
    a hundredth of what was sampled; levels with a fixed u keep theirs."""
    model = copy.deepcopy(model)
    share = float(model.get("probability_two_random_records_match") or 0.0)
    if not 0 < share < 1:
        return model
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            u, m = level.get("u_probability"), level.get("m_probability")
            if level.get("is_null_level") or level.get("fix_u_probability") \
                    or not isinstance(u, float) or not isinstance(m, float):
                continue
            level["u_probability"] = max((u - share * m) / (1 - share), u / 100)
    return model


EMPTY_SCORES = """CREATE OR REPLACE TABLE ident.link_scores (record_key BIGINT,
    person_id VARCHAR, match_weight DOUBLE, pair_probability DOUBLE, match_probability DOUBLE,
    rank BIGINT, weight_margin DOUBLE)"""


def score(con: duckdb.DuckDBPyConnection, settings: LinkageSettings,
          decided: str | None = None, reference_date=None
          ) -> tuple[dict | None, Training, dict]:
    """Train on every record, then score the records not in `decided` into
    ident.link_scores. Returns the trained model (None: nothing to compare), how training
    went and the sizes compared."""
    with inside_ident(con):
        n_records, n_persons = _input_tables(con, decided, reference_date)
        if not n_records or not n_persons:
            con.execute(EMPTY_SCORES)
            return None, Training(reason="nothing to compare"), {}
        undecided = n_records - (sql.scalar(con, f"SELECT count(*) FROM {decided}")
                                 if decided else 0)
        if not undecided and n_records < settings.training.min_records:
            # Nothing left to score and nothing to train on: the model is the priors, and
            # Splink need not start (small deliveries the deterministic passes link fully).
            con.execute(EMPTY_SCORES)
            return prior_model(settings, n_persons), Training(
                reason=f"fewer than {settings.training.min_records} records: priors"), {
                "records": n_records, "persons": n_persons}
        apis: list = []
        try:
            m_fixed = known_m(con, settings, decided, reference_date)
            model, training = train(con, settings, n_persons, n_records, apis, m_fixed)
            # Records a deterministic pass linked need no scores: predict on the rest only.
            if decided:
                con.execute(f"DELETE FROM ident._splink_records WHERE CAST(uid AS BIGINT) IN "
                            f"(SELECT record_key FROM {decided})")
            linker, db_api = build_linker(con, settings, n_persons, model=model)
            apis.append(db_api)
            # Pairs far below the threshold can neither link nor stand in the way of a link.
            # (kept down to CANDIDATE_FLOOR_BITS below even 0.5, whatever the margin: the
            # clerical review, `mpg tune` and the unlinked reasons see the close ones)
            floor = probability_to_weight(min(settings.threshold, 0.5)) - max(
                settings.min_margin, CANDIDATE_FLOOR_BITS)
            predictions = linker.inference.predict(threshold_match_weight=floor,
                                                   warning_mode="never")
            # ... but a person with the record's surname, given name and birth date is
            # always its candidate, however low the other comparisons put the pair: the
            # few such pairs the floor dropped are scored again on their own, with the
            # term frequencies of the whole delivery.
            scored = _with_exact_namesakes(con, settings, n_persons, model, linker,
                                           predictions.physical_name, apis)
            _store_scores(con, scored, settings)
        except duckdb.InterruptException:
            raise KeyboardInterrupt from None
        except (SplinkException, duckdb.Error, ValueError) as exc:
            # Splink's messages may quote SQL with values: only the kind is kept.
            raise LinkageError(f"the probabilistic linkage (Splink) failed: "
                               f"{type(exc).__name__}") from (exc if _DEBUG else None)
        finally:
            for api in apis:
                try:
                    api.delete_tables_created_by_splink_from_db()
                except duckdb.Error:  # the context manager drops what is left
                    pass
        return model, training, {"records": n_records, "persons": n_persons}


def _with_exact_namesakes(con: duckdb.DuckDBPyConnection, settings: LinkageSettings,
                          n_persons: int, model: dict, linker, predictions: str,
                          apis: list) -> str:
    """The predictions plus the pairs agreeing on EXACT_NAME_RULE that they lack; returns
    the name of the table (in ident) that holds both."""
    def oriented(table: str) -> str:
        return f"""(SELECT CASE WHEN source_dataset_l = '{RECORDS}' THEN uid_l ELSE uid_r END
                       AS record_uid,
                   CASE WHEN source_dataset_l = '{RECORDS}' THEN uid_r ELSE uid_l END
                       AS person_uid, * FROM ident."{table}")"""

    con.execute(f"""
        CREATE OR REPLACE TABLE ident._splink_missing AS
        SELECT r.uid AS record_uid, p.uid AS person_uid
        FROM ident._splink_records r JOIN ident._splink_persons p
             ON {EXACT_NAME_RULE.replace("l.", "p.")}
        ANTI JOIN {oriented(predictions)} s ON s.record_uid = r.uid AND s.person_uid = p.uid""")
    if not sql.scalar(con, "SELECT count(*) FROM ident._splink_missing"):
        return predictions
    con.execute("""CREATE OR REPLACE TABLE ident._splink_records_x AS
                   SELECT * FROM ident._splink_records WHERE uid IN
                   (SELECT record_uid FROM ident._splink_missing)""")
    con.execute("""CREATE OR REPLACE TABLE ident._splink_persons_x AS
                   SELECT * FROM ident._splink_persons WHERE uid IN
                   (SELECT person_uid FROM ident._splink_missing)""")
    exact, db_api = build_linker(
        con, settings, n_persons, model=model,
        blocking_rules=[{"blocking_rule": EXACT_NAME_RULE, "sql_dialect": BASE_DIALECT}],
        tables=("_splink_records_x", "_splink_persons_x"), term_frequencies=linker)
    apis.append(db_api)
    namesakes = exact.inference.predict(warning_mode="never")
    con.execute(f"""
        CREATE OR REPLACE TABLE ident._splink_scored AS
        SELECT * FROM ident."{predictions}"
        UNION ALL BY NAME
        SELECT n.* EXCLUDE (record_uid, person_uid) FROM {oriented(namesakes.physical_name)} n
        SEMI JOIN ident._splink_missing m USING (record_uid, person_uid)""")
    return "_splink_scored"


def save_model(con: duckdb.DuckDBPyConnection, model: dict | None) -> None:
    """The trained model, as the table the run writes to OUT/linkage_model.json."""
    con.execute(f"CREATE OR REPLACE TABLE {MODEL_TABLE} (model VARCHAR)")
    if model is not None:
        con.execute(f"INSERT INTO {MODEL_TABLE} VALUES (?)", [json.dumps(model, indent=2)])


def stored_model(con: duckdb.DuckDBPyConnection) -> dict | None:
    rows = con.execute(f"SELECT model FROM {MODEL_TABLE}").fetchall()
    return json.loads(rows[0][0]) if rows else None


def candidate_probability_sql(expected_link_rate: float) -> str:
    """P(this candidate is the record's person | all its candidates), as SQL over rows that
    carry match_weight (bits, prior included) and best_weight (the record's highest).

    The record names one register person (prior expected_link_rate, spread evenly) or none.
    With o_k = 2^w_k the posterior odds Splink gives candidate k on its own, the candidate's
    probability is o_j / ((1 - expected_link_rate) + sum_k o_k): the other register persons
    are judged too, and those Splink did not score agree too little to count. Computed
    relative to the record's best weight so that 2^w neither overflows nor underflows."""
    return (f"pow(2.0, match_weight - best_weight) / ("
            f"{1.0 - expected_link_rate!r} * pow(2.0, -best_weight) + "
            # in one order every time: a sum in another order differs in its last digits
            f"sum(pow(2.0, match_weight - best_weight)) OVER (PARTITION BY record_key "
            f"ORDER BY person_id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))")


def _store_scores(con: duckdb.DuckDBPyConnection, predictions: str,
                  settings: LinkageSettings) -> None:
    """Orient each pair as record -> person, rank a record's candidates by weight."""
    columns = [c for (c,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = 'ident' "
        f"AND table_name = '{predictions}'").fetchall()]
    gammas = [c for c in columns if c.startswith("gamma_")]
    gamma_sql = "".join(f", {g}" for g in gammas)
    con.execute(f"""
        CREATE OR REPLACE TABLE {SCORES} AS
        WITH oriented AS (
            SELECT CAST(CASE WHEN source_dataset_l = '{RECORDS}' THEN uid_l ELSE uid_r END
                        AS BIGINT) AS record_key,
                   CASE WHEN source_dataset_l = '{RECORDS}' THEN uid_r ELSE uid_l END
                       AS person_id,
                   match_weight, match_probability AS pair_probability{gamma_sql}
            FROM ident."{predictions}"),
        plausible AS (
            -- a person born after the record's contact date cannot be its person
            SELECT o.* FROM oriented o
            JOIN ident.records_std r USING (record_key)
            JOIN ident.persons_std p ON p.person_id = o.person_id
            WHERE {BORN_BY_CONTACT}),
        weighed AS (
            SELECT *, max(match_weight) OVER (PARTITION BY record_key) AS best_weight
            FROM plausible)
        SELECT record_key, person_id, match_weight, pair_probability,
               {candidate_probability_sql(settings.expected_link_rate)} AS match_probability,
               row_number() OVER (PARTITION BY record_key
                                  ORDER BY match_weight DESC, person_id) AS rank,
               match_weight - lead(match_weight) OVER (
                   PARTITION BY record_key ORDER BY match_weight DESC, person_id)
                   AS weight_margin{gamma_sql}
        FROM weighed
    """)


def select_links(con: duckdb.DuckDBPyConnection, settings: LinkageSettings, decided: str,
                 vetoes: str, threshold: float | None = None,
                 min_margin: float | None = None) -> str:
    """SQL of (record_key, person_id, match_probability) that the probabilistic pass links:
    the best candidate not vetoed, at least `threshold`, `min_margin` bits above the next."""
    threshold = settings.threshold if threshold is None else threshold
    min_margin = settings.min_margin if min_margin is None else min_margin
    return f"""
        WITH candidates AS (
            SELECT s.record_key, s.person_id, s.match_weight, s.match_probability,
                   row_number() OVER (PARTITION BY s.record_key
                                      ORDER BY s.match_weight DESC, s.person_id) AS rank
            FROM {SCORES} s
            WHERE s.record_key NOT IN (SELECT record_key FROM {decided})
              AND NOT EXISTS (SELECT 1 FROM {vetoes} v WHERE v.record_key = s.record_key
                              AND v.person_id = s.person_id)),
        best AS (
            SELECT b.record_key, b.person_id, b.match_probability,
                   b.match_weight - coalesce(n.match_weight, -1e9) AS margin
            FROM candidates b
            LEFT JOIN candidates n ON n.record_key = b.record_key AND n.rank = 2
            WHERE b.rank = 1)
        SELECT record_key, person_id, match_probability FROM best
        WHERE match_probability >= {threshold} AND margin >= {min_margin}
    """


def probabilistic_pass(con: duckdb.DuckDBPyConnection, settings: LinkageSettings,
                       decided: str, vetoes: str, *, threshold: float | None = None,
                       rescore: bool = True, reference_date=None
                       ) -> tuple[str, Training, dict]:
    """Score (unless `rescore` is False: the scores of an earlier call are reused), then
    link at `threshold` (default the settings'). Returns a relation (record_key,
    best_probability, unlinked_reason) of every scored record, how training went and the
    sizes compared."""
    if rescore:
        model, training, sizes = score(con, settings, decided, reference_date)
        save_model(con, model)
    else:
        training, sizes = Training(reason="scores reused"), {}
    threshold = settings.threshold if threshold is None else threshold
    con.execute(f"""
        INSERT INTO {decided} ({DECIDED_COLUMNS})
        SELECT record_key, person_id, match_probability, 'probabilistic'
        FROM ({select_links(con, settings, decided, vetoes, threshold=threshold)})
    """)
    # Why a scored record stayed unlinked: every candidate was rejected in review; the best
    # one was strong enough on its own but others fit the record too (ambiguous); or the best
    # one was too weak even on its own.
    best = f"""(
        SELECT s.record_key,
               max(s.match_probability) FILTER (WHERE v.record_key IS NULL) AS best_probability,
               CASE WHEN count(*) FILTER (WHERE v.record_key IS NULL) = 0
                        THEN 'rejected_in_review'
                    WHEN max(greatest(s.match_probability, s.pair_probability))
                             FILTER (WHERE v.record_key IS NULL) >= {float(threshold)!r}
                        THEN 'ambiguous'
                    ELSE 'below_threshold' END AS unlinked_reason
        FROM {SCORES} s LEFT JOIN {vetoes} v USING (record_key, person_id)
        GROUP BY s.record_key)"""
    return best, training, sizes
