"""One test per rule of ../shared/spec/definitions.md, each on a tiny delivery.

Every test asserts the whole summary.json (outputs.md) with exact numbers. Defaults of the
builder: reference date 2003-09-01, window 2003-01-01..2004-06-30; records carry BSN, name
and birth date of their person, so linkage is unambiguous unless the test is about linkage.

Readings of the spec these tests rely on (the worked example confirms each):
- a BIB record of a household that is not a family household also counts in
  not_counted.no_family_household (example: B-02 of H4, no_family_household = 5);
- BIJSTAND records are profile data: one outside the window is not counted in
  not_counted.outside_window (example: U-3 ended 2002-06-30, outside_window = 2).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from builder import Delivery, bsn_numbers
from conftest import (REPO, assert_summary, expected_summary, neighbourhood_table,
                      read_links, run_delivery)

# Full runs of the pipeline: end-to-end cases, run by `pytest -m e2e` (CI runs them all).
pytestmark = pytest.mark.e2e

NEIGHBOURHOOD_COLUMNS = ["neighbourhood_code", "neighbourhood_name", "family_households", "bib",
                         "multi_agency", "zorgnetwerk", "mpg_total",
                         "share_of_family_households", "share_of_mpg"]


def households_table(out: Path) -> list[tuple[str, int, int]]:
    import pandas as pd

    df = pd.read_parquet(out / "households.parquet")
    return sorted((str(r.category), int(r.n_adults), int(r.n_children)) for r in df.itertuples())


# --------------------------------------------------------------------- household & family
def test_bib_household_whose_children_are_all_adults_is_not_counted(delivery: Delivery, out_dir):
    d = delivery
    counted = d.family("A1", "WK01", adults=["1970-02-03"], children=["1995-06-07"])
    grown = d.family("A2", "WK01", adults=["1955-03-04"], children=["1980-04-05", "1983-05-06"])
    d.source("BIB", [d.record(counted.mother, "2003-02-10"), d.record(grown.mother, "2003-03-10"),
                     d.record(grown.children[0], "2003-04-10")])

    s = run_delivery(d, out_dir)

    # bib_without_children counts households (1), no_family_household counts records (2)
    assert_summary(s, expected_summary(
        d, family_households=1, bib=1, bib_without_children=1, single_parent=1,
        children_per_household={"1": 1}, no_family_household=2))


def test_age_exactly_18_on_the_reference_date_is_an_adult(delivery: Delivery, out_dir):
    d = delivery  # reference date 2003-09-01
    eighteen_today = d.family("A1", "WK01", adults=["1960-01-01"], children=["1985-09-01"])
    eighteen_tomorrow = d.family("A2", "WK01", adults=["1961-02-02"], children=["1985-09-02"])
    # an 18-year-old and a 13-year-old: two adults and one child
    mixed = d.family("A3", "WK01", adults=["1962-03-03"], children=["1985-08-31", "1990-04-04"])
    d.source("BIB", [d.record(h.mother, "2003-03-01")
                     for h in (eighteen_today, eighteen_tomorrow, mixed)])

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(
        d, family_households=2, bib=2, bib_without_children=1, no_family_household=1,
        single_parent=1, two_adults=1, children_per_household={"1": 2}))


def test_household_is_who_lives_at_the_address_on_the_reference_date(delivery: Delivery,
                                                                      out_dir):
    d = delivery
    h = d.family("A1", "WK01", adults=["1970-01-10", "1968-02-20"], children=["1996-03-30"])
    # the father left on 2003-05-01 to live alone: on the reference date he is in no family
    d.move_person(h.father, "A2", "WK01", on="2003-05-01")
    # the grandfather left the city (his residence ended, no new one)
    gp = d.person("1940-04-04", sex="M")
    d.live(gp, "A3", "WK01", postcode="9799ZZ", house_number=99, end="2003-04-01")
    d.source("GELDZORG", [d.record(h.father, "2003-06-01"), d.record(gp, "2003-02-01")])
    d.source("WOONKANS", [d.record(h.mother, "2003-06-01")])
    d.source("OGGZ", [d.record(h.mother, "2003-07-01")])

    s = run_delivery(d, out_dir)

    # A1 (mother + child) has 2 agencies; the father's and grandfather's records link to
    # persons in no family household on the reference date.
    assert_summary(s, expected_summary(d, family_households=1, no_family_household=2))


def test_residence_boundaries_on_the_reference_date(delivery: Delivery, out_dir):
    """A residence holds on the reference date when it starts on or before it and has not
    ended on or before it (ARCHITECTURE.md: start <= d < end)."""
    d = delivery  # reference date 2003-09-01
    moved_in = d.family("A1", "WK01", adults=["1970-01-01"])
    child_in = d.person("1995-01-01", sex="M", surname=moved_in.adult.surname,
                        mother=moved_in.adult)
    d.live(child_in, "A9", "WK01", postcode="9799AA", house_number=1, end="2003-09-01")
    d.live(child_in, "A1", "WK01", postcode=moved_in.postcode,
           house_number=moved_in.house_number, start="2003-09-01")   # moves in on the day
    left = d.family("A2", "WK01", adults=["1971-02-02"], children=["1996-02-02"])
    d.move_person(left.child, "A8", "WK01", on="2003-09-01")         # leaves on the day
    expecting = d.family("A3", "WK01", adults=["1972-03-03"])
    baby = d.person("2003-10-01", sex="V", surname=expecting.adult.surname,
                    mother=expecting.adult)
    d.live(baby, "A3", "WK01", postcode=expecting.postcode,
           house_number=expecting.house_number, start="2003-10-01")  # born after the day
    d.source("BIB", [d.record(h.adult, "2003-03-03") for h in (moved_in, left, expecting)])

    s = run_delivery(d, out_dir)

    # A1 is a family on the day; A2 (the parent alone) and A3 are not, and A8 is a child
    # living alone: no adult, so no family either.
    assert_summary(s, expected_summary(
        d, family_households=1, bib=1, bib_without_children=2, no_family_household=2,
        single_parent=1, children_per_household={"1": 1}))


def test_single_adult_at_three_agencies_is_not_a_family(delivery: Delivery, out_dir):
    d = delivery
    single = d.family("A1", "WK01", adults=["1960-10-10"])
    d.family("A2", "WK01", adults=["1975-05-15"], children=["2000-01-20"])  # no records
    for agency in ("GELDZORG", "OGGZ", "WOONKANS"):
        d.source(agency, [d.record(single.adult, "2003-05-05")])

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(d, family_households=1, no_family_household=3))


def test_household_types_and_children_per_household(delivery: Delivery, out_dir):
    d = delivery
    h1 = d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-01-01"])
    h2 = d.family("A2", "WK01", adults=["1970-02-02", "1969-02-02"],
                  children=["1994-02-02", "1996-02-02"])
    h3 = d.family("A3", "WK01",  # grandmother, mother and uncle: more than two adults
                  adults=[{"birth_date": "1969-09-09", "sex": "V"},
                          {"birth_date": "1940-06-06", "sex": "V"},
                          {"birth_date": "1975-12-24", "sex": "M"}],
                  children=["1989-04-18", "1993-03-03", "1999-09-19"])
    h4 = d.family("A4", "WK02", adults=["1972-04-04", "1971-04-04"], children=["2001-04-04"])
    h5 = d.family("A5", "WK02", adults=["1973-05-05"],
                  children=["1991-05-05", "1993-05-05", "1995-05-05"])
    h6 = d.family("A6", "WK02", adults=["1974-06-06", "1973-06-06"],
                  children=["1990-06-06", "1992-06-06", "1994-06-06", "1996-06-06"])
    d.family("A7", "WK02", adults=["1975-07-07"], children=["1997-07-07"])  # no records
    d.source("BIB", [d.record(h.mother, "2003-03-03") for h in (h1, h2, h3, h4)])
    for agency in ("GELDZORG", "WOONKANS", "OGGZ"):
        d.source(agency, [d.record(h5.mother, "2003-04-04")])
    d.source("ZORGNETWERK", [d.record(h6.child, "2003-05-05")])  # not in the profile

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(
        d, family_households=7, bib=4, multi_agency=1, zorgnetwerk=1, zorgnetwerk_identified=1,
        single_parent=2, two_adults=2, more_adults=1,
        children_per_household={"1": 2, "2": 1, "3": 2},
        agency_combinations={"GELDZORG+OGGZ+WOONKANS": 1}))
    assert households_table(out_dir) == sorted([
        ("BIB", 1, 1), ("BIB", 2, 2), ("BIB", 3, 3), ("BIB", 2, 1), ("MULTI_AGENCY", 1, 3),
        ("ZORGNETWERK", 2, 4)])


# --------------------------------------------------------------------- the six agencies
def test_two_agencies_are_not_enough_three_are_multi_agency(delivery: Delivery, out_dir):
    d = delivery
    two = d.family("A1", "WK01", adults=["1970-01-01", "1969-01-01"], children=["1995-01-01"])
    three = d.family("A2", "WK01", adults=["1971-02-02"], children=["1996-02-02", "1998-02-02"])
    d.source("GELDZORG", [d.record(two.mother, "2003-03-01"), d.record(three.mother, "2003-03-02")])
    d.source("WOONKANS", [d.record(two.father, "2003-04-01"), d.record(three.mother, "2003-04-02")])
    d.source("OGGZ", [d.record(three.mother, "2003-05-02")])

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(
        d, family_households=2, multi_agency=1, single_parent=1,
        children_per_household={"2": 1}, agency_combinations={"GELDZORG+OGGZ+WOONKANS": 1}))


def test_jeugdzorg_sub_sources_count_as_one_agency(delivery: Delivery, out_dir):
    d = delivery
    toegang_voogdij = d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-01-01"])
    three = d.family("A2", "WK01", adults=["1971-02-02", "1970-02-02"], children=["1992-02-02"])
    d.source("JEUGDZORG_TOEGANG", [d.record(toegang_voogdij.child, "2003-03-01"),
                                   d.record(three.child, "2003-03-02")])
    d.source("JEUGDZORG_VOOGDIJ", [d.record(toegang_voogdij.child, "2003-04-01")], fmt="tsv",
             date_format="%Y%m%d")
    d.source("JEUGDZORG_RECLASSERING", [d.record(three.child, "2003-04-02")], fmt="parquet")
    d.source("GELDZORG", [d.record(toegang_voogdij.mother, "2003-05-01"),
                          d.record(three.mother, "2003-05-02")])
    d.source("ZAR", [d.record(three.child, "2003-06-02")])

    s = run_delivery(d, out_dir)

    # A1: Jeugdzorg (2 sub-sources) + Geldzorg = 2 agencies; A2: Jeugdzorg + Geldzorg + ZAR
    assert_summary(s, expected_summary(
        d, family_households=2, multi_agency=1, two_adults=1, children_per_household={"1": 1},
        agency_combinations={"GELDZORG+JEUGDZORG+ZAR": 1}))


def test_mjd_counts_only_with_two_contacts_in_the_household(delivery: Delivery, out_dir):
    d = delivery
    one = d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-01-01"])
    split = d.family("A2", "WK01", adults=["1971-02-02", "1970-02-02"],
                     children=["1996-02-02", "1997-02-02"])
    late = d.family("A3", "WK01", adults=["1972-03-03"], children=["1997-03-03"])
    d.source("MJD", [
        d.record(one.mother, "2003-03-01"),
        d.record(split.mother, "2003-03-02"),      # one contact for each parent: 2 in the
        d.record(split.father, "2003-08-02"),      # household, so MJD counts
        d.record(late.mother, "2003-03-03"),
        d.record(late.mother, "2004-07-03"),       # after the window: only 1 in it
    ], delimiter=";", encoding="cp1252", date_format="%d-%m-%Y")
    d.source("GELDZORG", [d.record(h.mother, "2003-04-04") for h in (one, split, late)])
    d.source("OGGZ", [d.record(h.mother, "2003-05-05") for h in (one, split, late)])

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(
        d, family_households=3, multi_agency=1, two_adults=1, children_per_household={"2": 1},
        agency_combinations={"GELDZORG+MJD+OGGZ": 1}, outside_window=1))


def test_agency_combinations_keys(delivery: Delivery, out_dir):
    d = delivery
    hs = [d.family(f"A{i}", "WK01", adults=[f"197{i}-0{i}-1{i}"], children=[f"199{i}-0{i}-1{i}"])
          for i in range(1, 6)]
    a, b, c, e, f = hs
    d.source("MJD", [d.record(a.mother, "2003-02-01"), d.record(a.mother, "2003-03-01"),
                     d.record(b.mother, "2003-02-02"), d.record(b.child, "2003-03-02"),
                     d.record(e.mother, "2003-02-04"),  # one contact: MJD does not count
                     d.record(f.mother, "2003-02-05"), d.record(f.mother, "2003-03-05")])
    d.source("GELDZORG", [d.record(h.mother, "2003-04-01") for h in hs])
    d.source("JEUGDZORG_VOOGDIJ", [d.record(a.child, "2003-05-01")])
    d.source("JEUGDZORG_RECLASSERING", [d.record(b.child, "2003-05-02")])
    d.source("JEUGDZORG_TOEGANG", [d.record(f.child, "2003-05-05")])
    d.source("ZAR", [d.record(h.child, "2003-06-01") for h in (c, e, f)])
    d.source("WOONKANS", [d.record(h.mother, "2003-07-01") for h in (c, f)])
    d.source("OGGZ", [d.record(h.mother, "2003-08-01") for h in (c, e, f)])

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(
        d, family_households=5, multi_agency=5, single_parent=5,
        children_per_household={"1": 5},
        agency_combinations={"GELDZORG+JEUGDZORG+MJD": 2,
                             "GELDZORG+OGGZ+WOONKANS+ZAR": 1,
                             "GELDZORG+OGGZ+ZAR": 1,
                             "GELDZORG+JEUGDZORG+MJD+OGGZ+WOONKANS+ZAR": 1}))


# --------------------------------------------------------------------- the window
def test_record_open_since_before_the_window_counts(delivery: Delivery, out_dir):
    d = delivery  # window 2003-01-01..2004-06-30
    active = d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-01-01"])
    ended = d.family("A2", "WK01", adults=["1971-02-02"], children=["1996-02-02"])
    d.source("GELDZORG", [d.record(active.mother, "2002-05-01", ""),            # still open
                          d.record(ended.mother, "2002-01-01", "2002-12-31")])  # ended before
    d.source("WOONKANS", [d.record(active.mother, "2001-01-01", "2003-01-01"),  # ends on start
                          d.record(ended.mother, "2003-03-03", "")])
    # an export without an end date column: records without an end date
    d.source("OGGZ", [d.record(active.mother, "2002-06-01"), d.record(ended.mother, "2003-05-05")],
             fields=["record_id", "bsn", "surname", "given_names", "birth_date", "contact_date"])

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(
        d, family_households=2, multi_agency=1, single_parent=1, children_per_household={"1": 1},
        agency_combinations={"GELDZORG+OGGZ+WOONKANS": 1}, outside_window=1))


def test_record_after_the_window_is_outside_it(delivery: Delivery, out_dir):
    d = delivery
    edges = d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-01-01"])
    late = d.family("A2", "WK01", adults=["1971-02-02"], children=["1996-02-02"])
    d.source("GELDZORG", [d.record(edges.mother, "2004-06-30"),   # the last day of the window
                          d.record(late.mother, "2004-07-01")])   # the day after
    d.source("WOONKANS", [d.record(edges.mother, "2003-01-01"),   # the first day
                          d.record(late.mother, "2003-03-03")])
    d.source("OGGZ", [d.record(edges.mother, "2003-05-05"), d.record(late.mother, "2003-05-05")])

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(
        d, family_households=2, multi_agency=1, single_parent=1, children_per_household={"1": 1},
        agency_combinations={"GELDZORG+OGGZ+WOONKANS": 1}, outside_window=1))


def test_bib_and_care_network_records_outside_the_window_select_nothing(delivery: Delivery,
                                                                       out_dir):
    d = delivery
    a = d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-01-01"])
    b = d.family("A2", "WK01", adults=["1971-02-02"], children=["1996-02-02"])
    d.source("BIB", [d.record(a.mother, "2002-01-01", "2002-12-31")])
    d.source("ZORGNETWERK", [d.record(b.child, "2004-07-01")])

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(d, family_households=2, outside_window=2))


def test_every_file_format_delimiter_encoding_and_date_format_is_read(delivery: Delivery,
                                                                       out_dir):
    d = delivery
    h = d.family("A1", "WK01", adults=["1970-01-01", "1969-01-01"], children=["1995-01-01"])
    d.source("GELDZORG", [d.record(h.mother, "2003-03-03", "")], fmt="xlsx",
             xlsx_native_dates=False, date_format="%d/%m/%Y",
             columns={"record_id": "Dossier", "contact_date": "Aanmelding",
                      "end_date": "Afsluiting", "surname": "Naam"})
    d.source("WOONKANS", [d.record(h.father, "2003-04-04", "")], fmt="parquet",
             date_format="%Y%m%d")
    d.source("OGGZ", [d.record(h.mother, "2003-05-05")], fmt="tsv", encoding="cp1252",
             date_format="%d-%m-%Y", columns={"given_names": "Voorletters",
                                               "birth_date": "Geb_datum"})
    d.source("JEUGDZORG_TOEGANG", [d.record(h.child, "2003-06-06")], delimiter="|")

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(
        d, family_households=1, multi_agency=1, two_adults=1, children_per_household={"1": 1},
        agency_combinations={"GELDZORG+JEUGDZORG+OGGZ+WOONKANS": 1}))


def test_register_as_parquet_and_xlsx_without_a_neighbourhoods_file(delivery: Delivery,
                                                                     out_dir):
    """delivery.md: register files are csv unless the extension says .xlsx or .parquet;
    the neighbourhoods file is optional."""
    d = delivery
    d.register_formats.update(persons="parquet", residences="xlsx")
    d.with_neighbourhoods_file = False
    bib = d.family("A1", "WK02", adults=["1970-01-01"], children=["1995-01-01"])
    d.family("A2", "WK01", adults=["1971-02-02", "1970-02-02"], children=["1996-02-02"])
    d.source("BIB", [d.record(bib.mother, "2003-03-03")])

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(
        d, family_households=2, bib=1, single_parent=1, children_per_household={"1": 1}))
    table = neighbourhood_table(out_dir)
    assert [(c, r["family_households"], r["bib"]) for c, r in table.items()] == [
        ("WK01", 1, 0), ("WK02", 1, 1)]


# --------------------------------------------------------------------- selection rules
def test_precedence_bib_over_multi_agency_over_zorgnetwerk(delivery: Delivery, out_dir):
    d = delivery
    bib = d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-01-01"])
    multi = d.family("A2", "WK01", adults=["1971-02-02", "1970-02-02"],
                     children=["1996-02-02", "1998-02-02"])
    zn = d.family("A3", "WK01", adults=["1972-03-03"], children=["1997-03-03"])
    nothing = d.family("A4", "WK01", adults=["1973-04-04"], children=["1998-04-04"])
    d.source("BIB", [d.record(bib.mother, "2003-02-02")])
    d.source("GELDZORG", [d.record(h.mother, "2003-03-03") for h in (bib, multi, zn, nothing)])
    d.source("WOONKANS", [d.record(h.mother, "2003-04-04") for h in (bib, multi)])
    d.source("OGGZ", [d.record(h.mother, "2003-05-05") for h in (bib, multi)])
    d.source("ZORGNETWERK", [d.record(h.child, "2003-06-06") for h in (bib, multi, zn)]
             + [d.record(zn.mother, "2003-07-07")])  # a second report: still one household

    s = run_delivery(d, out_dir)

    expected = expected_summary(
        d, family_households=4, bib=1, multi_agency=1, zorgnetwerk=1, zorgnetwerk_identified=3,
        single_parent=1, two_adults=1, children_per_household={"1": 1, "2": 1},
        agency_combinations={"GELDZORG+OGGZ+WOONKANS": 1})
    # Whether the BIB household's own agencies (also GELDZORG+OGGZ+WOONKANS) add to
    # agency_combinations is not settled by outputs.md; only require the MULTI_AGENCY one.
    assert s["agency_combinations"].get("GELDZORG+OGGZ+WOONKANS") in (1, 2)
    del expected["agency_combinations"]
    assert_summary(s, expected)
    assert households_table(out_dir) == [("BIB", 1, 1), ("MULTI_AGENCY", 2, 2),
                                         ("ZORGNETWERK", 1, 1)]


def test_anonymous_care_network_report_is_reported_not_counted(delivery: Delivery, out_dir):
    d = delivery
    d.neighbourhood("WK02")
    h = d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-01-01"])
    d.source("ZORGNETWERK", [
        d.record(h.child, "2003-06-06", with_bsn=False),  # identified by name + birth date
        d.anonymous_report("WK01", "2003-07-07"),
        d.anonymous_report("WK02", "2003-08-08"),
    ], delimiter=";")

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(
        d, family_households=1, zorgnetwerk=1, zorgnetwerk_identified=1,
        anonymous_zorgnetwerk=2))


# --------------------------------------------------------------------- linking
def test_records_of_different_members_add_up_to_one_household(delivery: Delivery, out_dir):
    d = delivery
    m = d.family("A1", "WK01", adults=["1970-01-01", "1969-01-01"],
                 children=["1993-01-01", "1995-01-01"])
    b = d.family("A2", "WK01", adults=["1971-02-02", "1970-02-02"], children=["1996-02-02"])
    d.source("GELDZORG", [d.record(m.father, "2003-03-03")])
    d.source("WOONKANS", [d.record(m.mother, "2003-04-04")])
    d.source("JEUGDZORG_TOEGANG", [d.record(m.children[0], "2003-05-05")])
    d.source("ZAR", [d.record(m.children[1], "2003-06-06")])
    d.source("BIB", [d.record(p, "2003-02-02") for p in b.members])  # 3 records, 1 family

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(
        d, family_households=2, bib=1, multi_agency=1, two_adults=2,
        children_per_household={"1": 1, "2": 1},
        agency_combinations={"GELDZORG+JEUGDZORG+WOONKANS+ZAR": 1}))
    assert households_table(out_dir) == [("BIB", 2, 1), ("MULTI_AGENCY", 2, 2)]


def test_record_of_a_person_not_in_the_register_is_reported_unlinked(delivery: Delivery,
                                                                     out_dir):
    d = delivery
    h = d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-01-01"])
    unknown_bsn = next(b for b in bsn_numbers(900_000_00) if b not in {p.bsn for p in d.persons})
    stranger = {"bsn": unknown_bsn, "surname": "Zandvoort", "given_names": "Willem",
                "birth_date": "1977-07-07"}
    no_bsn = {"surname": "Kloosterboer", "given_names": "Grietje", "birth_date": "1966-06-16"}
    d.source("GELDZORG", [d.record(h.mother, "2003-03-03"), {**stranger, "contact_date": "2003-09-09"},
                          {**no_bsn, "contact_date": "2003-10-10"},
                          # outside the window: counted there, not as unlinked
                          {**no_bsn, "contact_date": "2002-01-01", "end_date": "2002-02-01"}])
    d.source("WOONKANS", [d.record(h.mother, "2003-04-04")])
    d.source("OGGZ", [d.record(h.mother, "2003-05-05")])

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(
        d, family_households=1, multi_agency=1, single_parent=1, children_per_household={"1": 1},
        agency_combinations={"GELDZORG+OGGZ+WOONKANS": 1}, unlinked_records=2,
        outside_window=1))
    links = read_links(out_dir)
    geldzorg = links[links["agency"] == "GELDZORG"]
    linked = {r.record_id: (None if r.person_id is None or r.person_id != r.person_id
                            or r.person_id == "" else str(r.person_id))
              for r in geldzorg.itertuples()}
    assert linked["GEL-001"] == h.mother.person_id
    assert linked["GEL-002"] is None and linked["GEL-003"] is None


def test_moved_household_counts_in_its_neighbourhood_on_the_reference_date(delivery: Delivery,
                                                                           out_dir):
    d = delivery
    d.neighbourhood("WK01", "Centrum")
    d.neighbourhood("WK03", "Beijum")
    old = d.family("A9old", "WK03", adults=["1983-02-28"], children=["2002-11-11"])
    d.move(old, "A9", "WK01", on="2003-06-01")
    d.family("A10", "WK03", adults=["1984-03-03"], children=["2001-01-01"])  # stays, no records
    # BIB registered the mother in March, at the old Beijum address, without a BSN
    d.source("BIB", [d.record(old.mother, "2003-03-15", with_bsn=False, address=old)])

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(
        d, family_households=2, bib=1, single_parent=1, children_per_household={"1": 1}))
    table = neighbourhood_table(out_dir)
    assert table == {
        "WK01": {"neighbourhood_name": "Centrum", "family_households": 1, "bib": 1,
                 "multi_agency": 0, "zorgnetwerk": 0, "mpg_total": 1,
                 "share_of_family_households": 0.5, "share_of_mpg": 1.0},
        "WK03": {"neighbourhood_name": "Beijum", "family_households": 1, "bib": 0,
                 "multi_agency": 0, "zorgnetwerk": 0, "mpg_total": 0,
                 "share_of_family_households": 0.5, "share_of_mpg": 0.0},
    }
    links = read_links(out_dir)
    assert [str(p) for p in links["person_id"]] == [old.mother.person_id]


# --------------------------------------------------------------------- profile
def test_bijstand_period_overlapping_the_window(delivery: Delivery, out_dir):
    d = delivery  # window 2003-01-01..2004-06-30
    a = d.family("A1", "WK01", adults=["1970-01-01", "1969-01-01"], children=["1995-01-01"])
    b = d.family("A2", "WK01", adults=["1971-02-02"], children=["1996-02-02"])
    c = d.family("A3", "WK01", adults=["1972-03-03"], children=["1997-03-03"])
    e = d.family("A4", "WK01", adults=["1973-04-04"], children=["1998-04-04"])
    zn = d.family("A5", "WK01", adults=["1974-05-05"], children=["1999-05-05"])
    d.family("A6", "WK01", adults=["1975-06-06"], children=["2000-06-06"])
    d.source("BIB", [d.record(h.mother, "2003-03-03") for h in (a, b, c, e)])
    d.source("ZORGNETWERK", [d.record(zn.child, "2003-04-04")])
    d.source("BIJSTAND", [
        d.record(a.father, "2002-01-01", "2003-01-01"),  # the father; ends on window_start
        d.record(b.mother, "2001-01-01", "2002-12-31"),  # ended the day before the window
        d.record(c.mother, "2004-06-30", ""),            # starts on window_end
        d.record(e.mother, "2004-07-01", ""),            # starts after the window
        d.record(zn.mother, "2003-01-01", ""),           # ZORGNETWERK: not in the profile
    ])

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(
        d, family_households=6, bib=4, zorgnetwerk=1, zorgnetwerk_identified=1,
        single_parent=3, two_adults=1, children_per_household={"1": 4},
        bijstand_households=2))


# --------------------------------------------------------------------- rule set & reports
def test_rules_file_override_changes_the_count(delivery: Delivery, tmp_path: Path, out_dir):
    d = delivery
    two = d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-01-01"])
    mjd_once = d.family("A2", "WK01", adults=["1971-02-02"], children=["1996-02-02"])
    d.source("GELDZORG", [d.record(h.mother, "2003-03-03") for h in (two, mjd_once)])
    d.source("WOONKANS", [d.record(two.mother, "2003-04-04")])
    d.source("MJD", [d.record(mjd_once.mother, "2003-05-05")])
    d.source("OGGZ", [d.record(mjd_once.mother, "2003-06-06")])
    default = (REPO / "rules" / "default.toml").read_text(encoding="utf-8")
    assert "min_agencies = 3" in default
    rules = tmp_path / "two_agencies.toml"
    rules.write_text(default.replace("min_agencies = 3", "min_agencies = 2"), encoding="utf-8")

    s_default = run_delivery(d, out_dir)
    s_two = run_delivery(d, tmp_path / "runs" / "out_two", rules_path=rules)

    assert_summary(s_default, expected_summary(d, family_households=2))
    assert_summary(s_two, expected_summary(
        d, family_households=2, multi_agency=2, single_parent=2, children_per_household={"1": 2},
        agency_combinations={"GELDZORG+WOONKANS": 1, "GELDZORG+OGGZ": 1}))


def test_neighbourhood_shares(delivery: Delivery, out_dir):
    d = delivery
    d.neighbourhood("WK01", "Centrum")
    d.neighbourhood("WK02", "Oosterpark")
    d.neighbourhood("WK03", "Beijum")
    bib = d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-01-01"])
    zn = d.family("A2", "WK01", adults=["1971-02-02"], children=["1996-02-02"])
    d.family("A3", "WK01", adults=["1972-03-03"], children=["1997-03-03"])
    multi = d.family("A4", "WK02", adults=["1973-04-04"], children=["1998-04-04"])
    d.family("A5", "WK03", adults=["1950-05-05", "1951-05-05"])  # a couple: no family
    d.source("BIB", [d.record(bib.mother, "2003-02-02")])
    d.source("ZORGNETWERK", [d.record(zn.child, "2003-03-03")])
    for agency in ("GELDZORG", "WOONKANS", "OGGZ"):
        d.source(agency, [d.record(multi.mother, "2003-04-04")])

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(
        d, family_households=4, bib=1, multi_agency=1, zorgnetwerk=1, zorgnetwerk_identified=1,
        single_parent=2, children_per_household={"1": 2},
        agency_combinations={"GELDZORG+OGGZ+WOONKANS": 1}))
    header = next(iter((out_dir / "neighbourhoods.csv").read_text(encoding="utf-8").splitlines()))
    assert [c for c in header.split(",") if c in NEIGHBOURHOOD_COLUMNS] == NEIGHBOURHOOD_COLUMNS
    table = neighbourhood_table(out_dir)
    assert list(table) == ["WK01", "WK02", "WK03"]  # code order
    expected = {
        "WK01": ("Centrum", 3, 1, 0, 1, 2, 3 / 4, 2 / 3),
        "WK02": ("Oosterpark", 1, 0, 1, 0, 1, 1 / 4, 1 / 3),
        "WK03": ("Beijum", 0, 0, 0, 0, 0, 0.0, 0.0),
    }
    for code, (name, fh, b, m, z, total, share_fh, share_mpg) in expected.items():
        row = table[code]
        assert (row["neighbourhood_name"], row["family_households"], row["bib"],
                row["multi_agency"], row["zorgnetwerk"], row["mpg_total"]) == \
            (name, fh, b, m, z, total), code
        assert row["share_of_family_households"] == pytest.approx(share_fh, rel=1e-6, abs=1e-9)
        assert row["share_of_mpg"] == pytest.approx(share_mpg, rel=1e-6, abs=1e-9)


def test_shares_without_any_mpg_are_zero(delivery: Delivery, out_dir):
    d = delivery
    d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-01-01"])
    d.family("A2", "WK02", adults=["1971-02-02"], children=["1996-02-02"])

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(d, family_households=2))
    table = neighbourhood_table(out_dir)
    assert [(c, r["family_households"], r["share_of_family_households"], r["share_of_mpg"])
            for c, r in table.items()] == [("WK01", 1, 0.5, 0.0), ("WK02", 1, 0.5, 0.0)]


def test_origin_of_mothers_and_fathers(delivery: Delivery, out_dir):
    """definitions.md, profile: origin of the mother and of the father (adults of the
    household who are mother_id/father_id of one of its children) of the counted (BIB and
    MULTI_AGENCY) families, against all family households of the city. outputs.md has no
    key for it; this pins the pipeline's addition summary["origin"][role][scope]."""
    d = delivery
    bib = d.family("A1", "WK01", adults=[{"birth_date": "1970-01-01", "origin": "TR"},
                                         {"birth_date": "1969-01-01", "origin": "MA"}],
                   children=["1995-01-01"])
    # mother NL; a stepfather (no father_id link) and the grandmother are not parents
    multi = d.family("A2", "WK01", adults=[{"birth_date": "1971-02-02", "origin": "NL"},
                                           {"birth_date": "1968-02-02", "origin": "MA"},
                                           {"birth_date": "1945-02-02", "sex": "V",
                                            "origin": "SR"}],
                     children=[{"birth_date": "1996-02-02", "father": None}])
    multi.mother.mother_id = multi.adults[2].person_id
    zn = d.family("A3", "WK01", adults=[{"birth_date": "1972-03-03", "origin": "SR"}],
                  children=["1997-03-03"])
    d.family("A4", "WK01", adults=[{"birth_date": "1973-04-04", "sex": "M", "origin": "SR"}],
             children=["1998-04-04"])
    d.source("BIB", [d.record(bib.mother, "2003-03-03")])
    for agency in ("GELDZORG", "WOONKANS", "OGGZ"):
        d.source(agency, [d.record(multi.mother, "2003-04-04")])
    d.source("ZORGNETWERK", [d.record(zn.child, "2003-05-05")])

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(
        d, family_households=4, bib=1, multi_agency=1, zorgnetwerk=1, zorgnetwerk_identified=1,
        single_parent=0, two_adults=1, more_adults=1, children_per_household={"1": 2},
        agency_combinations={"GELDZORG+OGGZ+WOONKANS": 1}))
    origin = {role: {scope: {k: v for k, v in counts.items() if v}
                     for scope, counts in scopes.items()}
              for role, scopes in s["origin"].items()}
    assert origin == {
        "mothers": {"counted": {"NL": 1, "TR": 1}, "city": {"NL": 1, "SR": 1, "TR": 1}},
        "fathers": {"counted": {"MA": 1}, "city": {"MA": 1, "SR": 1}},
    }
