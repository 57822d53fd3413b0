"""Linkage on hand-made register and record tables in an in-memory DuckDB."""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from stdnum.nl import bsn as stdnum_bsn

from harness import memory_context, memory_db
from mpg.linkage.link import STAGE as link_stage
from mpg.linkage.standardise import STAGE as standardise_stage
from mpg.linkage.standardise import create_macros, identity_features, load_nicknames
from mpg.pipeline import contracts
from mpg.pipeline.config import load_linkage
from mpg.pipeline.runner import run_stage

D = dt.date

def make_db(persons, residences, records):
    return memory_db(persons, residences, records)


def ctx_for(tmp_path, review_db=None, **update):
    settings = load_linkage(**update) if update else load_linkage()
    return memory_context(tmp_path, linkage=settings, review_db=review_db)


def run(con, ctx):
    run_stage(con, ctx, standardise_stage)
    run_stage(con, ctx, link_stage)
    return {rid: (pid, key) for rid, pid, key in con.execute("""
        SELECT r.record_id, l.person_id, l.match_key FROM ident.links l
        JOIN ident.records r USING (record_key) ORDER BY r.record_key""").fetchall()}


DETERMINISTIC = dict(passes={"probabilistic": False})

# A small street: father and son with one name, twins, a family that moved, a married woman.
PERSONS = [
    dict(person_id="P1", bsn="123456782", surname="Berg", prefix="van der", given_names="Jan",
         birth_date=D(1968, 7, 19), sex="M"),
    dict(person_id="P2", surname="Berg", prefix="van der", given_names="Jan",
         birth_date=D(1992, 12, 2), sex="M", father_id="P1"),
    dict(person_id="P3", surname="Jong", prefix="de", given_names="Tim",
         birth_date=D(2000, 1, 1), sex="M"),
    dict(person_id="P4", surname="Jong", prefix="de", given_names="Tom",
         birth_date=D(2000, 1, 1), sex="M"),
    dict(person_id="P5", surname="Dijk", prefix="van", given_names="Femke",
         birth_date=D(1983, 2, 28), sex="V"),
    dict(person_id="P6", surname="Öztürk", given_names="Ayşe", birth_date=D(1967, 12, 12),
         sex="V"),
    dict(person_id="P7", surname="Smit", given_names="Cornelis", birth_date=D(1965, 3, 3),
         sex="M"),
]
RESIDENCES = [
    dict(person_id="P1", address_id="A1", postcode="9713HX", house_number=101,
         start_date=D(1990, 1, 1)),
    dict(person_id="P2", address_id="A1", postcode="9713HX", house_number=101,
         start_date=D(1992, 12, 2)),
    dict(person_id="P3", address_id="A2", postcode="9711AA", house_number=1,
         start_date=D(2000, 1, 1)),
    dict(person_id="P4", address_id="A2", postcode="9711AA", house_number=1,
         start_date=D(2000, 1, 1)),
    dict(person_id="P5", address_id="A3", postcode="9733CE", house_number=140,
         start_date=D(1999, 1, 1), end_date=D(2003, 6, 1)),
    dict(person_id="P5", address_id="A4", postcode="9711BC", house_number=8,
         start_date=D(2003, 6, 1)),
    dict(person_id="P6", address_id="A5", postcode="9733BD", house_number=19,
         start_date=D(1990, 1, 1)),
    dict(person_id="P7", address_id="A5", postcode="9733BD", house_number=19,
         start_date=D(1990, 1, 1)),
]


