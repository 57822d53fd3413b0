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
