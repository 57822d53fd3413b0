"""Bad input (delivery.md, "Bad input"; outputs.md, exit codes).

A file that cannot be read, or a manifest / rules file that breaks its schema, stops the run
with an error (exit code 1) whose message names the file (and the key), before anything is
written: OUT does not appear, and an earlier OUT stays byte-identical. A row that can be read
but is unusable goes to rejects.csv (file, row, reason) and is counted; the run goes on.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from builder import Delivery
from conftest import (REPO, accepting_rules, assert_no_identifying_data, assert_summary, expected_summary,
                      read_links, read_rejects, run_delivery, run_pipeline, snapshot)

# Full runs of the pipeline: end-to-end cases, run by `pytest -m e2e` (CI runs them all).
pytestmark = pytest.mark.e2e


def base(d: Delivery):
    """One family with two agencies (not counted): a valid delivery to break."""
    h = d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-01-01"])
    d.source("GELDZORG", [d.record(h.mother, "2003-03-03")])
    d.source("OGGZ", [d.record(h.mother, "2003-04-04")])
    return h


# --------------------------------------------------------------------- file-level problems
def _mjd(d: Delivery, h, **kw):
    return d.source("MJD", [d.record(h.mother, "2003-05-05")], path="mjd/contacten.csv", **kw)


def case_missing_source_file(d, tmp):
    h = base(d)
    _mjd(d, h)
    m = d.write()
    (d.root / "mjd" / "contacten.csv").unlink()
    return m, "DeliveryError", ["contacten.csv"], {}


def case_missing_register_file(d, tmp):
    base(d)
    m = d.write()
    (d.root / "gba" / "verblijfplaatsen.csv").unlink()
    return m, "DeliveryError", ["verblijfplaatsen.csv"], {}


def case_invalid_utf8(d, tmp):
    h = base(d)
    good = f"M-1,{h.mother.surname},{h.mother.given_names},{h.mother.birth_date},2003-05-05\n"
    content = ("record_id,surname,given_names,birth_date,contact_date\n" + good
               + good.replace("M-1", "M-2")).encode("utf-8")
    # third data row written in cp1252: "Ö" and "ü" are not valid utf-8
    content += "M-3,Öztürk,Aylin,1967-12-12,2003-06-06\n".encode("cp1252")
    d.raw_source("MJD", "mjd/contacten.csv", content)  # declared: utf-8 (the default)
    return d.write(), "DeliveryError", ["contacten.csv"], {}


def case_invalid_utf8_far_into_the_file(d, tmp):
    h = base(d)
    good = f"{h.mother.surname},{h.mother.given_names},{h.mother.birth_date},2003-05-05\n"
    lines = "".join(f"M-{i}," + good for i in range(1, 3001))  # beyond any first read buffer
    content = ("record_id,surname,given_names,birth_date,contact_date\n" + lines).encode()
    content += "M-9999,Öztürk,Aylin,1967-12-12,2003-06-06\n".encode("cp1252")
    d.raw_source("MJD", "mjd/contacten.csv", content)
    return d.write(), "DeliveryError", ["contacten.csv"], {}


def case_csv_that_is_xlsx(d, tmp):
    h = base(d)
    sf = d.source("BIB", [d.record(h.mother, "2003-02-02")], fmt="xlsx")
    (d.root / sf.path).rename(d.root / "bib" / "gezinnen.csv")
    sf.entry["path"] = "bib/gezinnen.csv"
    return d.write(), "DeliveryError", ["gezinnen.csv"], {}


def case_xlsx_that_is_text(d, tmp):
    base(d)
    d.raw_source("BIB", "bib/gezinnen.xlsx",
                 b"record_id,surname,contact_date\nB-1,Jansen,2003-03-03\n")
    return d.write(), "DeliveryError", ["gezinnen.xlsx"], {}


def case_parquet_that_is_garbage(d, tmp):
    base(d)
    d.raw_source("BIB", "bib/gezinnen.parquet", b"PAR1\x00\x01garbage, not a parquet file\x00PAR1")
    return d.write(), "DeliveryError", ["gezinnen.parquet"], {}


def case_mapped_column_absent(d, tmp):
    h = base(d)
    _mjd(d, h, columns={"surname": "Naam"})
    m = d.manifest()
    m["source"][-1]["columns"]["surname"] = "Achternaam"  # the file has "Naam"
    return d.write(m), "DeliveryError", ["contacten.csv", "Achternaam"], {}


def case_required_column_absent(d, tmp):
    h = base(d)
    d.source("MJD", [d.record(h.mother, "2003-05-05")], path="mjd/contacten.csv",
             fields=["record_id", "surname", "given_names", "birth_date"])  # no contact_date
    return d.write(), "DeliveryError", ["contacten.csv", "contact_date"], {}


def case_register_mapped_column_absent(d, tmp):
    base(d)
    m = d.manifest()
    m["register"]["persons_columns"] = {"person_id": "anr"}  # the file says person_id
    return d.write(m), "DeliveryError", ["personen.csv", "anr"], {}


def case_no_header_row(d, tmp):
    h = base(d)
    m = h.mother  # the first row is data: a message must not quote it as column names
    row = f"M-1;{m.bsn};{m.surname};{m.given_names};{m.birth_date};2003-03-03\n"
    d.raw_source("MJD", "mjd/contacten.csv", row.encode(), delimiter=";",
                 columns={"record_id": "ContactNr", "contact_date": "Datum"})
    return d.write(), "DeliveryError", ["contacten.csv"], {}


def case_no_header_row_unmapped(d, tmp):
    h = base(d)
    m = h.mother
    row = f"M-1,{m.bsn},{m.surname},{m.given_names},{m.birth_date},2003-03-03\n"
    d.raw_source("MJD", "mjd/contacten.csv", row.encode())
    return d.write(), "DeliveryError", ["contacten.csv"], {}


def case_empty_source_file(d, tmp):
    base(d)
    d.raw_source("MJD", "mjd/contacten.csv", b"")
    return d.write(), "DeliveryError", ["contacten.csv"], {}


def case_unknown_agency_code(d, tmp):
    h = base(d)
    _mjd(d, h)
    m = d.manifest()
    m["source"][-1]["agency"] = "POLITIE"
    return d.write(m), "ConfigError", ["delivery.toml", "agency", "POLITIE"], {}


def case_misspelt_source_key(d, tmp):
    h = base(d)
    _mjd(d, h)
    m = d.manifest()
    m["source"][-1]["delimeter"] = ";"
    return d.write(m), "ConfigError", ["delivery.toml", "delimeter"], {}


def case_missing_register_section(d, tmp):
    base(d)
    m = d.manifest()
    del m["register"]
    return d.write(m), "ConfigError", ["delivery.toml", "register"], {}


def case_missing_persons_key(d, tmp):
    base(d)
    m = d.manifest()
    del m["register"]["persons"]
    return d.write(m), "ConfigError", ["delivery.toml", "persons"], {}


def case_missing_reference_date(d, tmp):
    base(d)
    m = d.manifest()
    del m["run"]["reference_date"]
    return d.write(m), "ConfigError", ["delivery.toml", "reference_date"], {}


def case_bad_date_in_run(d, tmp):
    base(d)
    m = d.manifest()
    m["run"]["window_end"] = "30-06-2004"
    return d.write(m), "ConfigError", ["delivery.toml", "window_end"], {}


def case_window_reversed(d, tmp):
    base(d)
    m = d.manifest()
    m["run"]["window_start"], m["run"]["window_end"] = "2004-06-30", "2003-01-01"
    return d.write(m), "ConfigError", ["delivery.toml", "window_start"], {}


def case_manifest_not_toml(d, tmp):
    base(d)
    m = d.write()
    m.write_text("[run\nname = 2004Q2\n", encoding="utf-8")
    return m, "ConfigError", ["delivery.toml"], {}


def case_manifest_missing(d, tmp):
    base(d)
    d.write()
    return d.root / "levering.toml", "ConfigError", ["levering.toml"], {}


def case_bad_rules_file(d, tmp):
    base(d)
    default = (REPO / "rules" / "default.toml").read_text(encoding="utf-8")
    rules = tmp / "bad_rules.toml"
    rules.write_text(default.replace("min_agencies = 3", "min_agencies = 0"), encoding="utf-8")
    return d.write(), "ConfigError", ["bad_rules.toml", "min_agencies"], {"rules_path": rules}


CASES: dict[str, Callable[[Delivery, Path], tuple[Path, str, list[str], dict[str, Any]]]] = {
    name.removeprefix("case_"): fn for name, fn in dict(globals()).items()
    if name.startswith("case_")}


@pytest.mark.parametrize("earlier_out", [False, True], ids=["no_out", "earlier_out"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_unreadable_input_stops_the_run_before_writing(case, earlier_out, delivery, tmp_path,
                                                       out_dir):
    from mpg.pipeline import errors

    manifest, error_name, mentions, kwargs = CASES[case](delivery, tmp_path)
    if earlier_out:
        (out_dir / "sub").mkdir(parents=True)
        (out_dir / "summary.json").write_text('{"run": "earlier"}\n', encoding="utf-8")
        (out_dir / "sub" / "households.parquet").write_bytes(b"\x00earlier run\xff")
        from mpg.pipeline.folders import write_marker
        write_marker(out_dir, "out")  # an earlier result of this tool
    before = snapshot(out_dir.parent)

    with pytest.raises(errors.MpgError) as info:
        run_pipeline(manifest, out_dir, **kwargs)

    error = info.value
    message = str(error)
    assert type(error).__name__ == error_name, f"{type(error).__name__}: {message}"
    assert error.exit_code == errors.ExitCode.DELIVERY_PROBLEM == 1
    for word in mentions:
        assert word in message, f"{word!r} not in the message: {message}"
    assert snapshot(out_dir.parent) == before, "the failed run wrote next to or into OUT"
    assert out_dir.exists() == earlier_out
    assert_no_identifying_data(message, delivery)
    for value in ("Öztürk", "Aylin", "1967-12-12", "Jansen"):
        assert value not in message


def test_cp1252_file_declared_cp1252_is_read(delivery: Delivery, out_dir):
    """The positive control of the encoding case: non-ASCII names in a cp1252 file."""
    d = delivery
    h = d.family("A1", "WK01", surname="Öztürk",
                 adults=[{"birth_date": "1967-12-12", "given_names": "Ayşe Gül"}],
                 children=[{"birth_date": "1996-10-01", "given_names": "Çağan"}])
    names = {"surname": "Öztürk", "given_names": "Ayse", "birth_date": "1967-12-12",
             "postcode": h.postcode, "house_number": h.house_number}
    # "ş" does not exist in cp1252: the agency wrote "Ayse"
    d.source("MJD", [{**names, "contact_date": "2003-03-03"}, {**names, "contact_date": "2003-04-04"}],
             delimiter=";", encoding="cp1252", date_format="%d-%m-%Y")
    d.source("GELDZORG", [d.record(h.mother, "2003-05-05")])
    d.source("OGGZ", [d.record(h.mother, "2003-06-06")])

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(
        d, family_households=1, multi_agency=1, single_parent=1, children_per_household={"1": 1},
        agency_combinations={"GELDZORG+MJD+OGGZ": 1}))


def test_utf8_byte_order_mark_is_not_part_of_the_first_column(delivery: Delivery, out_dir):
    """Excel writes "UTF-8 csv" with a byte order mark; the file is valid utf-8."""
    d = delivery
    h = d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-01-01"])
    rows = [f"B-{i},{h.mother.bsn},{h.mother.surname},{h.mother.given_names},"
            f"{h.mother.birth_date},2003-0{i}-01\n" for i in (1, 2)]
    d.raw_source("BIB", "bib/gezinnen.csv", b"\xef\xbb\xbf" + (
        "record_id,bsn,surname,given_names,birth_date,contact_date\n" + "".join(rows)).encode())

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(
        d, family_households=1, bib=1, single_parent=1, children_per_household={"1": 1}))


# --------------------------------------------------------------------- row-level problems
def test_unusable_rows_are_rejected_with_file_row_and_reason(delivery: Delivery, out_dir):
    d = delivery
    h = base(d)  # GELDZORG + OGGZ: one more agency would make it MULTI_AGENCY
    m = h.mother
    ident = {"surname": m.surname, "given_names": m.given_names, "birth_date": "01-01-1970",
             "bsn": m.bsn}
    rows = [
        {"record_id": "M-1", **ident, "contact_date": "01-03-2003"},  # 1 good
        {"record_id": "", **ident, "contact_date": "02-03-2003"},     # 2 no record_id
        {"record_id": "M-1", **ident, "contact_date": "03-03-2003"},  # 3 M-1 again
        {"record_id": "M-4", **ident, "contact_date": "31-02-2003"},  # 4 no such date
        {"record_id": "M-5", **ident, "contact_date": "2003-03-05"},  # 5 not %d-%m-%Y
        {"record_id": "M-6", **ident, "contact_date": ""},            # 6 missing
        {"record_id": "M-7", **ident, "contact_date": "01-01-2000",   # 7 outside the window:
         "end_date": "01-02-2000"},                                   #   not a reject
    ]
    # Had any unusable row been loaded, the household would have 2 MJD contacts.
    d.source("MJD", rows, path="mjd/contacten.csv", raw=True, delimiter=";",
             date_format="%d-%m-%Y")
    # the same record_id in another file is no duplicate (BIJSTAND: selects no household)
    d.source("BIJSTAND", [d.record(h.mother, "2003-05-05", record_id="M-1")])

    s = run_delivery(d, out_dir, rules_path=accepting_rules())

    assert_summary(s, expected_summary(d, family_households=1, rejects=5, outside_window=1))
    rejects = read_rejects(out_dir)
    assert rejects and {"file", "row", "reason"} <= set(rejects[0])
    assert [(r["file"], int(r["row"])) for r in rejects] == [
        ("mjd/contacten.csv", n) for n in (2, 3, 4, 5, 6)]
    reasons = [r["reason"].lower().replace(" ", "_") for r in rejects]
    assert "record_id" in reasons[0] and "record_id" in reasons[1]
    assert all("contact_date" in r for r in reasons[2:]), reasons
    assert_no_identifying_data((out_dir / "rejects.csv").read_text(encoding="utf-8"), d)
    # rows in = rows loaded + rows rejected
    links = read_links(out_dir)
    mjd = links[links["file"] == "mjd/contacten.csv"]
    assert sorted(map(str, mjd["record_id"])) == ["M-1", "M-7"]
    assert list(links.loc[links["agency"] == "BIJSTAND", "record_id"].astype(str)) == ["M-1"]
    assert len(mjd) + len(rejects) == len(rows)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "xlsx", "parquet"])
def test_row_numbers_count_data_rows_in_every_format(fmt, delivery: Delivery, out_dir):
    d = delivery
    h = d.family("A1", "WK01", adults=["1970-01-01"], children=["1995-01-01"])
    rows = [d.record(h.mother, "2003-03-03", record_id="B-1"),
            d.record(h.mother, "2003-04-04", record_id="B-2"),
            d.record(h.mother, None, record_id="B-3"),               # row 3: no contact_date
            d.record(h.mother, "2003-05-05", record_id=None),        # row 4: no record_id
            d.record(h.mother, "2003-06-06", record_id="B-5")]
    sf = d.source("BIB", rows, fmt=fmt, fields=["record_id", "bsn", "surname", "given_names",
                                                 "birth_date", "contact_date"])

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(
        d, family_households=1, bib=1, single_parent=1, children_per_household={"1": 1},
        rejects=2))
    rejects = read_rejects(out_dir)
    assert [(r["file"], int(r["row"])) for r in rejects] == [(sf.path, 3), (sf.path, 4)]
    links = read_links(out_dir)
    assert sorted(map(str, links["record_id"])) == ["B-1", "B-2", "B-5"]
    assert len(links) + len(rejects) == len(rows)


def test_same_file_listed_twice_is_loaded_once(delivery: Delivery, out_dir):
    d = delivery
    h = base(d)
    # one MJD contact (loaded twice it would count as two) and one unusable row
    sf = d.source("MJD", [d.record(h.mother, "2003-05-05"), d.record(h.mother, None)],
                  path="mjd/contacten.csv")
    d.list_again(sf)

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(d, family_households=1, rejects=1))
    links = read_links(out_dir)
    assert (links["agency"] == "MJD").sum() == 1
    assert [(r["file"], r["row"]) for r in read_rejects(out_dir)] == [("mjd/contacten.csv", "2")]


def test_identical_copy_under_another_name_is_loaded_once(delivery: Delivery, out_dir):
    d = delivery
    h = base(d)
    sf = _mjd(d, h)
    d.raw_source("MJD", "mjd/contacten_kopie.csv", (d.root / sf.path).read_bytes())

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(d, family_households=1))
    links = read_links(out_dir)
    assert (links["agency"] == "MJD").sum() == 1


def test_file_with_a_header_and_no_rows_is_not_bad_input(delivery: Delivery, out_dir):
    d = delivery
    base(d)
    d.raw_source("MJD", "mjd/contacten.csv", b"record_id;surname;birth_date;contact_date\n",
                 delimiter=";")

    s = run_delivery(d, out_dir)

    assert_summary(s, expected_summary(d, family_households=1))
    assert read_rejects(out_dir) == []
    header = (out_dir / "rejects.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",")[:3] == ["file", "row", "reason"]


def test_manifest_with_native_toml_dates_is_not_bad_input(delivery: Delivery, out_dir):
    """delivery.md writes the dates as strings; TOML's own dates say the same."""
    import datetime as dt

    d = delivery
    base(d)
    m = d.manifest()
    for key in ("reference_date", "window_start", "window_end"):
        m["run"][key] = dt.date.fromisoformat(m["run"][key])
    manifest = d.write(m)
    assert "reference_date = 2003-09-01" in manifest.read_text(encoding="utf-8")

    s = run_pipeline(manifest, out_dir).summary

    assert_summary(s, expected_summary(d, family_households=1))
