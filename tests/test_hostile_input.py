"""What real users produce, by mistake or on purpose (issue: nothing a user types destroys
their files, leaks the register, or publishes a wrong count in silence). One test or more
per numbered case; the classes (paths, names, dates) are also fuzzed in test_fuzz_*.py."""
from __future__ import annotations

import json
import os
import stat

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import (TEST_KEY, accepting_rules, read_neighbourhoods, read_rejects,
                      run_delivery, run_pipeline)
from mpg.pipeline.errors import ConfigError, DeliveryError, UsageError

# Full runs of the pipeline: end-to-end cases, run by `pytest -m e2e` (CI runs them all).
pytestmark = pytest.mark.e2e

ENV = {"MPG_PSEUDONYM_KEY": TEST_KEY.decode(), "COLUMNS": "250"}


def cli(*args, **kw):
    from mpg.cli import app
    return CliRunner().invoke(app, [str(a) for a in args], env={**ENV, **kw.pop("env", {})},
                              **kw)


def family(d, address="A1", wijk="WK01"):
    return d.family(address, wijk, adults=["1970-01-01", "1969-02-02"],
                    children=["1995-05-05"])


# 3. ------------------------------------------------------------------- absurd dates
def test_a_care_network_report_dated_9999_is_a_reject_not_a_runaway(delivery, out_dir):
    d = delivery
    h = family(d)
    d.source("ZORGNETWERK", [{**d.record(h.child, "2003-04-01"), "record_id": "Z-1"},
                             {**d.record(h.mother, "2003-05-01"), "contact_date": "9999-12-31",
                              "record_id": "Z-far"}], raw=True)
    d.source("BIB", [d.record(h.mother, "2003-03-01")])
    summary = run_delivery(d, out_dir, rules_path=accepting_rules())
    [reject] = read_rejects(out_dir)
    assert reject["row"] == "2" and "not a possible date" in reject["reason"]
    assert summary["rejects"] == 1 and summary["by_category"]["BIB"] == 1


def test_open_end_date_9999_reads_as_still_open(delivery, out_dir):
    d = delivery
    h = family(d)
    d.source("BIB", [{**d.record(h.mother, "2002-01-01"), "end_date": "9999-12-31",
                      "record_id": "B-1"}], raw=True)
    summary = run_delivery(d, out_dir)
    assert summary["by_category"]["BIB"] == 1 and summary["rejects"] == 0
    notes = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))["load_notes"]
    assert [n["note"] for n in notes] == ["end dates 9999-12-31 read as no end date"]


# 7. --------------------------------------------------------- mostly rejected files
def test_a_file_mostly_rejected_stops_the_run_and_validate(delivery, out_dir):
    d = delivery
    h = family(d)
    d.source("GELDZORG", [d.record(h.mother, "2003-03-03"), d.record(h.father, "2003-04-04"),
                          d.record(h.child, "2003-05-05")], date_format="%d-%m-%Y")
    manifest = d.write()
    text = manifest.read_text(encoding="utf-8").replace('date_format = "%d-%m-%Y"',
                                                       'date_format = "%Y-%m-%d"')
    manifest.write_text(text, encoding="utf-8")  # the wrong format: every row rejected
    with pytest.raises(DeliveryError) as err:
        run_pipeline(manifest, out_dir)
    message = str(err.value)
    assert "3 of its 3 rows are rejected" in message and "not a date in the format" in message
    assert not out_dir.exists()
    result = cli("validate", manifest)
    assert result.exit_code == 1 and "rows are rejected" in result.output


# 8. ------------------------------------------------- the same export delivered twice
def test_one_export_delivered_twice_with_other_line_endings_counts_once(delivery, out_dir):
    d = delivery
    h = family(d)
    d.source("MJD", [d.record(h.mother, "2003-03-03")], path="mjd/a.csv")
    d.source("GELDZORG", [d.record(h.mother, "2003-04-04")])
    d.source("OGGZ", [d.record(h.father, "2003-04-04")])
    manifest = d.write()
    a = (d.root / "mjd" / "a.csv").read_bytes()
    (d.root / "mjd" / "b.csv").write_bytes(a.replace(b"\n", b"\r\n"))
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        'path = "mjd/a.csv"', 'path = "mjd/a.csv"\n\n[[source]]\nagency = "MJD"\n'
        'path = "mjd/b.csv"', 1), encoding="utf-8")
    result = cli("run", manifest, "--out", out_dir)
    assert result.exit_code == 0, result.output
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    # one MJD contact, not two: MJD does not count, so the family is not MULTI_AGENCY
    assert summary["mpg_total"] == 0
    assert "already delivered in an earlier file" in result.output
    run = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
    assert run["warnings"] and run["load_notes"][0]["file"] == "mjd/b.csv"


