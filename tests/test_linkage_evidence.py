"""Evidence the probabilistic pass uses beyond names and dates: a mistyped BSN, another
identifier (other_id), and the guarantee that an exact namesake is always a candidate."""
from __future__ import annotations

import tomllib

import duckdb
import pytest

from harness import memory_context, memory_db
from mpg.linkage.link import STAGE as link_stage
from mpg.linkage.standardise import STAGE as standardise_stage
from mpg.pipeline.config import DEFAULT_LINKAGE, load_linkage
from mpg.pipeline.runner import run_stage

from test_linkage import D, FAMILY, FAMILY_RESIDENCES

# P8 and P9 are two Pieter Jansens born on one day; P8's BSN is 111222333.
PERSONS = [dict(p, bsn="111222333") if p["person_id"] == "P8" else p for p in FAMILY]


def _run(tmp_path, records, persons=PERSONS, **linkage):
    con = memory_db(persons, FAMILY_RESIDENCES, records)
    ctx = memory_context(tmp_path, linkage=load_linkage(**linkage) if linkage else None)
    run_stage(con, ctx, standardise_stage)
    run_stage(con, ctx, link_stage)
    return con, {rid: (pid, key) for rid, pid, key in con.execute("""
        SELECT r.record_id, l.person_id, l.match_key FROM ident.links l
        JOIN ident.records r USING (record_key) ORDER BY r.record_key""").fetchall()}


def test_a_bsn_one_typo_from_the_persons_decides_between_namesakes(tmp_path):
    records = [
        # P8's BSN with its last digit wrong (fails the 11-proof), and one transposition
        dict(bsn="111222334", surname="Jansen", given_names="Pieter", birth_date=D(1970, 5, 5)),
        dict(bsn="111223233", surname="Jansen", given_names="Pieter", birth_date=D(1970, 5, 5)),
        # no BSN: the two stay apart
        dict(surname="Jansen", given_names="Pieter", birth_date=D(1970, 5, 5)),
    ]
    con, got = _run(tmp_path, records)
    assert got["R1"] == ("P8", "probabilistic") and got["R2"] == ("P8", "probabilistic")
    assert got["R3"][0] is None
    mistyped = dict(con.execute("SELECT r.record_id, s.bsn_mistyped FROM ident.records_std s "
                                "JOIN ident.records r USING (record_key)").fetchall())
    assert mistyped == {"R1": "111222334", "R2": "111223233", "R3": None}


def test_other_id_is_evidence_when_the_tables_carry_it(tmp_path):
    con = memory_db(PERSONS, FAMILY_RESIDENCES, [
        dict(surname="Jansen", given_names="Pieter", birth_date=D(1970, 5, 5)),
        dict(surname="Jansen", given_names="Pieter", birth_date=D(1970, 5, 5))])
    for table in ("register_persons", "records"):
        con.execute(f"ALTER TABLE ident.{table} ADD COLUMN other_id VARCHAR")
    con.execute("UPDATE ident.register_persons SET other_id = 'SOFI-7791091' "
                "WHERE person_id = 'P9'")
    con.execute("UPDATE ident.records SET other_id = 'sofi 7791091' WHERE record_key = 1")
    ctx = memory_context(tmp_path)
    run_stage(con, ctx, standardise_stage)
    run_stage(con, ctx, link_stage)
    got = dict(con.execute("SELECT record_key, person_id FROM ident.links").fetchall())
    assert got == {1: "P9", 2: None}


def test_an_exact_namesake_is_always_a_candidate(tmp_path):
    """Even when another comparison all but vetoes the pair (here: the sex comparison
    with a different sex made near-impossible), a person with the record's surname, given
    name and birth date is scored, so the margin rule sees them."""
    splink = tomllib.loads(DEFAULT_LINKAGE.read_text(encoding="utf-8"))["splink"]
    for comparison in splink["comparisons"]:
        if comparison["output_column_name"] == "sex":
            comparison["comparison_levels"][-1]["m_probability"] = 1e-30
    records = [dict(surname="Smit", given_names="Cornelis", birth_date=D(1965, 3, 3),
                    sex="V")]
    con, got = _run(tmp_path, records, splink=splink)
    scored = {p for (p,) in con.execute("SELECT person_id FROM ident.link_scores").fetchall()}
    assert "P7" in scored
    assert got["R1"][0] is None  # scored, and far too weak to link


