"""Household-level resolution and plausibility: a record that fits two members of ONE
household counts for that household; one that fits persons of two households does not; a
person born after the record's contact date is never its candidate."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from harness import memory_context, memory_db
from mpg.linkage.link import STAGE as link_stage
from mpg.linkage.standardise import STAGE as standardise_stage
from mpg.pipeline import estimate
from mpg.pipeline.config import load_linkage
from mpg.pipeline.runner import run_stage
from mpg.pipeline.stages import COUNTING
from mpg.reports import outputs

D = dt.date

# Mother and baby daughter with one name (A1); a namesake pair of men in two households
# (A2, A3); a second mother with a baby born after the records' contact date (A4).
PERSONS = [
    dict(person_id="M1", bsn="111222333", surname="Yılmaz", given_names="Fatma",
         birth_date=D(1975, 4, 12), sex="V"),
    dict(person_id="K1", surname="Yılmaz", given_names="Fatma", birth_date=D(2002, 3, 1),
         sex="V", mother_id="M1"),
    dict(person_id="J1", surname="Jansen", given_names="Pieter", birth_date=D(1970, 5, 5),
         sex="M"),
    dict(person_id="J2", surname="Jansen", given_names="Pieter", birth_date=D(1970, 5, 5),
         sex="M"),
    dict(person_id="C1", surname="Jansen", given_names="Karel", birth_date=D(1996, 1, 1),
         sex="M", father_id="J1"),
    dict(person_id="C2", surname="Jansen", given_names="Sanne", birth_date=D(1997, 2, 2),
         sex="V", father_id="J2"),
    dict(person_id="M2", bsn="123456782", surname="Öztürk", given_names="Ayşe",
         birth_date=D(1980, 6, 6), sex="V"),
    dict(person_id="K2", surname="Öztürk", given_names="Ayşe", birth_date=D(2003, 7, 1),
         sex="V", mother_id="M2"),
    dict(person_id="K3", surname="Öztürk", given_names="Emre", birth_date=D(1999, 9, 9),
         sex="M", mother_id="M2"),
]
RESIDENCES = [
    dict(person_id="M1", address_id="A1", postcode="9711AA", house_number=1,
         start_date=D(1998, 1, 1)),
    dict(person_id="K1", address_id="A1", postcode="9711AA", house_number=1,
         start_date=D(2002, 3, 1)),
    dict(person_id="J1", address_id="A2", postcode="9722BB", house_number=2,
         start_date=D(1995, 1, 1)),
    dict(person_id="C1", address_id="A2", postcode="9722BB", house_number=2,
         start_date=D(1996, 1, 1)),
    dict(person_id="J2", address_id="A3", postcode="9733CC", house_number=3,
         start_date=D(1995, 1, 1)),
    dict(person_id="C2", address_id="A3", postcode="9733CC", house_number=3,
         start_date=D(1997, 2, 2)),
    dict(person_id="M2", address_id="A4", postcode="9744DD", house_number=4,
         start_date=D(1998, 1, 1)),
    dict(person_id="K2", address_id="A4", postcode="9744DD", house_number=4,
         start_date=D(2003, 7, 1)),
    dict(person_id="K3", address_id="A4", postcode="9744DD", house_number=4,
         start_date=D(1999, 9, 9)),
]
RECORDS = [
    # 1-2 the mother, known by BSN at two agencies
    dict(agency="GELDZORG", bsn="111222333", surname="Yilmaz", birth_date=D(1975, 4, 12)),
    dict(agency="OGGZ", bsn="111222333", surname="Yilmaz", birth_date=D(1975, 4, 12)),
    # 3 mother or baby daughter? one name, no birth date, no address, at an agency of any
    # age: household level
    dict(agency="WOONKANS", surname="Yilmaz", given_names="Fatma"),
    # 4-5 and 8-9: each Pieter Jansen's household at two agencies, by name + birth date +
    # address
    dict(agency="GELDZORG", surname="Jansen", given_names="Pieter", birth_date=D(1970, 5, 5),
         postcode="9722BB", house_number=2),
    dict(agency="OGGZ", surname="Jansen", given_names="Pieter", birth_date=D(1970, 5, 5),
         postcode="9722BB", house_number=2),
    # 6 Pieter Jansen of A2 or of A3? two households: not resolved
    dict(agency="WOONKANS", surname="Jansen", given_names="Pieter",
         birth_date=D(1970, 5, 5)),
    # 7 Ayşe Öztürk, contact before her daughter's birth: only the mother is a candidate
    dict(agency="OGGZ", surname="Ozturk", given_names="Ayse", postcode="9744DD",
         house_number=4, contact_date=D(2003, 5, 1)),
    dict(agency="GELDZORG", surname="Jansen", given_names="Pieter", birth_date=D(1970, 5, 5),
         postcode="9733CC", house_number=3),
    dict(agency="OGGZ", surname="Jansen", given_names="Pieter", birth_date=D(1970, 5, 5),
         postcode="9733CC", house_number=3),
]


def _run(tmp_path, records=RECORDS, **linkage):
    con = memory_db(PERSONS, RESIDENCES, records)
    ctx = memory_context(tmp_path, linkage=load_linkage(**linkage) if linkage else None)
    run_stage(con, ctx, standardise_stage)
    report = run_stage(con, ctx, link_stage)
    for stage in COUNTING:
        run_stage(con, ctx, stage)
    return con, report, ctx


def _links(con):
    return {rid: (pid, key, hh, None if cands is None else list(cands))
            for rid, pid, key, hh, cands in con.execute("""
                SELECT r.record_id, l.person_id, l.match_key, l.household_id, l.candidate_ids
                FROM ident.links l JOIN ident.records r USING (record_key)
                ORDER BY r.record_key""").fetchall()}


def test_two_candidates_in_one_household_count_for_it(tmp_path):
    con, report, ctx = _run(tmp_path)
    links = _links(con)
    assert links["R3"] == (None, "household", "A1", ["K1", "M1"])
    assert report.metrics["link"]["resolved_at_household"] == 1
    # the research tables: no person, but the household's key and both candidates' keys
    row = con.execute("""SELECT r.person_key, r.household_key, len(r.candidate_keys),
                                o.outcome
                         FROM records r JOIN record_outcomes o USING (record_key)
                         WHERE r.record_id = 'R3'""").fetchall()[0]
    person_key, household_key, n_candidates, outcome = row
    assert person_key is None and n_candidates == 2 and outcome == "family_household"
    mother_household = con.execute("""
        SELECT m.household_key FROM memberships m JOIN ident.person_keys k USING (person_key)
        WHERE k.person_id = 'M1'""").fetchall()[0][0]
    assert household_key == mother_household
    # with it the household is known at three agencies: MULTI_AGENCY
    categories = dict(con.execute(
        "SELECT household_key, category FROM household_categories").fetchall())
    assert categories[mother_household] == "MULTI_AGENCY"
    agencies = con.execute("SELECT agencies FROM counted_households WHERE household_key = ?",
                           [mother_household]).fetchall()[0][0]
    assert list(agencies) == ["GELDZORG", "OGGZ", "WOONKANS"]

    # links.parquet, the analyst's file, names the household and the candidates
    for stage in (estimate.STAGE, outputs.STAGE):
        run_stage(con, ctx, stage)
    links_file = pd.read_parquet(ctx.stage_out / "links.parquet").set_index("record_id")
    r3 = links_file.loc["R3"]
    assert (r3.match_key, r3.household_id, sorted(r3.candidate_ids)) == \
        ("household", "A1", ["K1", "M1"]) and pd.isna(r3.person_id)


def test_candidates_in_two_households_stay_unlinked(tmp_path):
    con, _, _ = _run(tmp_path)
    pid, key, household, candidates = _links(con)["R6"]
    assert pid is None and household is None and candidates is None
    assert key == "ambiguous"
    # neither Jansen household reaches three agencies through R6
    assert con.execute("SELECT count(*) FROM household_categories WHERE category IS NOT NULL "
                       "AND n_agencies >= 3").fetchall()[0][0] == 1  # only A1
    assert con.execute("SELECT outcome FROM record_outcomes o JOIN records r "
                       "USING (record_key) WHERE r.record_id = 'R6'").fetchall()[0][0] \
        == "unlinked_records"


def test_household_resolution_can_be_switched_off(tmp_path):
    con, report, _ = _run(tmp_path, passes={"household": False})
    pid, key, household, _ = _links(con)["R3"]
    assert (pid, household) == (None, None) and key in ("ambiguous", "below_threshold")
    assert report.metrics["link"]["resolved_at_household"] == 0


def test_a_person_born_after_the_contact_is_no_candidate(tmp_path):
    con, _, _ = _run(tmp_path)
    # the baby K2 (born 2003-07-01) bears the name too, but the contact was in May
    assert _links(con)["R7"][:2] == ("M2", "probabilistic")
    candidates = {p for (p,) in con.execute(
        "SELECT person_id FROM ident.link_scores WHERE record_key = 7").fetchall()}
    assert candidates == {"M2"}
    # the same record after the birth, at an agency of any age, fits both: household level;
    # at OGGZ, which serves adults only ([ages_served]), the baby weighs far less
    later = [dict(RECORDS[6], contact_date=D(2003, 8, 1), agency="MJD"),
             dict(RECORDS[6], contact_date=D(2003, 8, 1))]
    con, _, _ = _run(tmp_path, records=later)
    links = _links(con)
    assert links["R1"][:3] == (None, "household", "A4")
    assert links["R2"][:2] == ("M2", "probabilistic")
    weights = dict(con.execute("SELECT person_id, match_weight FROM ident.link_scores "
                               "WHERE record_key = 2").fetchall())
    # (so far below that the pair may not even be kept as a candidate)
    assert weights["M2"] - weights.get("K2", -1e9) >= load_linkage().min_margin