def test_deterministic_passes_link_exactly(tmp_path):
    records = [
        # 1 valid BSN + birth date: bsn
        dict(bsn="123456782", surname="Anders", birth_date=D(1968, 7, 19)),
        # 2 valid BSN + surname (prefix in the surname field), no birth date: bsn
        dict(bsn="1234 567 82", surname="van der Berg"),
        # 3 invalid BSN (fails the 11-proof): treated as absent, nothing else -> not linked
        dict(bsn="123456789", surname="Berg", given_names="J."),
        # 4 valid BSN that disagrees on both birth date and surname: not linked by BSN
        dict(bsn="123456782", surname="Visser", birth_date=D(1950, 1, 1)),
        # 5 the son: surname + birth date + address at the contact date
        dict(surname="Berg vd", given_names="Jan", birth_date=D(1992, 12, 2),
             postcode="9713 hx", house_number=101),
        # 6 twins share surname, birth date and address: ambiguous, no link
        dict(surname="de Jong", birth_date=D(2000, 1, 1), postcode="9711AA", house_number=1),
        # 7 the old address was valid on the contact date
        dict(surname="Dijk", prefix="van", birth_date=D(1983, 2, 28), postcode="9733CE",
             house_number=140, contact_date=D(2003, 3, 15)),
        # 8 ... but not after the move: no deterministic link
        dict(surname="Dijk", prefix="van", birth_date=D(1983, 2, 28), postcode="9733CE",
             house_number=140, contact_date=D(2003, 7, 1)),
        # 9 married name of the partner at the same address
        dict(surname="Smit-Ozturk", given_names="A.", birth_date=D(1967, 12, 12),
             postcode="9733BD", house_number=19),
        # 10 "Berg, van der" (surname first), the father's birth date and address
        dict(surname="Berg, van der", birth_date=D(1968, 7, 19), postcode="9713HX",
             house_number=101),
    ]
    con = make_db(PERSONS, RESIDENCES, records)
    got = run(con, ctx_for(tmp_path, **DETERMINISTIC))
    assert got == {
        "R1": ("P1", "bsn"),
        "R2": ("P1", "bsn"),
        "R3": (None, None),
        "R4": (None, None),
        "R5": ("P2", "name_dob_address"),
        "R6": (None, None),
        "R7": ("P5", "name_dob_address"),
        "R8": (None, None),
        "R9": ("P6", "name_dob_address"),
        "R10": ("P1", "name_dob_address"),
    }


def test_links_has_one_row_per_non_anonymous_record(tmp_path):
    records = [dict(surname="Berg", birth_date=D(1968, 7, 19)),
               dict(agency="ZORGNETWERK", neighbourhood_code="WK01", is_anonymous=True),
               dict(agency="BIJSTAND", surname="Smit", in_window=False)]
    con = make_db(PERSONS, RESIDENCES, records)
    got = run(con, ctx_for(tmp_path, **DETERMINISTIC))
    assert sorted(got) == ["R1", "R3"]
    types = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() "
                             "WHERE database_name = 'ident' AND table_name = 'links'").fetchall())
    assert types == {"record_key": "BIGINT", "person_id": "VARCHAR",
                     "match_probability": "DOUBLE", "match_key": "VARCHAR",
                     "household_id": "VARCHAR", "candidate_ids": "VARCHAR[]"}


def _features(con, **columns):
    row = {"k": 1, "bsn": None, "surname": None, "prefix": None, "given_names": None} | columns
    con.execute("CREATE OR REPLACE TEMP TABLE src AS SELECT ?::INT AS k, ?::VARCHAR AS bsn, "
                "?::VARCHAR AS surname, ?::VARCHAR AS prefix, ?::VARCHAR AS given_names",
                [row["k"], row["bsn"], row["surname"], row["prefix"], row["given_names"]])
    identity_features(con, "temp.src", "k", "ident.feat")
    return con.execute("SELECT * FROM ident.feat").df().iloc[0]


def _surname_keys(con, surname, prefix=None):
    f = _features(con, surname=surname, prefix=prefix)
    return f.surname_stem, list(f.surname_keys)


@pytest.fixture(scope="module")
def macros():
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS ident")
    settings = load_linkage()
    create_macros(con, settings.name_prefixes)
    load_nicknames(con, settings.nicknames_path)
    return con


