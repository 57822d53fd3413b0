"""The counting stages on their own, fast and in memory: households, select and profile fed
with TRUE links (no linkage), one edge case of definitions.md per test, exact counts.

    counted = count(persons, residences, records, links={record_id: person_id})

The register and the records are the tables `load` writes (tests/harness.py); standardise,
pseudonymise, households, select and profile run as declared stages."""
from __future__ import annotations

import datetime as dt

import pytest

from harness import memory_context, memory_db
from mpg.linkage import standardise
from mpg.linkage.link import LINK_COLUMNS_SQL
from mpg.pipeline import households, profile, pseudonymise, select
from mpg.pipeline.runner import run_stage

D = dt.date
REF = D(2003, 9, 1)


def person(pid, birth, sex="V", mother=None, father=None, origin="NL"):
    return dict(person_id=pid, surname=f"Naam{pid}", given_names=f"Voor{pid}",
                birth_date=birth, sex=sex, mother_id=mother, father_id=father, origin=origin)


def lives(pid, address, wijk="WK01", start=D(1998, 1, 1), end=None):
    return dict(person_id=pid, address_id=address, postcode="9711AA", house_number="1",
                neighbourhood_code=wijk, start_date=start, end_date=end)


def rec(agency, contact=D(2003, 5, 1), end=None, **kw):
    return dict(agency=agency, contact_date=contact, end_date=end, surname="x", **kw)


class Counted:
    def __init__(self, con):
        self.con = con

    def rows(self, sql, params=None):
        return self.con.execute(sql, params or []).fetchall()

    @property
    def categories(self) -> dict[str, str]:
        """{anchor person_id: category} of the counted households."""
        return dict(self.rows("""
            SELECT min(k.person_id), any_value(c.category) FROM counted_households c
            JOIN memberships m USING (household_key) JOIN ident.person_keys k USING (person_key)
            GROUP BY c.household_key"""))

    def household(self, pid: str) -> tuple:
        return self.rows("""
            SELECT h.n_adults, h.n_children, h.is_family, h.household_type
            FROM households h JOIN memberships m USING (household_key)
            JOIN ident.person_keys k USING (person_key) WHERE k.person_id = ?""", [pid])[0]

    def outcomes(self) -> dict[str, str]:
        return dict(self.rows("""SELECT r.record_id, o.outcome FROM record_outcomes o
                                 JOIN ident.records r USING (record_key)"""))


def count(tmp_path, persons, residences, records, links, *, rules=None) -> Counted:
    """The counting stages for these rows, with links given: {record_id: person_id}."""
    con = memory_db(persons, residences, records)
    ctx = memory_context(tmp_path, rules=rules)
    run_stage(con, ctx, standardise.STAGE)
    con.execute(f"CREATE TABLE ident.links ({LINK_COLUMNS_SQL})")
    con.execute("INSERT INTO ident.links (record_key) SELECT record_key FROM ident.records_std")
    for record_id, person_id in links.items():
        con.execute("""UPDATE ident.links SET person_id = ?, match_probability = 1.0,
                       match_key = 'truth' WHERE record_key =
                       (SELECT record_key FROM ident.records WHERE record_id = ?)""",
                    [person_id, record_id])
    for stage in (pseudonymise.STAGE, households.STAGE, select.STAGE, profile.STAGE):
        run_stage(con, ctx, stage)
    return Counted(con)


FAMILY = [person("M", D(1970, 1, 1)), person("F", D(1969, 1, 1), "M"),
          person("C", D(1995, 1, 1), mother="M", father="F")]
AT_HOME = [lives(p, "A1") for p in ("M", "F", "C")]


# ------------------------------------------------------------------------- households
def test_a_child_turning_18_on_the_reference_date_is_an_adult(tmp_path):
    persons = [person("M", D(1970, 1, 1)), person("C", D(1985, 9, 1), mother="M")]
    c = count(tmp_path, persons, [lives("M", "A1"), lives("C", "A1")], [], {})
    assert c.household("M") == (2, 0, False, "two_adults")


def test_who_lives_at_the_address_on_the_reference_date(tmp_path):
    persons = FAMILY + [person("X", D(1990, 1, 1))]
    residences = AT_HOME + [lives("X", "A1", end=REF),                 # left on the day
                            lives("C", "A2", start=D(1990, 1, 1), end=D(1998, 1, 1))]
    c = count(tmp_path, persons, residences, [], {})
    assert c.household("M") == (2, 1, True, "two_adults")


def test_overlapping_residences_put_a_person_in_one_household(tmp_path):
    residences = AT_HOME + [lives("C", "A9", start=D(2003, 1, 1))]  # a later, unclosed move
    c = count(tmp_path, FAMILY, residences, [], {})
    assert c.household("M") == (2, 0, False, "two_adults")
    assert c.household("C") == (0, 1, False, "more_adults")


def test_a_person_born_after_the_reference_date_is_in_no_household(tmp_path):
    persons = FAMILY + [person("B", D(2003, 10, 1), mother="M")]
    c = count(tmp_path, persons, AT_HOME + [lives("B", "A1", start=D(2003, 10, 1))], [], {})
    assert c.household("M") == (2, 1, True, "two_adults")