# 9. ------------------------------------------------------- register rows that vanished
def test_register_rows_that_cannot_count_are_rejects_or_counted_notes(delivery, out_dir):
    d = delivery
    h = family(d)
    d.source("BIB", [d.record(h.mother, "2003-03-01")])
    manifest = d.write()
    residences = d.root / "gba" / "verblijfplaatsen.csv"
    lines = residences.read_text(encoding="utf-8").splitlines()
    lines.append("GHOST,A9,9711AA,1,,WK01,2000-01-01,")           # nobody of that number
    lines.append(f"{h.child.person_id},A7,9711AA,2,,WK01,2002-02-02,2001-01-01")  # ends first
    residences.write_text("\n".join(lines) + "\n", encoding="utf-8")
    persons = d.root / "gba" / "personen.csv"
    rows = persons.read_text(encoding="utf-8").splitlines()
    rows.append("UNBORN,,Later,,Kind,2004-01-01,V,NL,,")
    persons.write_text("\n".join(rows) + "\n", encoding="utf-8")
    run_pipeline(manifest, out_dir)
    rejects = {r["reason"] for r in read_rejects(out_dir)}
    assert any("is not in the persons file" in r for r in rejects)
    assert any("is before start_date" in r for r in rejects)
    notes = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))["load_notes"]
    assert {"note": "persons born after the reference date", "file": "gba/personen.csv",
            "n": 1} in notes


# 10. ------------------------------------------------------------ neighbourhood codes
def test_a_lower_case_neighbourhood_code_is_the_same_neighbourhood(delivery, out_dir):
    d = delivery
    h = family(d, "A1", "WK01")
    family(d, "A2", "wk01 ")
    d.source("BIB", [d.record(h.mother, "2003-03-01")])
    run_delivery(d, out_dir)
    rows = read_neighbourhoods(out_dir)
    assert [r["neighbourhood_code"] for r in rows] == ["WK01"]
    assert rows[0]["family_households"] == "2"


# 11. ----------------------------------------------------------- placeholder BSNs
@pytest.mark.parametrize("placeholder", ["-", "0", "000000000", "00000000"])
def test_a_report_with_only_a_placeholder_bsn_is_anonymous(delivery, out_dir, placeholder):
    d = delivery
    family(d)
    d.source("ZORGNETWERK", [{**d.anonymous_report("WK01", "2003-04-02"), "bsn": placeholder,
                              "record_id": "Z-1"}], raw=True)
    summary = run_delivery(d, out_dir)
    assert summary["not_counted"]["anonymous_zorgnetwerk"] == 1
    assert summary["not_counted"]["unlinked_records"] == 0


# 13. ------------------------------------------------------ user text is printed as text
def test_markup_in_names_and_messages_is_printed_as_it_is(delivery, tmp_path):
    d = delivery
    d.run["name"] = "Q2 [/x] [bold]"
    h = family(d)
    d.source("BIB", [d.record(h.mother, "2003-03-01")])
    manifest = d.write()
    out = tmp_path / "runs [kopie]" / "out"
    result = cli("run", manifest, "--out", out)
    assert result.exit_code == 0, result.output
    assert "Q2 [/x] [bold]" in result.output and "runs [kopie]" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text('[run]\nname = "x"\n[[source]]\nagency = "NOPE"\npath = "[/b].csv"\n',
                   encoding="utf-8")
    result = cli("run", bad, "--out", tmp_path / "o2")
    assert result.exit_code == 1 and "[[source]] number 1" in result.output
    assert "Traceback" not in result.output


# 14. ------------------------------------------------------- register file mistakes
def test_a_header_only_neighbourhoods_file_is_no_crash(delivery, out_dir):
    d = delivery
    h = family(d)
    d.source("BIB", [d.record(h.mother, "2003-03-01")])
    manifest = d.write()
    (d.root / "gba" / "wijken.csv").write_text("neighbourhood_code,neighbourhood_name\n",
                                               encoding="utf-8")
    run_pipeline(manifest, out_dir)
    assert [r["neighbourhood_code"] for r in read_neighbourhoods(out_dir)] == ["WK01"]


def test_persons_and_residences_in_one_file_is_a_manifest_error(delivery, out_dir):
    d = delivery
    family(d)
    m = d.manifest()
    m["register"]["residences"] = m["register"]["persons"]
    manifest = d.write(m)
    with pytest.raises(ConfigError, match="register.persons and register.residences"):
        run_pipeline(manifest, out_dir)