@pytest.mark.parametrize("surname,prefix,glued", [
    ("Berg", "van der", "vanderberg"), ("van der Berg", None, "vanderberg"),
    ("vanderBerg", None, "vanderberg"), ("Berg, van der", None, "vanderberg"),
    ("Berg vd", None, "vdberg"), ("BERG", "V.D.", "vdberg"), ("Berg v.d.", None, "vdberg"),
    ("  berg ", "Van Der", "vanderberg"),
])
def test_surname_forms_share_the_stem(macros, surname, prefix, glued):
    """Every way of writing "van der Berg" has the stem berg; the glued form keeps the
    voorvoegsel as written (vd or van der), so both keys are there to match on."""
    stem, keys = _surname_keys(macros, surname, prefix)
    assert stem == "berg"
    assert sorted(keys) == sorted([glued, "berg"])


@pytest.mark.parametrize("surname,expected", [
    ("Öztürk", "ozturk"), ("Ozturk", "ozturk"), ("Yılmaz", "yilmaz"), ("YILMAZ", "yilmaz"),
    ("El Idrissi", "elidrissi"), ("'t Hart", "hart"), ("de Vries", "vries"),
])
def test_surname_stems(macros, surname, expected):
    assert _surname_keys(macros, surname)[0] == expected


def test_double_names_keep_their_parts(macros):
    stem, keys = _surname_keys(macros, "Jansen-de Vries")
    assert {"jansen", "vries"} <= set(keys)
    assert {"smit", "ozturk"} <= set(_surname_keys(macros, "Smit - Öztürk")[1])


@pytest.mark.parametrize("given,first,initials", [
    ("Jan Pieter", "jan", "jp"), ("J.P.", None, "jp"), ("JP", None, "jp"), ("j p", None, "jp"),
    ("Ayşe", "ayse", "a"), ("Jan-Willem", "jan", "jw"),
])
def test_given_names(macros, given, first, initials):
    f = _features(macros, given_names=given)
    assert (None if f.given_first is None else f.given_first) == first
    assert f.initials == initials


@pytest.mark.parametrize("given,group", [("Kees", "cornelis"), ("Cornelis", "cornelis"),
                                         ("Henk", "hendrik"), ("Truus", "geertruida"),
                                         ("Piet", "pieter"), ("Jan", "johannes")])
def test_nicknames(macros, given, group):
    assert group in list(_features(macros, given_names=given).given_groups)


@pytest.mark.parametrize("raw,expected", [
    ("9733 ac", "9733AC"), ("9733AC", "9733AC"), (" 9733  Ac ", "9733AC"), ("0733AC", None),
    ("9733", None), (None, None),
])
def test_postcodes(macros, raw, expected):
    assert macros.execute("SELECT mpg_postcode(?)", [raw]).fetchall()[0][0] == expected


def test_bsn_11_proof_equals_stdnum(macros):
    import random
    rng = random.Random(7)
    samples = ["123456782", "111222333", "999999990", "000000000", "12345678", "1234 567 82",
               "123.456.782", "12345678X", "", "1234567820", "0123456782", "99999999"]
    samples += [str(rng.randrange(10 ** 7, 10 ** 9)) for _ in range(3000)]
    samples.append("123456782.0")  # a BSN read from a spreadsheet cell as a number
    macros.execute("CREATE OR REPLACE TEMP TABLE src (k INT, bsn VARCHAR, surname VARCHAR, "
                   "prefix VARCHAR, given_names VARCHAR)")
    macros.executemany("INSERT INTO src VALUES (?, ?, NULL, NULL, NULL)",
                       list(enumerate(samples)))
    identity_features(macros, "temp.src", "k", "ident.feat")
    got = dict(macros.execute("SELECT k, bsn FROM ident.feat").fetchall())
    for k, s in enumerate(samples[:-1]):
        assert (got[k] is not None) == stdnum_bsn.is_valid(s), s
        if got[k] is not None:
            assert got[k] == stdnum_bsn.compact(s)
    assert got[len(samples) - 1] == "123456782"


