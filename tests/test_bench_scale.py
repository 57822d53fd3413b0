"""bench/scale.py scores the run's links against the synthetic city's true links."""
import pandas as pd

from bench.scale import link_quality


def test_link_quality_counts_a_wrong_person_as_made_and_missed(tmp_path):
    key = {"agency": ["MJD"] * 4, "file": ["mjd/contacten.csv"] * 4,
           "record_id": ["M1", "M2", "M3", "M4"]}
    pd.DataFrame({**key, "person_id": ["P1", "P2", "P3", ""]}).to_csv(
        tmp_path / "truth_links.csv", index=False)
    # M1 right, M2 the wrong person, M3 missed, M4 (nobody in the register) linked anyway
    pd.DataFrame({**key, "person_id": ["P1", "P9", None, "P4"]}).to_parquet(
        tmp_path / "links.parquet")
    q = link_quality(tmp_path / "links.parquet", tmp_path / "truth_links.csv")
    assert (q["links_made"], q["true_links"], q["right"]) == (3, 3, 1)
    assert q["precision"] == q["recall"] == round(1 / 3, 4)


def test_unresolvable_misses_counts_records_whose_fields_fit_two_persons(tmp_path):
    """M1 carries a surname and an initial that P1 (its person) and P2 share; M2 a given
    name and birth date only P1 has; M3 (counted at household level) fits P1 and P2 again;
    M4 is linked. Household-level records are left out of the total."""
    import datetime as dt

    import duckdb

    from bench.scale import unresolvable_misses

    con = duckdb.connect(str(tmp_path / "identifying.duckdb"))
    con.execute("CREATE TABLE records (record_key BIGINT, agency VARCHAR, file VARCHAR, "
                "record_id VARCHAR)")
    con.execute("CREATE TABLE records_std (record_key BIGINT, given_first VARCHAR, "
                "initials VARCHAR, birth_date DATE, sex VARCHAR, address_key VARCHAR)")
    con.execute("CREATE TABLE persons_std (uid VARCHAR, surname_stem VARCHAR, "
                "given_first VARCHAR, initials VARCHAR, birth_date DATE, sex VARCHAR, "
                "address_keys VARCHAR[])")
    born = dt.date(1970, 5, 5)
    for key, given, initials, birth in ((1, None, "p", None), (2, "pieter", "p", born),
                                        (3, None, "p", None), (4, "pieter", "p", born)):
        con.execute("INSERT INTO records VALUES (?, 'MJD', 'f.csv', ?)", [key, f"M{key}"])
        con.execute("INSERT INTO records_std VALUES (?, ?, ?, ?, NULL, NULL)",
                    [key, given, initials, birth])
    for uid, given, birth in (("P1", "pieter", born), ("P2", "paul", dt.date(1990, 1, 1)),
                              ("P3", "pieter", dt.date(1980, 1, 1))):
        con.execute("INSERT INTO persons_std VALUES (?, 'jansen', ?, 'p', ?, 'M', ['9711AA 1'])",
                    [uid, given, birth])
    con.close()
    key = {"agency": ["MJD"] * 4, "file": ["f.csv"] * 4, "record_id": ["M1", "M2", "M3", "M4"]}
    pd.DataFrame({**key, "person_id": ["P1"] * 4}).to_csv(tmp_path / "truth_links.csv",
                                                          index=False)
    pd.DataFrame({**key, "person_id": [None, None, None, "P1"],
                  "match_key": ["below_threshold", "ambiguous", "household", "bsn"]}).to_parquet(
        tmp_path / "links.parquet")
    (tmp_path / "truth").mkdir()
    (tmp_path / "truth_links.csv").rename(tmp_path / "truth" / "truth_links.csv")
    got = unresolvable_misses(tmp_path, tmp_path)
    assert got["by_match_key"] == {
        "ambiguous": {"missed": 1, "fields_fit_several": 0},
        "below_threshold": {"missed": 1, "fields_fit_several": 1},
        "household": {"missed": 1, "fields_fit_several": 1}}
    assert (got["missed"], got["fields_fit_several"]) == (3, 1)
