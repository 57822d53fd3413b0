"""The hostile classes of the issue "nothing a user types ...", fuzzed: paths that try to
leave the delivery, names that try to be SQL, dates that try to make the work unbounded."""
from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import accepting_rules
from test_fuzz_readers import DERANDOMIZE, EXAMPLES, load_only, small_register, write_manifest

FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=DERANDOMIZE, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SECRET = "Geheimnaam"  # in a file outside the delivery: it may never be read into a run

SEGMENTS = st.sampled_from(["..", ".", "gba", "m.csv", "link", "outside.csv", "", "~",
                            "etc", "passwd", "%2e%2e", "m.csv\u0000"])


@st.composite
def hostile_paths(draw) -> str:
    parts = draw(st.lists(SEGMENTS, min_size=1, max_size=5))
    lead = draw(st.sampled_from(["", "/", "./", "../", "../../", "~/"]))
    return lead + "/".join(parts)


@settings(FUZZ)
@given(path=hostile_paths())
def test_no_manifest_path_reads_a_file_outside_the_delivery(path):
    from mpg.pipeline.errors import ConfigError, DeliveryError
    with tempfile.TemporaryDirectory() as tmp:
        d = small_register(Path(tmp) / "delivery")
        (Path(tmp) / "outside.csv").write_text(
            f"record_id,surname,contact_date\n1,{SECRET},2003-01-01\n", encoding="utf-8")
        (d.root / "m.csv").write_text("record_id,surname,contact_date\n1,Binnen,2003-01-01\n",
                                      encoding="utf-8")
        os.symlink(Path(tmp) / "outside.csv", d.root / "link")
        manifest = write_manifest(d, [{"agency": "MJD", "path": path}])
        try:
            con = load_only(manifest)
        except (ConfigError, DeliveryError) as exc:
            assert SECRET not in str(exc)
            return
        surnames = [s for (s,) in con.execute("SELECT surname FROM ident.records").fetchall()]
        con.close()
        assert SECRET not in surnames
        assert surnames == ["Binnen"], (path, surnames)


NAMES = st.one_of(st.text(max_size=30), st.sampled_from([
    "O'GGZ", "OGGZ', 1)) t(s, a, m); COPY (SELECT 1) TO '/tmp/x'; --", 'X"; DROP TABLE x; --',
    "A+B", "MPG_TOTAL", "Team Noord", "ÄGENCY", "x" * 41]))


@settings(FUZZ)
@given(agency=NAMES, category=NAMES)
def test_a_name_in_the_rules_is_a_valid_name_or_a_config_error(agency, category):
    import re

    from mpg.pipeline.config import DEFAULT_RULES, NAME_PATTERN, load_rules
    from mpg.pipeline.errors import ConfigError
    from test_fuzz_readers import toml_string
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    head, agencies = text.split("[agencies.MJD]", 1)
    extra = (f"[[categories]]\nname = {toml_string(category)}\nsources = [\"BIB\"]\n"
             "label = { nl = \"x\", en = \"x\" }\n\n"
             f"[agencies.{toml_string(agency)}]\nsources = [\"BIJSTAND\"]\n")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rules.toml"
        path.write_text(head + "[agencies.MJD]" + agencies + "\n" + extra, encoding="utf-8")
        fine = all(re.fullmatch(NAME_PATTERN, n) for n in (agency, category)) and \
            category.lower() not in ("neighbourhood_code", "neighbourhood_name",
                                     "family_households", "mpg_total",
                                     "share_of_family_households", "share_of_mpg") and \
            category.lower() not in ("bib", "multi_agency", "zorgnetwerk") and \
            agency not in ("MJD", "GELDZORG", "JEUGDZORG", "ZAR", "WOONKANS", "OGGZ")
        try:
            rules = load_rules(path)
        except ConfigError as exc:
            assert not fine, (agency, category, str(exc))
            assert "rules.toml" in str(exc)
            return
        assert fine, (agency, category)
        from mpg.pipeline.select import agency_map
        con = duckdb.connect()
        agency_map(con, rules)
        assert (agency,) in con.execute("SELECT DISTINCT agency FROM agency_map").fetchall()


@settings(FUZZ)
@given(years=st.lists(st.integers(1, 9999), min_size=1, max_size=6),
       open_end=st.booleans())
def test_any_year_an_agency_types_is_a_reject_or_a_record_and_the_work_stays_bounded(
        years, open_end):
    from mpg.linkage.standardise import STAGE
    from mpg.pipeline.config import load_manifest, load_rules
    from mpg.pipeline.context import RunContext
    from mpg.pipeline.runner import run_stage
    with tempfile.TemporaryDirectory() as tmp:
        d = small_register(Path(tmp) / "delivery")
        rows = ["record_id,surname,contact_date,end_date,neighbourhood_code"]
        for i, year in enumerate(years, start=1):
            end = "9999-12-31" if open_end else ""
            rows.append(f"{i},Naam{i},{year:04d}-06-01,{end},WK01")
        (d.root / "zn.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        manifest = write_manifest(d, [{"agency": "ZORGNETWERK", "path": "zn.csv"}])
        con = load_only(manifest)
        try:
            loaded = dict(con.execute("SELECT record_id, end_date FROM ident.records").fetchall())
            rejects = dict(con.execute('SELECT "row", reason FROM rejects').fetchall())
            for i, year in enumerate(years, start=1):
                if 1850 <= year <= 2100:
                    assert loaded[str(i)] is None  # 9999-12-31 is an open end
                else:
                    assert str(i) not in loaded and "not a possible date" in rejects[i]
            ctx = RunContext.create(load_manifest(manifest), Path(tmp),
                                    rules=load_rules(accepting_rules()))
            run_stage(con, ctx, STAGE)
            [(longest,)] = con.execute("""SELECT coalesce(max(len(neighbourhood_years)), 0)
                                          FROM ident.persons_std""").fetchall()
            window = ctx.manifest.run
            assert longest <= window.window_end.year + 1 - (window.window_start.year - 10) + 1
        finally:
            con.close()
    assert dt.date(2100, 12, 31) > dt.date(1850, 1, 1)