# --- the probabilistic pass ------------------------------------------------------------

FAMILY = PERSONS + [
    dict(person_id="P8", surname="Jansen", given_names="Pieter", birth_date=D(1970, 5, 5),
         sex="M"),
    dict(person_id="P9", surname="Jansen", given_names="Pieter", birth_date=D(1970, 5, 5),
         sex="M"),
    dict(person_id="P10", surname="Yılmaz", given_names="Elif", birth_date=D(1980, 1, 30),
         sex="V"),
    dict(person_id="P11", surname="Bakker", given_names="Hendrik Jan",
         birth_date=D(1960, 10, 10), sex="M"),
]
FAMILY_RESIDENCES = RESIDENCES + [
    dict(person_id="P8", address_id="A6", postcode="9711CC", house_number=3,
         start_date=D(1995, 1, 1)),
    dict(person_id="P9", address_id="A7", postcode="9744DD", house_number=70,
         house_number_addition="B", start_date=D(1995, 1, 1)),
    dict(person_id="P10", address_id="A8", postcode="9713JA", house_number=55,
         start_date=D(1998, 1, 1)),
    dict(person_id="P11", address_id="A9", postcode="9711AA", house_number=44,
         start_date=D(1998, 1, 1)),
]


def test_probabilistic_pass_links_variants_and_keeps_look_alikes_apart(tmp_path):
    records = [
        # 1 son: surname misspelt (no deterministic pass), first name, birth date
        dict(surname="vd Bergh", given_names="Jan", birth_date=D(1992, 12, 2)),
        # 2 father or son? name only, no birth date, no address: ambiguous
        dict(surname="van der Berg", given_names="Jan"),
        # 3 twins: the first name decides
        dict(surname="de Jong", given_names="Tom", birth_date=D(2000, 1, 1)),
        # 4 twins with one initial for both: ambiguous
        dict(surname="Jong", prefix="de", given_names="T.", birth_date=D(2000, 1, 1)),
        # 5 two Pieter Jansens born the same day: the address on the contact date decides
        dict(surname="Jansen", given_names="Piet", birth_date=D(1970, 5, 5),
             postcode="9744 dd", house_number=70),
        # 6 ... and without an address they stay apart (R5 puts P9 at MJD, but a delivery
        # this small has too few links to measure what that is worth: `known` is neutral)
        dict(agency="GELDZORG", surname="Jansen", given_names="Pieter",
             birth_date=D(1970, 5, 5)),
        # 7 nickname and day/month swapped
        dict(surname="Smit", given_names="Kees", birth_date=D(1965, 3, 3)),
        dict(surname="Bakker", given_names="Henk", birth_date=D(1960, 10, 10)),
        # 9 dotless i, no address
        dict(surname="YILMAZ", given_names="E", birth_date=D(1980, 1, 30)),
        # 10 a birth date typo and the old address
        dict(surname="van Dijk", given_names="Femke", birth_date=D(1983, 2, 18),
             postcode="9733CE", house_number=140, contact_date=D(2004, 1, 1)),
        # 11 someone the register does not know
        dict(surname="Hoekstra", given_names="Willem", birth_date=D(1977, 7, 7),
             bsn="999999990"),
    ]
    con = make_db(FAMILY, FAMILY_RESIDENCES, records)
    got = run(con, ctx_for(tmp_path))
    assert {rid: pid for rid, (pid, _) in got.items()} == {
        "R1": "P2", "R2": None, "R3": "P4", "R4": None, "R5": "P9", "R6": None,
        "R7": "P7", "R8": "P11", "R9": "P10", "R10": "P5", "R11": None}
    # Pieter Jansen twice with one birth date: both candidates are strong, neither wins.
    assert got["R6"][1] == "ambiguous"
    # Father and son with one name at one address, twins with one initial: one household
    # either way, so the record counts for it (linkage.link.household_pass).
    assert got["R2"][1] == got["R4"][1] == "household"
    assert got["R11"][1] is None  # no candidate at all
    # the link stage hands the model on as a table; the run writes linkage_model.json
    from mpg.linkage.probabilistic import stored_model
    model = stored_model(con)
    assert [c["output_column_name"] for c in model["comparisons"]] == [
        c.output_column_name for c in load_linkage().splink.comparisons]


