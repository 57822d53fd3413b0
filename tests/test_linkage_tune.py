"""The analyst tools on the worked example: tune files, review round trip, settings errors."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from mpg.pipeline.config import load_linkage
from mpg.pipeline.errors import ConfigError

from conftest import example_dir

EXAMPLE = (example_dir() or Path("shared/spec/example")) / "delivery"
pytestmark = pytest.mark.skipif(example_dir() is None, reason="worked example not found")


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    from mpg.linkage.tune import tune
    out = tmp_path_factory.mktemp("tune")
    return tune(EXAMPLE / "delivery.toml", out), out


def test_tune_writes_every_file(tuned):
    result, out = tuned
    names = sorted(p.name for p in out.iterdir())
    assert names == [".mpg-folder.json", "identifying_clerical_review.csv", "m_u_parameters.csv",
                     "match_weights.html", "threshold_curve.csv", "threshold_curve.html"]


def test_charts_work_offline(tuned):
    result, _ = tuned
    for chart in (result.match_weights_chart, result.threshold_chart):
        html = chart.read_text(encoding="utf-8")
        assert "<script" in html and "cdn.jsdelivr" not in html.split("vegaEmbed")[0][-2000:]
        assert "src=\"http" not in html


def test_threshold_curve_counts_from_the_pipeline(tuned):
    result, _ = tuned
    rows = list(csv.DictReader(open(result.threshold_curve, encoding="utf-8")))
    assert [float(r["threshold"]) for r in rows][0] == 0.5
    assert float(rows[-1]["threshold"]) == 0.999
    # the expected example count (expected/summary.json) at the default threshold
    at_default = next(r for r in rows if float(r["threshold"]) == 0.9)
    assert int(at_default["mpg_total"]) == 6 and int(at_default["links"]) == 35
    links = [int(r["links"]) for r in rows]
    assert links == sorted(links, reverse=True)


def test_identifying_files_say_so_and_others_hold_no_names(tuned):
    result, out = tuned
    assert result.clerical_review.name.startswith("identifying_")
    review = list(csv.DictReader(open(result.clerical_review, encoding="utf-8")))
    assert review and {"agency", "file", "record_id", "person_id", "decision"} <= set(review[0])
    for name in ("m_u_parameters.csv", "threshold_curve.csv"):
        text = (out / name).read_text(encoding="utf-8")
        for value in ("Benali", "Kok", "1969-09-09", "9733"):
            assert value not in text


def test_bad_linkage_settings_name_the_key(tmp_path):
    bad = tmp_path / "linkage.toml"
    bad.write_text('threshold = 1.5\n'
                   '[[splink.blocking_rules_to_generate_predictions]]\n'
                   'blocking_rule = "l.bsn = r.bsn"\n'
                   '[[splink.comparisons]]\noutput_column_name = "x"\ncomparison_levels = [\n'
                   '  { sql_condition = "jaro_winkler(s_l, s_r) > 0.9", m_probability = 0.9 },\n'
                   '  { sql_condition = "ELSE", m_probability = 0.1, u_probability = 0.9 },\n'
                   ']\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_linkage(bad)
    text = str(err.value)
    assert "linkage.toml" in text and "threshold" in text
    assert "splink.comparisons.0.comparison_levels.0" in text and "u_probability" in text


def test_short_settings_file_takes_the_rest_from_the_default(tmp_path):
    short = tmp_path / "linkage.toml"
    short.write_text("threshold = 0.95\n[training]\nmin_records = 10\n", encoding="utf-8")
    settings = load_linkage(short)
    assert settings.threshold == 0.95 and settings.training.min_records == 10
    default = load_linkage()
    assert settings.splink == default.splink and settings.priors == default.priors
    assert settings.training.em_blocking_rules == default.training.em_blocking_rules
    assert settings.name_prefixes == default.name_prefixes


def test_the_settings_comparisons_are_splinks_own_format_as_in_the_saved_model(tmp_path):
    """The [splink] table of the settings and a trained model (OUT/linkage_model.json) are
    one format: a saved model's comparisons validate as settings and give the same model."""
    import json

    from mpg.linkage.model import splink_settings
    from mpg.pipeline.config import LinkageSettings
    settings = load_linkage()
    # at the reference register size the priors are not scaled: the model holds them as written
    size = settings.priors.reference_register_size
    model = splink_settings(settings, size)
    saved = {"comparisons": [{**c, "comparison_levels": [
        {k: v for k, v in level.items() if k != "base_dialect_str"}
        for level in c["comparison_levels"]]} for c in model["comparisons"]],
        "blocking_rules_to_generate_predictions": model["blocking_rules_to_generate_predictions"],
        "sql_dialect": "duckdb", "linker_uid": "x1", "link_type": "link_only"}
    again = LinkageSettings.model_validate({**settings.model_dump(), "splink": saved})
    assert splink_settings(again, size)["comparisons"] == model["comparisons"]
    json.dumps(model)  # plain data
