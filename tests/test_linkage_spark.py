"""The Splink model of linkage/default.toml runs on Spark too (slow: starts a local JVM).

    pytest -m slow tests/test_linkage_spark.py
"""
from __future__ import annotations

import logging

import pytest

from mpg.linkage.model import PERSONS, RECORDS, splink_settings
from mpg.linkage.standardise import LINK_COLUMNS
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


def test_default_model_predicts_the_same_best_persons_on_spark_and_duckdb(tmp_path, spark):
    from splink import Linker, SparkAPI
    con, manifest = example_connection()
    ctx = example_ctx(tmp_path, manifest)
    link_example(con, ctx)
    duck_best = dict(con.execute(
        "SELECT record_key, person_id FROM ident.link_scores WHERE rank = 1").fetchall())

    columns = ", ".join(LINK_COLUMNS)
    # Arrow carries the list and date types across; pandas would leave Spark guessing.
    records = con.sql(f"SELECT {columns} FROM ident.records_std").to_arrow_table()
    persons = con.sql(f"SELECT {columns} FROM ident.persons_std").to_arrow_table()
    db_api = SparkAPI(spark_session=spark)
    settings = ctx.linkage
    linker = Linker([db_api.register(spark.createDataFrame(records), dataset_display_name=RECORDS),
                     db_api.register(spark.createDataFrame(persons), dataset_display_name=PERSONS)],
                    splink_settings(settings, persons.num_rows), log_level=logging.WARNING)
    pred = linker.inference.predict(threshold_match_weight=-10).as_pandas_dataframe()
    record_left = pred.source_dataset_l == RECORDS
    pred["record_key"] = pred.uid_l.where(record_left, pred.uid_r).astype(int)
    pred["person_id"] = pred.uid_r.where(record_left, pred.uid_l)
    best = (pred.sort_values(["record_key", "match_weight", "person_id"],
                             ascending=[True, False, True])
            .drop_duplicates("record_key").set_index("record_key").person_id.to_dict())
    # DuckDB scored only the records the deterministic passes left; Spark scored them all.
    assert duck_best and {k: best.get(k) for k in duck_best} == duck_best
