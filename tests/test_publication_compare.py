"""`reports.compare.compare`: a quarter against the previous one. Inflow, outflow and stayers
are matched on household_key; the published counts pass disclosure control and agree with
each run's own publication."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from mpg.reports import model
from mpg.reports.compare import Comparison, compare, flows
from mpg.reports.disclosure import Status
from mpg.reports.publish import publish
from disclosure_reader import ilp_ranges as exact_ranges
from test_publication import (assert_no_small_numbers, embedded_specs, row_for, sheet_rows,
                              workbook_cells)
from test_reports_support import household, write_out

FAMILIES = {"WK001401": 2000, "WK001402": 1500, "WK001403": 1800, "WK001404": 900}


def make(prefix: str, category: str, wijk: str, keys) -> list[dict]:
    return [household(f"{prefix}{k}", category, wijk,
                      agencies=("GELDZORG", "JEUGDZORG", "MJD") if category == "MULTI_AGENCY"
                      else ()) for k in keys]


def quarter_pair(tmp_path: Path, *, ma_out: int = 0) -> tuple[Path, Path]:
    """Before: 30 BIB, 25 multi-agency, 20 care network. Now: 10 BIB and 5 care-network
    households gone, 12 BIB and 7 care-network households new; `ma_out` multi-agency gone."""
    before = (make("b", "BIB", "WK001401", range(30))
              + make("m", "MULTI_AGENCY", "WK001402", range(25))
              + make("z", "ZORGNETWERK", "WK001403", range(20)))
    now = (make("b", "BIB", "WK001401", range(20)) + make("b", "BIB", "WK001401", range(100, 112))
           + make("m", "MULTI_AGENCY", "WK001402", range(ma_out, 25))
           + make("z", "ZORGNETWERK", "WK001403", range(15))
           + make("z", "ZORGNETWERK", "WK001403", range(100, 107)))
    prev = write_out(tmp_path / "2004Q1", before, FAMILIES, run="2004Q1",
                     reference_date="2004-03-31")
    cur = write_out(tmp_path / "2004Q2", now, FAMILIES, run="2004Q2",
                    reference_date="2004-06-30")
    return prev, cur


def test_flows_on_hand_made_households():
    before = pd.DataFrame(make("b", "BIB", "W1", range(5)) + make("m", "MULTI_AGENCY", "W2", [1]))
    after = pd.DataFrame(make("b", "BIB", "W1", range(2, 8))
                         + [household("m1", "BIB", "W3")])  # m1 moved and became BIB
    f = flows(before, after).set_index("household_key")
    assert set(f[f.status == "in"].index) == {"b5", "b6", "b7"}
    assert set(f[f.status == "out"].index) == {"b0", "b1"}
    assert set(f[f.status == "stay"].index) == {"b2", "b3", "b4", "m1"}
    assert f.loc["m1", "prev_category"] == "MULTI_AGENCY" and f.loc["m1", "now_category"] == "BIB"
    assert f.loc["m1", "prev_wijk"] == "W2" and f.loc["m1", "now_wijk"] == "W3"


def test_compare_counts_inflow_outflow_and_stayers(tmp_path: Path):
    prev, cur = quarter_pair(tmp_path)
    pub = tmp_path / "pub"
    written = compare(prev, cur, pub, images=False)
    assert [p.name for p in written] == ["compare_2004Q1_2004Q2.xlsx", "compare.html"]
    rows = sheet_rows(written[0], "Summary")
    header = rows[3]
    assert header == ("Categorie", "2004Q1", "2004Q2", "Verschil", "Nieuw (instroom)",
                      "Niet meer (uitstroom)", "In beide tellingen")
    assert row_for(rows, "BIB (Basiszorg in de Buurt)")[1:] == (30, 32, "+2", 12, 10, 20)
    assert row_for(rows, "Bekend bij 3 of meer instanties")[1:] == (25, 25, "0", 0, 0, 25)
    assert row_for(rows, "Gemeld door een zorgnetwerk")[1:] == (20, 22, "+2", 7, 5, 15)
    assert row_for(rows, "Multiprobleemgezinnen (totaal)")[1:] == (75, 79, "+4", 19, 15, 60)
    nb = sheet_rows(written[0], "Neighbourhoods")
    assert row_for(nb, "WK001401")[2:] == (30, 32, "+2", 12, 10, 20)
    assert row_for(nb, "WK001404")[2:] == (0, 0, "0", 0, 0, 0)
    assert_no_small_numbers(written[0])


def test_small_flows_are_kept_back_and_not_recoverable(tmp_path: Path):
    prev, cur = quarter_pair(tmp_path, ma_out=3)  # 3 multi-agency households gone
    path = compare(prev, cur, tmp_path / "pub", images=False)[0]
    assert_no_small_numbers(path)
    rows = sheet_rows(path, "Summary")
    assert row_for(rows, "Bekend bij 3 of meer instanties")[5] == "<5"
    # The outflow column adds up to the city's outflow: a second cell of it is kept back.
    outflow = [row_for(rows, label)[5] for label in ("BIB (Basiszorg in de Buurt)",
                                                     "Bekend bij 3 of meer instanties",
                                                     "Gemeld door een zorgnetwerk",
                                                     "Multiprobleemgezinnen (totaal)")]
    assert sum(isinstance(v, str) for v in outflow) >= 2
    notes = sheet_rows(path, "Notes")
    assert any("Niet meer (uitstroom)" in str(r[2]) for r in notes)
    # Both runs' cells and the flows together: no small count has a single possible value.
    joint = comparison(prev, cur)
    ranges = exact_ranges(joint.values, joint.relations, joint.protection.status, 5,
                          joint.hidden)
    assert not [k for k, (lo, hi) in ranges.items()
                if lo == hi and joint.protection.status[k] is Status.SMALL]


def comparison(prev: Path, cur: Path) -> Comparison:
    run = model.load_run(cur)
    settings = model.resolve_settings(run)
    return Comparison(model.protect_run(model.load_run(prev), settings),
                      model.protect_run(run, settings))


def test_compare_agrees_with_each_runs_publication(tmp_path: Path):
    """A count shown (or kept back) in a run's own workbook is shown (kept back) the same
    way in the comparison: combining the two files reveals nothing new."""
    from test_publication import small_city_households

    hh, families = small_city_households()
    prev = write_out(tmp_path / "2004Q1", hh, families, run="2004Q1",
                     reference_date="2004-03-31")
    later = [h for h in hh if not h["household_key"].endswith("-1")]
    later += [household(f"new-{i}", "ZORGNETWERK", "WK001406") for i in range(2)]
    cur = write_out(tmp_path / "2004Q2", later, families, run="2004Q2",
                    reference_date="2004-06-30")
    book = {run: sheet_rows(publish(out, tmp_path / f"pub_{run}", images=False)[0],
                            "Neighbourhoods")
            for run, out in (("prev", prev), ("now", cur))}
    path = compare(prev, cur, tmp_path / "cmp", images=False)[0]
    assert_no_small_numbers(path)
    nb = sheet_rows(path, "Neighbourhoods")
    by_cat = sheet_rows(path, "Neighbourhoods by category")
    for code in families:
        assert row_for(nb, code)[2] == row_for(book["prev"], code)[6]
        assert row_for(nb, code)[3] == row_for(book["now"], code)[6]
        for i, col in enumerate((3, 4, 5)):  # BIB, multi-agency, care network
            assert row_for(by_cat, code)[2 + 3 * i] == row_for(book["prev"], code)[col]
            assert row_for(by_cat, code)[3 + 3 * i] == row_for(book["now"], code)[col]
        change = row_for(nb, code)[4]
        if change is not None:
            assert isinstance(row_for(nb, code)[2], int) and isinstance(row_for(nb, code)[3], int)


def test_compare_html_is_self_contained_and_switches_language(tmp_path: Path):
    prev, cur = quarter_pair(tmp_path)
    compare(prev, cur, tmp_path / "nl", images=False)
    compare(prev, cur, tmp_path / "en", lang="en", images=False)
    nl = (tmp_path / "nl" / "compare.html").read_text(encoding="utf-8")
    en = (tmp_path / "en" / "compare.html").read_text(encoding="utf-8")
    for html in (nl, en):
        assert not re.search(r"<script[^>]+src=", html)
        assert "window.vegaEmbed=" in html
        assert set(embedded_specs(html)) == {"chart-categories", "chart-flows", "chart-change"}
    assert "Instroom" in nl or "instroom" in nl
    assert "inflow" in en.lower() and "instroom" not in en.lower()
    keys = pd.read_parquet(cur / "households.parquet")["household_key"]
    assert not [k for k in keys if f'"{k}"' in nl or f">{k}<" in nl]


def test_compare_writes_chart_images(tmp_path: Path):
    prev, cur = quarter_pair(tmp_path)
    pub = tmp_path / "pub"
    written = compare(prev, cur, pub)
    for name in ("compare_categories", "compare_flows", "compare_change_by_neighbourhood"):
        assert pub / "charts" / f"{name}.png" in written
        assert pub / "charts" / f"{name}.svg" in written
    text = "".join(str(v) for _, _, v in workbook_cells(written[0]))
    assert "b1" not in re.findall(r"\bb\d+\b", text)


def test_households_that_disagree_with_the_summary_are_an_error(tmp_path: Path):
    from mpg.reports.model import OutError

    prev, cur = quarter_pair(tmp_path)
    hh = pd.read_parquet(cur / "households.parquet")
    hh.iloc[:-1].to_parquet(cur / "households.parquet", index=False)
    with pytest.raises(OutError, match="disagree"):
        compare(prev, cur, tmp_path / "pub", images=False)