def test_candidate_probability_weighs_a_candidate_against_the_others_and_nobody():
    from mpg.linkage.probabilistic import candidate_probability_sql
    con = duckdb.connect()
    # record 1: one candidate at odds 1 (weight 0); 2: two at odds 1; 3: odds 2^20 and 2^6
    con.execute("""CREATE TABLE s AS SELECT * FROM (VALUES (1, 'a', 0.0), (2, 'a', 0.0),
                   (2, 'b', 0.0), (3, 'a', 20.0), (3, 'b', 6.0)) t(record_key, person_id,
                   match_weight)""")
    got = {(k, i): p for k, i, p in con.execute(f"""
        SELECT record_key, person_id, {candidate_probability_sql(0.95)}
        FROM (SELECT *, max(match_weight) OVER (PARTITION BY record_key) AS best_weight FROM s)
        """).fetchall()}
    assert got[(1, "a")] == pytest.approx(1 / 1.05)  # Splink alone would say 0.5
    assert got[(2, "a")] == got[(2, "b")] == pytest.approx(1 / 2.05)
    assert got[(3, "a")] == pytest.approx(2 ** 20 / (0.05 + 2 ** 20 + 2 ** 6))
    assert got[(3, "a")] + got[(3, "b")] < 1  # what is left is "nobody in the register"


def test_a_name_alone_links_when_one_person_bears_it_and_not_when_two_do(tmp_path):
    records = [
        dict(surname="Ozturk", given_names="Ayse"),            # one Ayşe Öztürk: P6
        dict(surname="Jansen", given_names="Pieter"),          # two Pieter Jansens: nobody
    ]
    con = make_db(FAMILY, FAMILY_RESIDENCES, records)
    got = run(con, ctx_for(tmp_path))
    assert got["R1"] == ("P6", "probabilistic")
    assert got["R2"][0] is None
    scores = con.execute("""SELECT r.record_id, s.pair_probability, s.match_probability
        FROM ident.link_scores s JOIN ident.records r USING (record_key)
        WHERE s.rank = 1 ORDER BY r.record_id""").fetchall()
    (_, pair_1, candidate_1), (_, pair_2, candidate_2) = scores
    assert pair_1 < 0.9 <= candidate_1  # Splink alone would not have linked it
    assert candidate_2 < 0.5  # the two Pieter Jansens share the record


