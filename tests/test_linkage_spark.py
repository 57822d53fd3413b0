"""The Splink model of linkage/default.toml runs on Spark too (slow: starts a local JVM).

    pytest -m slow tests/test_linkage_spark.py
"""
from __future__ import annotations

import logging

import pytest

from mpg.linkage.model import PERSONS, RECORDS, splink_settings
from mpg.linkage.probabilistic import (DETERMINISTIC_KEYS, WITHIN_SURNAME, _input_tables,
                                       _within_surname_table, inside_ident, stored_model)
from mpg.pipeline import sql
from test_linkage_example import example_connection, example_ctx, link_example

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    # pyspark comes with the `spark` extra (.ci/run installs it for the slow tests): a
    # missing pyspark fails this test, it does not skip it
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location
    session = (SparkSession.builder.master("local[1]").appName("mpg-linkage-test")
               .config("spark.jars", similarity_jar_location())
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.ui.enabled", "false").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.setCheckpointDir(str(tmp_path_factory.mktemp("spark-checkpoints")))
    yield session
    session.stop()


def _trained(settings_dict: dict, model: dict) -> dict:
    """Splink's settings (SQL still with its base dialect, so Spark gets it translated)
    with the m and u the DuckDB run trained."""
    trained = {(c["output_column_name"], lv.get("label_for_charts")): lv
               for c in model["comparisons"] for lv in c["comparison_levels"]}
    for comparison in settings_dict["comparisons"]:
        for level in comparison["comparison_levels"]:
            done = trained.get((comparison["output_column_name"], level.get("label_for_charts")))
            for key in ("m_probability", "u_probability"):
                if done is not None and key in done:
                    level[key] = done[key]
    return settings_dict


def test_default_model_predicts_the_same_best_persons_on_spark_and_duckdb(tmp_path, spark):
    from splink import Linker, SparkAPI
    con, manifest = example_connection()
    ctx = example_ctx(tmp_path, manifest)
    link_example(con, ctx)
    duck_best = dict(con.execute(
        "SELECT record_key, person_id FROM ident.link_scores WHERE rank = 1").fetchall())
    model = stored_model(con)

    # The probabilistic pass's own input tables: the deterministic links tell which
    # agencies know a person; the records they decided are not scored.
    with inside_ident(con):
        _input_tables(con, "ident.links", ctx.manifest.run.reference_date)
        _within_surname_table(con)
        keys = ", ".join(sql.literal(k) for k in DETERMINISTIC_KEYS)
        con.execute(f"""DELETE FROM ident._splink_records WHERE CAST(uid AS BIGINT) IN
                        (SELECT record_key FROM ident.links WHERE match_key IN ({keys}))""")
        # Arrow carries the list and date types across; pandas would leave Spark guessing.
        records = con.sql("SELECT * FROM ident._splink_records").to_arrow_table()
        persons = con.sql("SELECT * FROM ident._splink_persons").to_arrow_table()
        within = con.sql("SELECT * FROM ident._splink_tf_within_surname").to_arrow_table()
    db_api = SparkAPI(spark_session=spark)
    settings = _trained(splink_settings(ctx.linkage, persons.num_rows), model)
    linker = Linker([db_api.register(spark.createDataFrame(records), dataset_display_name=RECORDS),
                     db_api.register(spark.createDataFrame(persons), dataset_display_name=PERSONS)],
                    settings, log_level=logging.WARNING)
    linker.table_management.register_term_frequency_lookup(
        db_api.register(spark.createDataFrame(within)), WITHIN_SURNAME)
    pred = linker.inference.predict(threshold_match_weight=-10).as_pandas_dataframe()
    record_left = pred.source_dataset_l == RECORDS
    pred["record_key"] = pred.uid_l.where(record_left, pred.uid_r).astype(int)
    pred["person_id"] = pred.uid_r.where(record_left, pred.uid_l)
    best = (pred.sort_values(["record_key", "match_weight", "person_id"],
                             ascending=[True, False, True])
            .drop_duplicates("record_key").set_index("record_key").person_id.to_dict())
    assert duck_best and {k: best.get(k) for k in duck_best} == duck_best
