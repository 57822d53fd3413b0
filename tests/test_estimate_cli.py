"""`mpg estimate --table COUNTS.csv` and `mpg estimate OUT`: the keys of the JSON, the
exit codes (1 when a table cannot give an estimate, 2 for a usage error), and a run's
summary.json whose estimate section, and nothing else, is replaced."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from builder import Delivery
from conftest import TEST_KEY, run_delivery
from mpg.pipeline import mse

# Full runs of the pipeline: end-to-end cases, run by `pytest -m e2e` (CI runs them all).
pytestmark = pytest.mark.e2e

ENV = {"MPG_PSEUDONYM_KEY": TEST_KEY.decode(), "MPG_PSEUDONYM_KEY_FILE": None,
       "COLUMNS": "200"}
# outputs.md, summary.json -> estimate: the keys `mpg estimate --table --json` shares
CONTRACT = {"observed", "unseen", "total", "ci95", "ci80", "chao_lower_bound", "model",
            "criterion", "interval_method", "models", "warnings", "lists", "table"}
TABLE = {"Z": 53, "M": 92, "MZ": 39, "B": 19, "BZ": 27, "BM": 5, "BMZ": 12}
LISTS = ("BIB", "MULTI_AGENCY", "ZORGNETWERK")


def mpg(*args):
    from mpg.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args], env=ENV)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {type(result.exception).__name__}: {result.exception}\n{result.output}")
    assert "Traceback" not in result.output
    return result


def write_counts(path: Path, cells: dict[str, int], header=("BIB", "MULTI_AGENCY",
                                                             "ZORGNETWERK", "count")) -> Path:
    lines = [",".join(header)]
    for letters, n in cells.items():
        lines.append(",".join(str(int(name[0] in letters)) for name in header[:-1]) + f",{n}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_table_json_has_the_contracts_keys_and_is_the_estimators(tmp_path):
    counts = write_counts(tmp_path / "counts.csv", TABLE)
    result = mpg("estimate", "--table", counts, "--json", "--bootstrap", "60", "--seed", "3")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)  # plain JSON on stdout, nothing else
    assert CONTRACT <= set(out)
    expected = mse.estimate(mse.read_table(counts), bootstrap=60, seed=3).to_dict()
    assert out == json.loads(json.dumps(expected))
    assert out["observed"] == sum(TABLE.values()) and out["lists"] == list(LISTS)
    assert out["criterion"] == "BIC" and out["seed"] == 3


def test_table_without_json_prints_every_figure(tmp_path):
    counts = write_counts(tmp_path / "counts.csv", TABLE)
    result = mpg("estimate", "--table", counts, "--bootstrap", "40")
    assert result.exit_code == 0, result.output
    for words in ("observed", "unseen", "total", "95% interval", "80% interval",
                  "profile-likelihood", "Chao", "model", "criterion", "BIB:ZORGNETWERK"):
        assert words in result.output, words


@pytest.mark.parametrize("write,message", [
    (lambda p: write_counts(p, {"B": 5, "M": 4, "Z": 3}), "nobody is on two lists"),
    (lambda p: write_counts(p, {"B": 5, "M": 4}, header=("BIB", "count")), "at least two"),
    (lambda p: (p.write_text("A,B,count\n1,0,5\n0,1,x\n1,1,2\n", encoding="utf-8"), p)[1],
     "line 3, column 'count'"),
    (lambda p: p, "cannot be read"),  # no such file
])
def test_a_table_that_cannot_give_an_estimate_exits_1(tmp_path, write, message):
    path = write(tmp_path / "counts.csv")
    result = mpg("estimate", "--table", path, "--json")
    assert result.exit_code == 1, result.output
    assert message in result.output and result.stdout == ""


@pytest.mark.parametrize("args", [(), ("--table", "a.csv", "OUT"),
                                  ("--table", "a.csv", "--criterion", "R2")])
def test_usage_errors_exit_2(tmp_path, args):
    if "a.csv" in args:
        write_counts(tmp_path / "a.csv", TABLE)
    args = tuple(str(tmp_path / a) if a in ("a.csv", "OUT") else a for a in args)
    result = mpg("estimate", *args)
    assert result.exit_code == 2, result.output


# ------------------------------------------------------------------ a run's OUT
def pattern_delivery(root: Path, cells: dict[str, int]) -> Delivery:
    """Families on the lists the letters name (B, M, Z), linked by BSN."""
    d = Delivery(root)
    rows, _ = d.families_on_lists(cells, lambda n: f"WK0{n % 3 + 1}")
    for agency, agency_rows in rows.items():
        d.source(agency, agency_rows)
    return d


@pytest.fixture(scope="module")
def run_out(tmp_path_factory):
    root = tmp_path_factory.mktemp("estimate_out")
    cells = {k: max(2, v // 4) for k, v in TABLE.items()}
    out = root / "runs" / "out"
    (root / "runs").mkdir()
    summary = run_delivery(pattern_delivery(root / "delivery", cells), out)
    assert summary["mpg_total"] == sum(cells.values())
    return out


def test_a_run_writes_the_estimate_into_summary_json(run_out):
    summary = json.loads((run_out / "summary.json").read_text(encoding="utf-8"))
    est = summary["estimate"]
    assert CONTRACT <= set(est) and list(summary)[-1] == "estimate"
    assert est["observed"] == summary["mpg_total"]
    assert {"linkage", "variance_shares", "ci95_without_linkage", "strata"} <= set(est)
    run = json.loads((run_out / "run.json").read_text(encoding="utf-8"))
    assert run["metrics"]["estimate"]["error"] is None
    assert "estimate" in run["stages"]


def test_estimate_out_replaces_only_the_estimate_section(run_out, tmp_path):
    out = tmp_path / "out"
    import shutil

    shutil.copytree(run_out, out)
    before = (out / "summary.json").read_text(encoding="utf-8")
    others = {f.name: f.read_bytes() for f in out.iterdir() if f.name != "summary.json"}
    result = mpg("estimate", out, "--seed", "7", "--bootstrap", "50", "--json")
    assert result.exit_code == 0, result.output
    after = (out / "summary.json").read_text(encoding="utf-8")
    printed = json.loads(result.stdout)
    assert json.loads(after)["estimate"] == printed and printed["seed"] == 7
    assert printed["bootstrap_replicates"] == 50
    assert after != before
    # every byte before the estimate is the same, and the estimate is still the last key
    cut = before.index('\n  "estimate": ')
    assert after[:cut] == before[:cut]
    assert {k: v for k, v in json.loads(after).items() if k != "estimate"} == \
        {k: v for k, v in json.loads(before).items() if k != "estimate"}
    # nothing else in OUT changed, and no temporary file is left behind
    assert {f.name: f.read_bytes() for f in out.iterdir() if f.name != "summary.json"} == others
    # the same options give the same estimate again
    again = mpg("estimate", out, "--seed", "7", "--bootstrap", "50", "--json")
    assert json.loads(again.stdout) == printed


def test_estimate_out_with_other_lists_is_refused(run_out, tmp_path):
    from mpg.pipeline.config import DEFAULT_RULES

    default = DEFAULT_RULES.read_text(encoding="utf-8")
    assert '# lists = ["BIB", "MULTI_AGENCY", "ZORGNETWERK"]' in default
    text = default.replace('# lists = ["BIB", "MULTI_AGENCY", "ZORGNETWERK"]',
                           'lists = ["BIB", "ZORGNETWERK"]')
    rules = tmp_path / "rules.toml"
    rules.write_text(text, encoding="utf-8")
    before = (run_out / "summary.json").read_bytes()
    result = mpg("estimate", run_out, "--rules", rules)
    assert result.exit_code == 2 and "not the lists" in result.output, result.output
    assert (run_out / "summary.json").read_bytes() == before


def test_estimate_of_a_folder_that_is_no_out_exits_2(tmp_path):
    result = mpg("estimate", tmp_path)
    assert result.exit_code == 2 and "not the OUT folder" in result.output


@pytest.mark.slow
def test_the_demo_citys_true_total_lies_in_the_95_interval(tmp_path):
    """`mpg demo` (60,000 persons, easy, seed 2004): the synthetic city's hidden total of
    multi-problem families lies inside the estimate's 95% interval, and the demo says so."""
    result = mpg("demo", "--out", tmp_path / "demo")
    assert result.exit_code == 0, result.output
    (summary_path,) = (tmp_path / "demo" / "out").glob("*/summary.json")
    (truth_path,) = (tmp_path / "demo" / "cities").rglob("truth/truth.json")
    est = json.loads(summary_path.read_text(encoding="utf-8"))["estimate"]
    true_total = json.loads(truth_path.read_text(encoding="utf-8"))["prevalence"]["total"]
    low, high = est["ci95"]
    assert low <= true_total <= high, (est["ci95"], true_total)
    assert est["observed"] < true_total  # the count alone misses the hidden families
    assert f"{true_total:,} (inside the 95% interval)" in result.output