def test_a_missing_nicknames_file_fails_when_the_settings_are_loaded(tmp_path):
    from mpg.pipeline.config import load_linkage
    path = tmp_path / "linkage.toml"
    path.write_text('nicknames = "roepnamen.csv"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="nicknames.*does not exist"):
        load_linkage(path)


# 15. ------------------------------------------------------------------------- keys
def test_a_new_key_is_made_with_its_folders_owner_only_and_never_overwritten(tmp_path):
    old = os.umask(0o022)
    try:
        target = tmp_path / "home" / ".mpg" / "pseudonym.key"
        result = cli("key", "--new", target)
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    key = target.read_text()
    again = cli("key", "--new", target)
    assert again.exit_code == 2 and "never overwritten" in again.output
    assert target.read_text() == key and "OUT" not in again.output


def test_review_import_of_an_unfilled_file_stores_nothing_and_says_so(tmp_path):
    review = tmp_path / "review.csv"
    review.write_text("agency,file,record_id,person_id,decision\nMJD,f.csv,R1,P1,\n",
                      encoding="utf-8")
    result = cli("review", "import", review, "--store", tmp_path / "s" / "store.duckdb")
    assert result.exit_code == 0, result.output
    assert "0 match and 0 non-match" in result.output and "1 rows without" in result.output
    assert stat.S_IMODE((tmp_path / "s" / "store.duckdb").stat().st_mode) == 0o600


def test_tune_never_overwrites_a_review_an_analyst_is_filling_in(tmp_path):
    from mpg.linkage.tune import REVIEW_FILE, tune
    from conftest import find_example
    manifest = find_example() / "delivery" / "delivery.toml"
    folder = tmp_path / "tuning"
    tune(manifest, folder, review_pairs=5)
    review = folder / REVIEW_FILE
    assert stat.S_IMODE(review.stat().st_mode) == 0o600
    lines = review.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1] + "match"  # the last column is the decision
    review.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(UsageError, match="never overwritten"):
        tune(manifest, folder, review_pairs=5)
    assert review.read_text(encoding="utf-8").splitlines()[1].endswith("match")


# 16. ----------------------------------------------------- paths leaving the delivery
@pytest.mark.parametrize("where", ["../outside.csv", "absolute", "symlink"])
def test_a_manifest_path_leaving_the_delivery_is_refused_naming_the_key(delivery, tmp_path,
                                                                       where):
    d = delivery
    h = family(d)
    d.source("BIB", [d.record(h.mother, "2003-03-01")])
    manifest = d.write()
    secret = tmp_path / "outside.csv"
    secret.write_text("record_id,surname,contact_date\n1,Secret,2003-01-01\n")
    if where == "absolute":
        path = str(secret)
    elif where == "symlink":
        os.symlink(secret, d.root / "link.csv")
        path = "link.csv"
    else:
        path = where
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace('path = "bib/bib_1.csv"', f'path = "{path}"'),
                        encoding="utf-8")
    assert f'path = "{path}"' in manifest.read_text(encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        run_pipeline(manifest, tmp_path / "runs" / "out")
    assert "points outside the delivery folder" in str(err.value)
    assert "[[source]] number 1 (agency BIB) path" in str(err.value)


# 17. ------------------------------------------------------------------- small things
def test_a_manifest_with_a_byte_order_mark_and_a_folder_for_a_manifest(delivery, tmp_path):
    d = delivery
    h = family(d)
    d.source("BIB", [d.record(h.mother, "2003-03-01")])
    manifest = d.write()
    manifest.write_bytes(b"\xef\xbb\xbf" + manifest.read_bytes())
    result = cli("run", d.root, "--out", tmp_path / "runs" / "out")  # the folder itself
    assert result.exit_code == 0, result.output


def test_version_and_the_demo_flag(delivery, tmp_path):
    from mpg import __version__
    assert cli("--version").output.strip() == f"mpg {__version__}"
    d = delivery
    h = family(d)
    d.source("BIB", [d.record(h.mother, "2003-03-01")])
    manifest = d.write()
    result = cli("run", manifest, "--out", tmp_path / "o", "--demo", env={"MPG_PSEUDONYM_KEY": ""})
    assert result.exit_code == 0, result.output
    demo_line = [line for line in cli("run", "--help").output.splitlines() if "--demo" in line]
    assert demo_line and "<bool>" not in demo_line[0]


def test_identical_runs_write_identical_links_and_models(delivery, tmp_path):
    d = delivery
    h = family(d)
    d.source("GELDZORG", [d.record(h.mother, "2003-03-03", with_bsn=False)])
    manifest = d.write()
    a, b = tmp_path / "runs" / "a", tmp_path / "runs" / "b"
    run_pipeline(manifest, a)
    run_pipeline(manifest, b)
    for name in ("links.parquet", "households.parquet", "linkage_model.json", "summary.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


# 5. ------------------------------------------------------------------- interrupts
def test_ctrl_c_stops_the_run_with_130_and_leaves_the_previous_out(delivery, tmp_path,
                                                                   monkeypatch):
    from conftest import snapshot
    from mpg.pipeline import households
    d = delivery
    h = family(d)
    d.source("BIB", [d.record(h.mother, "2003-03-01")])
    manifest = d.write()
    out = tmp_path / "runs" / "out"
    assert cli("run", manifest, "--out", out).exit_code == 0
    before = snapshot(out)
    import dataclasses

    from mpg.pipeline import stages
    original = stages.STAGES
    for error in (KeyboardInterrupt(), duckdb.InterruptException("INTERRUPT Error")):
        def interrupted(con, ctx, error=error):
            raise error
        monkeypatch.setattr(stages, "STAGES", tuple(
            dataclasses.replace(s, run=interrupted) if s is households.STAGE else s
            for s in original))
        result = cli("run", manifest, "--out", out)
        assert result.exit_code == 130, result.output
        assert "interrupted" in result.output and "unexpected" not in result.output
        assert snapshot(out) == before
        assert sorted(p.name for p in out.parent.iterdir()) == ["out"]