def test_a_household_two_other_agencies_know_is_a_level_of_its_own(tmp_path):
    """P8 and P9 share name and birth date. GELDZORG and OGGZ link P8 by BSN, so for an MJD
    record with only name and birth date P8 shows "two or more other agencies know the
    household" (a namesake seldom does), P9 "not known". How much that weighs is measured
    on the links of a real delivery (known_m, below); this small one has too few of them,
    so the comparison stays neutral and the two stay apart."""
    records = [
        dict(agency="GELDZORG", bsn="111222333", surname="Jansen", given_names="Pieter",
             birth_date=D(1970, 5, 5)),
        dict(agency="OGGZ", bsn="111222333", surname="Jansen", given_names="Pieter",
             birth_date=D(1970, 5, 5)),
        dict(surname="Jansen", given_names="Pieter", birth_date=D(1970, 5, 5)),
    ]
    con, got = _run(tmp_path, records)
    assert got == {"R1": ("P8", "bsn"), "R2": ("P8", "bsn"), "R3": (None, "ambiguous")}
    from mpg.linkage import probabilistic
    probabilistic._input_tables(con, "ident.links", D(2004, 1, 1))
    known = next(c for c in load_linkage().splink.comparisons
                 if c.output_column_name == probabilistic.KNOWN)
    first_level = " ".join(f"WHEN {lv.sql_condition} THEN {lv.label_for_charts!r}"
                           for lv in known.comparison_levels if lv.sql_condition != "ELSE")
    columns = ("contact_date", "agencies_known", "household_agencies_known")
    pairs = ", ".join(f"r.{c} AS {c}_l, p.{c} AS {c}_r" for c in columns)
    shown = dict(con.execute(f"""
        SELECT uid_r, CASE {first_level} ELSE 'not known' END FROM (
            SELECT {pairs}, p.uid AS uid_r FROM ident._splink_records r, ident._splink_persons p
            WHERE CAST(r.uid AS VARCHAR) = '3' AND p.uid IN ('P8', 'P9'))""").fetchall())
    assert shown == {"P8": "two or more other agencies know the household", "P9": "not known"}


def test_known_m_sorts_each_deterministic_link_by_what_its_other_links_show(monkeypatch):
    """Each link is judged against the OTHER links of its person and household (address on
    the reference date); the expected shares are counted by hand below."""
    from mpg.linkage import probabilistic
    from mpg.pipeline.config import load_linkage

    monkeypatch.setattr(probabilistic, "KNOWN_MIN_LINKS", 1)
    homes = {"A": "H1", "B": "H1", "C": "H2", "C2": "H2", "C3": "H2", "D": "H3", "E": "H4",
             "F1": "H5", "F2": "H5"}
    links = [("A", "MJD"), ("A", "MJD"),         # same agency, same person: level 1 (2)
             ("F1", "MJD"), ("F2", "MJD"),       # same agency, same household: level 2 (2)
             ("C", "OGGZ"), ("C2", "BIB"), ("C3", "ZAR"),  # two others each: level 3 (3)
             ("E", "WOONKANS"), ("E", "OGGZ"),   # one other agency, same person: level 4 (2)
             ("B", "GELDZORG"),                  # A's MJD in the household: level 5 (1)
             ("D", "MJD")]                       # nobody else: level 6 (1)
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS ident")
    con.execute("CREATE TABLE ident.records_std (record_key BIGINT, agency VARCHAR)")
    con.execute("CREATE TABLE ident.person_addresses (person_id VARCHAR, address_id VARCHAR, "
                "neighbourhood_code VARCHAR, start_date DATE, end_date DATE)")
    con.execute("CREATE TABLE ident.decided (record_key BIGINT, person_id VARCHAR, "
                "match_key VARCHAR)")
    for key, (person, agency) in enumerate(links, start=1):
        con.execute("INSERT INTO ident.records_std VALUES (?, ?)", [key, agency])
        con.execute("INSERT INTO ident.decided VALUES (?, ?, 'bsn')", [key, person])
    for person, home in homes.items():
        con.execute("INSERT INTO ident.person_addresses VALUES (?, ?, 'WK01', DATE '1990-01-01',"
                    " NULL)", [person, home])
    m = probabilistic.known_m(con, load_linkage(), "ident.decided", D(2004, 1, 1))
    assert [round(v * 11) for v in m.values()] == [2, 2, 3, 2, 1, 1]
    assert [label for _, label in m] == [
        "same agency knows the person", "same agency knows the household",
        "two or more other agencies know the household", "another agency knows the person",
        "another agency knows the household", "not known"]