def test_client_number_ties_a_clients_records_to_one_person(tmp_path):
    """MJD contacts of one client: the full one links by BSN; a contact with a name only,
    which two register persons bear (P8 and P9, both Pieter Jansen), follows its client."""
    records = [
        # client K1: BSN + birth date of P9, then a contact with a name only
        dict(client_id="K1", bsn="111222333", surname="Jansen", given_names="Pieter",
             birth_date=D(1970, 5, 5)),
        dict(client_id="K1", surname="Jansen", given_names="Pieter"),
        # ... and one whose birth date is another's: the client number does not override it
        dict(client_id="K1", surname="Jansen", given_names="Pieter", birth_date=D(1944, 1, 9)),
        # client K2: its records link to two persons (one number for two clients): nothing
        dict(client_id="K2", bsn="111222333", surname="Jansen", given_names="Pieter",
             birth_date=D(1970, 5, 5)),
        dict(client_id="K2", surname="Smit", given_names="Kees", birth_date=D(1965, 3, 3),
             bsn="123456782"),
        dict(client_id="K2", surname="Jansen", given_names="Pieter"),
        # the same client number at another agency is another client
        dict(agency="OGGZ", client_id="K1", surname="Jansen", given_names="Pieter"),
    ]
    persons = [dict(p, bsn="111222333") if p["person_id"] == "P9" else p for p in FAMILY]
    persons = [dict(p, bsn="123456782") if p["person_id"] == "P7" else
               (dict(p, bsn=None) if p["person_id"] == "P1" else p) for p in persons]
    # Without the probabilistic pass: it would link R2 itself, MJD knowing P9 through R1.
    con = make_db(persons, FAMILY_RESIDENCES, records)
    got = run(con, ctx_for(tmp_path, **DETERMINISTIC))
    assert got["R1"] == ("P9", "bsn") and got["R5"] == ("P7", "bsn")
    assert got["R2"] == ("P9", "client")
    assert got["R3"][0] is None
    assert got["R6"][0] is None
    assert got["R7"][0] is None
    off = run(make_db(persons, FAMILY_RESIDENCES, records),
              ctx_for(tmp_path, passes={"client": False, "probabilistic": False}))
    assert off["R2"][0] is None


def test_splink_leaves_nothing_behind_and_restores_the_default_database(tmp_path):
    con = make_db(FAMILY, FAMILY_RESIDENCES, [dict(surname="Smit", given_names="Kees",
                                                   birth_date=D(1965, 3, 3))])
    con.execute("CREATE TABLE main.marker (x INT)")
    run(con, ctx_for(tmp_path))
    assert con.execute("SELECT current_database()").fetchall()[0][0] == "memory"
    tables = con.execute("SELECT database_name, table_name FROM duckdb_tables()").fetchall()
    assert ("memory", "marker") in tables
    # outside ident only what the stages declare (Splink works inside ident)
    declared = {t for stage in (standardise_stage, link_stage) for t in stage.writes}
    declared |= {t.name for t in contracts.LOADED} | {"marker"}
    assert not [t for t in tables if t[0] != "ident" and t[1] not in declared]
    assert not [t for t in tables if "splink" in t[1]]


def test_review_decisions_are_obeyed(tmp_path):
    from mpg.linkage.review import import_reviews
    records = [dict(surname="Smit", given_names="Kees", birth_date=D(1965, 3, 3)),
               dict(surname="van der Berg", given_names="Jan"),
               dict(bsn="123456782", surname="Berg", prefix="van der",
                    birth_date=D(1968, 7, 19))]
    review_csv = tmp_path / "identifying_clerical_review.csv"
    review_csv.write_text(
        "agency,file,record_id,person_id,match_probability,decision\n"
        "MJD,f.csv,R1,P7,0.99,non_match\n"   # the reviewer says: not Cornelis Smit
        "MJD,f.csv,R2,P1,0.5,match\n"        # the father
        "MJD,f.csv,R3,P1,1.0,\n", encoding="utf-8")  # undecided: skipped
    store = tmp_path / "reviews.duckdb"
    assert import_reviews(review_csv, store) == {"match": 1, "non_match": 1, "skipped": 1}
    con = make_db(FAMILY, FAMILY_RESIDENCES, records)
    ctx = ctx_for(tmp_path, review_db=store)
    got = run(con, ctx)
    assert got == {"R1": (None, "rejected_in_review"), "R2": ("P1", "review"),
                   "R3": ("P1", "bsn")}


