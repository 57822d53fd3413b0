"""Evidence the probabilistic pass uses beyond names and dates: a mistyped BSN, another
identifier (other_id), and the guarantee that an exact namesake is always a candidate."""
from __future__ import annotations

import tomllib

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
