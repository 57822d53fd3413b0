"""A failed training step leaves the model exactly as it was before the step, and says so
(issue: nothing a user types ... case 4). EM is driven to an m below what Splink accepts
(3.3e-314, seen on a 250k city) in the second of three sessions."""
from __future__ import annotations

import duckdb
import pytest

from harness import memory_context
from mpg.linkage import link, standardise
from mpg.linkage.probabilistic import stored_model
from mpg.pipeline.config import load_linkage
from mpg.pipeline.runner import run_stage


def _city():
    from bench.linkage import _load_tables, generated_city
    task = generated_city(n_persons=2500, n_records=500, seed=5)
    con = duckdb.connect()
    _load_tables(con, task)
    return con


def _train(tmp_path, rules: list[str]):
    settings = load_linkage()
    training = {**settings.training.model_dump(), "min_records": 100,
                "em_blocking_rules": rules}
    tmp_path.mkdir(parents=True, exist_ok=True)
    ctx = memory_context(tmp_path, linkage=load_linkage(training=training))
    con = _city()
    run_stage(con, ctx, standardise.STAGE)
    metrics = run_stage(con, ctx, link.STAGE).metrics
    return stored_model(con), metrics


@pytest.fixture
def em_underflow(monkeypatch):
    """The second EM session sets one level's m to 3.3e-314 in its second iteration, after
    it already updated other levels (a half-updated model is what the step leaves)."""
    import splink.internals.expectation_maximisation as em

    state = {"session": 0, "iteration": 0}
    session, step = em.expectation_maximisation, em.maximisation_step

    def counting_session(*args, **kwargs):
        state["session"] += 1
        state["iteration"] = 0
        return session(*args, **kwargs)

    def underflowing_step(*args, **kwargs):
        state["iteration"] += 1
        if state["session"] == 2 and state["iteration"] == 2:
            records = [dict(r) for r in kwargs["param_records"]]
            target = [r for r in records
                      if r["output_column_name"] != "_probability_two_random_records_match"][-1]
            target["m_probability"] = 3.3e-314
            kwargs["param_records"] = records
        return step(*args, **kwargs)

    monkeypatch.setattr(em, "expectation_maximisation", counting_session)
    monkeypatch.setattr(em, "maximisation_step", underflowing_step)
    import splink.internals.em_training_session as sessions
    monkeypatch.setattr(sessions, "expectation_maximisation", counting_session)
    return state


@pytest.mark.slow  # two trainings of a generated city: 15 s
def test_a_failed_em_session_leaves_the_model_as_it_was_and_warns(tmp_path, em_underflow):
    rules = list(load_linkage().training.em_blocking_rules)
    failed, metrics = _train(tmp_path / "failed", rules)
    assert em_underflow["session"] == 3  # the third session still ran
    training = metrics["link"]["training"]
    assert training["em_sessions"] == 2 and training["em_failed"] == 1
    [warning] = metrics["warnings"]
    assert "EM session" in warning and "failed (ValueError)" in warning
    # exactly the model of the same training without the failed session
    without, _ = _train(tmp_path / "without", [rules[0], rules[2]])
    assert failed["comparisons"] == without["comparisons"]
    levels = [lv for c in failed["comparisons"] for lv in c["comparison_levels"]
              if not lv.get("is_null_level")]
    assert min(lv["m_probability"] for lv in levels) >= 1e-300


def test_the_warning_reaches_run_json_and_the_console(delivery, tmp_path, monkeypatch):
    """A degraded model is a warning the bureau cannot miss: in run.json and, in yellow, at
    the end of the console output."""
    import json

    from typer.testing import CliRunner

    from conftest import TEST_KEY
    from mpg.cli import app
    from mpg.linkage import probabilistic

    def failing_u(linker, *args, **kwargs):
        raise ValueError("u probability value 3e-320 is below the minimum allowed")

    monkeypatch.setattr("splink.internals.linker_components.training.LinkerTraining."
                        "estimate_u_using_random_sampling", failing_u)
    d = delivery
    h = d.family("A1", "WK01", adults=["1970-01-01", "1969-02-02"], children=["1995-05-05"])
    d.source("GELDZORG", [d.record(h.mother, "2003-03-03", with_bsn=False)])
    manifest = d.write()
    linkage = tmp_path / "linkage.toml"
    linkage.write_text("[training]\nmin_records = 1\nem_blocking_rules = []\n",
                       encoding="utf-8")
    out = tmp_path / "runs" / "out"
    result = CliRunner().invoke(app, ["run", str(manifest), "--out", str(out), "--linkage",
                                      str(linkage)],
                                env={"MPG_PSEUDONYM_KEY": TEST_KEY.decode(), "COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "warning: linkage training: the u estimation by random sampling failed" in result.output
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert [w for w in run["warnings"] if w.startswith("linkage training: the u estimation")]
    assert probabilistic.TRAINING_FAILURES  # the kinds a step may fail with, named