@pytest.mark.slow
def test_trained_model_links_a_generated_city(tmp_path):
    """u by sampling and m by EM on a small hard city (bench generator): high F1."""
    from bench.linkage import _load_tables, generated_city, score
    task = generated_city(n_persons=6000, n_records=1500, seed=3)
    con = duckdb.connect()
    _load_tables(con, task)
    settings = load_linkage()
    ctx = ctx_for(tmp_path, training={**settings.training.model_dump(), "min_records": 500})
    run_stage(con, ctx, standardise_stage)
    metrics = run_stage(con, ctx, link_stage).metrics
    assert metrics["link"]["training"]["trained"]
    # every EM session of the settings trained (none found no pairs)
    assert metrics["link"]["training"]["em_sessions"] == len(
        settings.training.em_blocking_rules) == 3
    assert metrics["warnings"] == []
    links = con.execute("SELECT record_key, person_id FROM ident.links "
                        "WHERE person_id IS NOT NULL").df()
    result = score(task, links)
    assert result["precision"] >= 0.995 and result["f1"] >= 0.97, result


def test_no_records_gives_an_empty_links_table(tmp_path):
    con = make_db(PERSONS, RESIDENCES, [])
    assert run(con, ctx_for(tmp_path)) == {}
    ctx = ctx_for(tmp_path)
    run_stage(con, ctx, standardise_stage)
    assert run_stage(con, ctx, link_stage).metrics["link"]["records"] == 0


def test_records_of_a_register_without_residences_still_link(tmp_path):
    con = make_db(PERSONS, [], [dict(surname="Smit", given_names="Cornelis",
                                     birth_date=D(1965, 3, 3))])
    assert run(con, ctx_for(tmp_path)) == {"R1": ("P7", "probabilistic")}


def test_neighbourhood_and_initials_separate_namesakes(tmp_path):
    """A care-network report gives a wijk, not an address: the namesake who lived in that
    wijk in the contact year weighs more. Initials the register does not have ("M.J." for
    a Mirjam) speak against a person; "M." for Marcel Jeroen does not."""
    persons = [
        dict(person_id="N1", surname="Hassan", given_names="Amira", birth_date=D(1970, 1, 1),
             sex="V"),
        dict(person_id="N2", surname="Hassan", given_names="Amira", birth_date=D(1975, 6, 6),
             sex="V"),
        dict(person_id="V1", surname="Vries", prefix="de", given_names="Marcel Jeroen",
             birth_date=D(1977, 8, 24), sex="M"),
        dict(person_id="V2", surname="Vries", prefix="de", given_names="Mirjam",
             birth_date=D(1977, 8, 24), sex="V"),
    ]
    residences = [
        dict(person_id="N1", address_id="B1", postcode="9711AA", house_number=1,
             neighbourhood_code="WK07", start_date=D(1995, 1, 1)),
        dict(person_id="N2", address_id="B2", postcode="9722BB", house_number=2,
             neighbourhood_code="WK13", start_date=D(1995, 1, 1)),
        dict(person_id="V1", address_id="B3", postcode="9733CC", house_number=3,
             start_date=D(1995, 1, 1)),
        dict(person_id="V2", address_id="B4", postcode="9744DD", house_number=4,
             start_date=D(1995, 1, 1)),
    ]
    records = [
        dict(agency="ZORGNETWERK", surname="Hassan", given_names="Amira",
             neighbourhood_code="WK13"),
        dict(agency="WOONKANS", surname="de Vries", given_names="M.J.",
             birth_date=D(1977, 8, 24)),
    ]
    con = make_db(persons, residences, records)
    run(con, ctx_for(tmp_path))
    std = dict(con.execute("""SELECT uid, neighbourhood_years FROM ident.persons_std
                               WHERE uid IN ('N1', 'N2')""").fetchall())
    assert "WK13:2003" in std["N2"] and std["N1"] == ["WK07:2003"]
    weights = {(k, p): w for k, p, w in con.execute(
        "SELECT record_key, person_id, match_weight FROM ident.link_scores").fetchall()}
    # (N1 may fall so far behind that the pair is not even kept as a candidate)
    assert weights[(1, "N2")] - weights.get((1, "N1"), float("-inf")) > 3
    assert weights[(2, "V1")] - weights[(2, "V2")] >= load_linkage().min_margin
