"""bench/scale.py counts the households linkage lost and gained against the city's truth."""
import duckdb
import pandas as pd

from bench.scale import household_changes
from mpg.pipeline.keys import DEMO_KEY, pseudonym


def test_household_changes_match_households_by_their_members(tmp_path):
    city, out = tmp_path / "city", tmp_path / "out"
    (city / "truth").mkdir(parents=True)
    (city / "delivery").mkdir()
    out.mkdir()
    (city / "delivery" / "delivery.toml").write_text(
        '[run]\nname = "T"\nreference_date = "2004-06-30"\nwindow_start = "2003-01-01"\n'
        'window_end = "2004-06-30"\n[register]\npersons = "p.csv"\nresidences = "r.csv"\n'
        '[register.residences_columns]\nperson_id = "anr"\n', encoding="utf-8")
    # A1 and A2 counted in truth; A3 moved out of A4 before the reference date
    pd.DataFrame({"anr": ["P1", "P2", "P3", "P4", "P5"],
                  "address_id": ["A1", "A1", "A2", "A3", "A4"],
                  "start_date": ["2000-01-01"] * 4 + ["2005-01-01"],
                  "end_date": [None] * 5}).to_csv(city / "delivery" / "r.csv", index=False)
    pd.DataFrame({"address_id": ["A1", "A2", "A3"],
                  "category": ["BIB", "MULTI_AGENCY", "ZORGNETWERK"]}).to_csv(
        city / "truth" / "truth_households.csv", index=False)
    key = {p: pseudonym(DEMO_KEY, "person", p) for p in ("P1", "P2", "P3", "P4", "P9")}
    con = duckdb.connect(str(out / "run.duckdb"))
    con.execute("CREATE TABLE memberships (household_key VARCHAR, person_key VARCHAR)")
    con.executemany("INSERT INTO memberships VALUES (?, ?)",
                    [("H1", key["P1"]), ("H1", key["P2"]), ("H2", key["P3"]),
                     ("H3", key["P4"]), ("H9", key["P9"])])
    # ours: A1 right, A2 in another category, A3 lost, H9 (not counted in truth) gained
    con.execute("CREATE TABLE counted_households AS SELECT * FROM (VALUES ('H1', 'BIB'), "
                "('H2', 'ZORGNETWERK'), ('H9', 'BIB')) t(household_key, category)")
    con.close()
    pd.DataFrame({"match_key": ["bsn", "household", "household", None]}).to_parquet(
        out / "links.parquet")
    assert household_changes(city, out) == {"lost": 2, "gained": 2, "other_category": 1,
                                            "records_at_household_level": 2}