def test_a_postcode_with_two_characters_swapped_still_finds_the_address(tmp_path):
    """Two Pieter Jansens born on one day: P8 at 9711CC 3, P9 at 9744DD 70B. A record at
    "9171CC 3" (two digits swapped) goes to P8, as the unswapped one does. The priors are
    taken as written (for a register like the reference one): in a register of eleven
    persons chance agreement on an address is common, and the swap is no evidence."""
    records = [dict(surname="Jansen", given_names="Pieter", birth_date=D(1970, 5, 5),
                    postcode=postcode, house_number=3) for postcode in ("9171cc", "9711CC")]
    defaults = tomllib.loads(DEFAULT_LINKAGE.read_text(encoding="utf-8"))["priors"]
    con, got = _run(tmp_path, records, persons=FAMILY,
                    priors=dict(defaults, reference_register_size=len(FAMILY)))
    near = {rid: set(keys) for rid, keys in con.execute(
        "SELECT r.record_id, s.address_near_keys FROM ident.records_std s "
        "JOIN ident.records r USING (record_key)").fetchall()}
    # 9171CC swapped: 1971, 9711, 9117; 9711CC: 7911, 9171 (its two 1s and two Cs swap into
    # themselves)
    assert near == {"R1": {"1971CC 3", "9711CC 3", "9117CC 3"},
                    "R2": {"7911CC 3", "9171CC 3"}}
    assert got["R1"] == ("P8", "probabilistic")
    assert got["R2"][0] == "P8"


def test_in_a_tiny_register_another_address_is_no_evidence_for_a_match(tmp_path):
    """Scaled to eleven persons, the u of the address levels once took more than all pairs,
    "another address" was left with u = 1e-6 and counted 16 bits FOR the match: the record
    at a swapped postcode went to the Pieter Jansen who never lived near it."""
    records = [dict(surname="Jansen", given_names="Pieter", birth_date=D(1970, 5, 5),
                    postcode="9171CC", house_number=3)]
    _, got = _run(tmp_path, records, persons=FAMILY)
    assert got["R1"][0] != "P9"
    from mpg.linkage.model import prior_u
    settings = load_linkage()
    address = next(c for c in settings.splink.comparisons if c.output_column_name == "address")
    scaled = {e.partition("/")[2] for e in settings.priors.scale_u if e.startswith("address/")}
    assert len(scaled) == 4
    us = prior_u(address, scaled, 11, 1_000_000)
    levels = address.comparison_levels
    assert levels[-1].sql_condition == "ELSE" and us[-1] == pytest.approx(0.5)
    ratios = [u / lv.u_probability for u, lv in zip(us, levels) if lv.label_for_charts in scaled]
    assert sum(u for u, lv in zip(us, levels) if lv.label_for_charts in scaled) == (
        pytest.approx(0.5))
    assert ratios == pytest.approx([ratios[0]] * 4)