# ------------------------------------------------------------------------------ select
def test_bib_takes_precedence_over_multi_agency_and_the_care_network(tmp_path):
    records = [rec("BIB", record_id="b"), rec("GELDZORG", record_id="g"),
               rec("OGGZ", record_id="o"), rec("WOONKANS", record_id="w"),
               rec("ZORGNETWERK", record_id="z")]
    c = count(tmp_path, FAMILY, AT_HOME, records, {"b": "M", "g": "M", "o": "F", "w": "F",
                                                   "z": "C"})
    assert c.categories == {"C": "BIB"}
    [(qualifies,)] = c.rows("SELECT qualifies FROM household_categories")
    assert qualifies == ["BIB", "MULTI_AGENCY", "ZORGNETWERK"]


def test_mjd_counts_with_two_contacts_in_the_household_whoever_had_them(tmp_path):
    records = [rec("MJD", record_id="m1"), rec("MJD", record_id="m2"),
               rec("GELDZORG", record_id="g"), rec("OGGZ", record_id="o")]
    one = count(tmp_path / "one", FAMILY, AT_HOME, records[1:], {"m2": "F", "g": "M", "o": "M"})
    two = count(tmp_path / "two", FAMILY, AT_HOME, records,
                {"m1": "M", "m2": "F", "g": "M", "o": "M"})
    assert one.categories == {} and two.categories == {"C": "MULTI_AGENCY"}
    assert two.rows("SELECT agencies FROM counted_households") == [(["GELDZORG", "MJD", "OGGZ"],)]


def test_the_three_jeugdzorg_sources_count_as_one_agency(tmp_path):
    records = [rec("JEUGDZORG_TOEGANG", record_id="t"), rec("JEUGDZORG_VOOGDIJ", record_id="v"),
               rec("JEUGDZORG_RECLASSERING", record_id="r"), rec("GELDZORG", record_id="g")]
    c = count(tmp_path, FAMILY, AT_HOME, records, {"t": "C", "v": "C", "r": "C", "g": "M"})
    assert c.categories == {}
    assert c.rows("SELECT n_agencies FROM household_categories") == [(2,)]


@pytest.mark.parametrize("contact,end,counts", [
    (D(2002, 6, 1), None, True),              # began before the window, never ended
    (D(2002, 6, 1), D(2003, 1, 1), True),     # ended on the window's first day
    (D(2002, 6, 1), D(2002, 12, 31), False),  # ended the day before the window
    (D(2004, 6, 30), None, True),             # the window's last day
    (D(2004, 7, 1), None, False),             # after the window
])
def test_a_record_counts_when_it_was_active_in_the_window(tmp_path, contact, end, counts):
    records = [rec("BIB", contact, end, record_id="b")]
    c = count(tmp_path, FAMILY, AT_HOME, records, {"b": "M"})
    assert (c.categories == {"C": "BIB"}) is counts
    assert c.outcomes() == {"b": "family_household" if counts else "outside_window"}


def test_what_became_of_every_record(tmp_path):
    persons = FAMILY + [person("S", D(1960, 1, 1))]
    residences = AT_HOME + [lives("S", "A5")]
    records = [rec("GELDZORG", record_id="fam"), rec("GELDZORG", record_id="single"),
               rec("GELDZORG", record_id="nobody"), rec("BIJSTAND", record_id="bij"),
               dict(agency="ZORGNETWERK", contact_date=D(2003, 5, 1), record_id="anon",
                    neighbourhood_code="WK01")]
    c = count(tmp_path, persons, residences, records, {"fam": "M", "single": "S", "bij": "M"})
    assert c.outcomes() == {"fam": "family_household", "single": "no_family_household",
                            "nobody": "unlinked_records", "bij": "profile_source",
                            "anon": "anonymous_zorgnetwerk"}


# ----------------------------------------------------------------------------- profile
def test_bijstand_overlapping_the_window_and_the_children(tmp_path):
    persons = FAMILY + [person("C2", D(2000, 1, 1), mother="M", father="F")]
    residences = AT_HOME + [lives("C2", "A1", start=D(2000, 1, 1))]
    records = [rec("BIB", record_id="b"), rec("BIJSTAND", D(2000, 1, 1), D(2003, 2, 1),
                                               record_id="bij")]
    c = count(tmp_path, persons, residences, records, {"b": "M", "bij": "F"})
    assert c.rows("""SELECT category, n_adults, n_children, bijstand, household_type
                     FROM counted_households""") == [("BIB", 2, 2, True, "two_adults")]


def test_the_origin_of_mothers_and_fathers_counted_and_in_the_city(tmp_path):
    persons = [person("M", D(1970, 1, 1), origin="MA"),
               person("F", D(1969, 1, 1), "M", origin="TR"),
               person("C", D(1995, 1, 1), mother="M", father="F"),
               person("M2", D(1971, 1, 1), origin="NL"),
               person("C3", D(1996, 1, 1), mother="M2")]
    residences = AT_HOME + [lives("M2", "A2"), lives("C3", "A2")]
    c = count(tmp_path, persons, residences, [rec("BIB", record_id="b")], {"b": "C"})
    assert c.rows("SELECT role, scope, origin, n FROM profile_origin ORDER BY ALL") == [
        ("fathers", "city", "TR", 1), ("fathers", "counted", "TR", 1),
        ("mothers", "city", "MA", 1), ("mothers", "city", "NL", 1),
        ("mothers", "counted", "MA", 1)]
