"""The prevalence estimate in the publication: the section "How many families are there
really?" of the HTML report and the workbook's "Estimate" sheet, in Dutch and English.

Runs of small deliveries (every family linked by BSN, so linkage adds nothing) with a small
bootstrap. What is checked: the rounded total and both intervals, one sensitivity row per
list, the paragraph on the assumptions; an error entry said in plain words without a number;
a run without an estimate published as before; and that the list table's small counts are
kept back and cannot be worked out -- neither from the other counts (integer programming,
tests/disclosure_reader.py) nor from the published estimates (every table a reader cannot
rule out is estimated again here, with the estimator and the rounding the section
describes)."""
from __future__ import annotations

import html
import itertools
import json
import math
import re
import shutil
from pathlib import Path

import openpyxl
import pytest

from builder import Delivery
from conftest import run_delivery
from disclosure_reader import ilp_ranges
from mpg.pipeline import estimate, mse
from mpg.pipeline.config import DEFAULT_RULES, load_rules
from mpg.reports import model
from mpg.reports.disclosure import Status
from mpg.reports.publish import SHEETS, publish
from test_publication import assert_no_small_numbers, embedded_specs

MIN_CELL = 5
BOOTSTRAP = 49
SEED = 2004
LISTS = ("BIB", "MULTI_AGENCY", "ZORGNETWERK")
TITLE = {"nl": "Hoeveel gezinnen zijn er werkelijk?", "en": "How many families are there really?"}
OLD_SHEETS = ["Summary", "Neighbourhoods", "Profile", "Agency combinations", "Notes"]

# Families by the lists their letters name (B, M, Z); every cell at least min_cell.
PLAIN_TABLE = {"B": 12, "M": 15, "Z": 14, "BM": 6, "BZ": 5, "MZ": 7, "BMZ": 5}
# One small overlap of all three lists: kept back, and one more cell with it.
SMALL_TABLE = {"B": 27, "M": 8, "Z": 15, "BM": 28, "BZ": 6, "MZ": 13, "BMZ": 2}
NO_OVERLAP = {"B": 6, "M": 6, "Z": 7}


WORDS = {
    "nl": {"observed": "Gezinnen op ten minste één lijst (geteld)", "total": "Geschat totaal",
           "unseen": "Geschat op geen enkele lijst",
           "ratio": "Niet geziene gezinnen per getelde gezin", "figures": "De schatting",
           "sens": "De schatting met één lijst weggelaten",
           "lists": "Gezinnen per combinatie van lijsten",
           "list_names": ("BIB", "Meerdere instanties", "Zorgnetwerk"),
           "phrases": ("Wat de schatting aanneemt", "registratieperiode dezelfde blijft",
                       "Vertrouw het getal niet", "door toeval", "keuze van het model",
                       "het koppelen", "Afronding")},
    "en": {"observed": "Families on at least one list (counted)", "total": "Estimated total",
           "unseen": "Estimated on no list", "ratio": "Unseen families per family counted",
           "figures": "The estimate", "sens": "The estimate with one list left out",
           "lists": "Families by combination of lists",
           "list_names": ("BIB", "Multi-agency", "Care network"),
           "phrases": ("What the estimate assumes", "stays the same over the registration period",
                       "Do not rely on the number", "from chance", "choice of model",
                       "record linkage", "Rounding")},
}


# --------------------------------------------------------------------------- building runs
def town(root: Path, cells: dict[str, int], plain: int = 30) -> Delivery:
    """The families of `cells` in WK01 and `plain` families on no list, half in WK02."""
    d = Delivery(root)
    rows, n = d.families_on_lists(cells)
    for i in range(plain):
        n += 1
        d.family(f"A{n}", "WK02" if i % 2 else "WK01", surname=f"Gezin{n}",
                 adults=[{"birth_date": "1971-01-01", "given_names": f"Moeder{n}"}],
                 children=[{"birth_date": "1996-01-01", "given_names": f"Kind{n}"}])
    for agency, agency_rows in rows.items():
        d.source(agency, agency_rows)
    return d


def rules_file(folder: Path, estimate_toml: str = f"bootstrap = {BOOTSTRAP}") -> Path:
    head = DEFAULT_RULES.read_text(encoding="utf-8").split("\n[estimate]\n")[0]
    path = folder / "rules.toml"
    path.write_text(head + "\n[estimate]\n" + estimate_toml + "\n", encoding="utf-8")
    return path


def counted(root: Path, cells: dict[str, int], estimate_toml: str | None = None,
            plain: int = 30) -> Path:
    """Run the town; its OUT."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "runs").mkdir(exist_ok=True)
    out = root / "runs" / "out"
    rules = rules_file(root, estimate_toml) if estimate_toml else rules_file(root)
    run_delivery(town(root / "delivery", cells, plain), out, rules_path=rules)
    return out


def published(out: Path, pub: Path, lang: str) -> tuple[str, openpyxl.Workbook]:
    """(report.html, the workbook) of `out` published in `lang`, without chart images."""
    written = publish(out, pub, lang=lang, images=False)
    return (pub / "report.html").read_text(encoding="utf-8"), openpyxl.load_workbook(written[0])


@pytest.fixture(scope="module")
def plain_town(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("estimate_plain")
    out = counted(root, PLAIN_TABLE)
    pubs = {lang: published(out, root / f"pub_{lang}", lang) for lang in ("nl", "en")}
    return {"out": out, "root": root, "pubs": pubs}


@pytest.fixture(scope="module")
def small_town(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("estimate_small")
    out = counted(root, SMALL_TABLE)
    return {"out": out, "root": root, "pubs": {"en": published(out, root / "pub_en", "en")}}


# --------------------------------------------------------------------------- reading it
def section(report: str, lang: str) -> str | None:
    """The HTML of the estimate section (None when there is none)."""
    found = [s for s in re.findall(r"<section>(.*?)</section>", report, re.S)
             if f"<h2>{html.escape(TITLE[lang])}</h2>" in s]
    assert len(found) <= 1
    return found[0] if found else None


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def tables_of(fragment: str) -> dict[str, list[list[str]]]:
    """Each table of a section by its title: rows of cell texts (header first)."""
    out = {}
    for title, body in re.findall(r'<div class="table"><h3>(.*?)</h3>(.*?)</table>',
                                  fragment, re.S):
        rows = [[text_of(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
                for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
        out[html.unescape(title)] = rows
    return out


def sheet(book: openpyxl.Workbook, name: str = "Estimate") -> list[tuple]:
    return [tuple(v for v in r if v is not None) for r in book[name].iter_rows(values_only=True)
            if any(v is not None for v in r)]


def row_starting(rows, first: str):
    matches = [r for r in rows if r and r[0] == first]
    assert matches, f"no row {first!r} in {rows}"
    return matches[0]


def number(text: str, lang: str) -> int:
    return int(text.replace("." if lang == "nl" else ",", ""))


# --------------------------------------------------------------------------- the rule
def rounded(x: float, how: str = "nearest") -> int | str:
    """The rounding the section describes, written out again: below min_cell "<5"; to
    multiples of 5 below 100 and of 10 from 100; interval limits outward."""
    if x < MIN_CELL:
        return f"<{MIN_CELL}"
    step = 5 if x < 100 else 10
    value = {"nearest": math.floor(x / step + 0.5), "down": math.floor(x / step),
             "up": math.ceil(x / step)}[how] * step
    return max(value, MIN_CELL)


def expected_figures(est: dict) -> dict:
    return {"total": rounded(est["total"]),
            "ci80": (rounded(est["ci80"][0], "down"), rounded(est["ci80"][1], "up")),
            "ci95": (rounded(est["ci95"][0], "down"), rounded(est["ci95"][1], "up"))}


# --------------------------------------------------------------------------- the stage
def test_the_stage_leaves_each_list_out_in_turn():
    cells = {(1, 0, 0): 12, (0, 1, 0): 15, (0, 0, 1): 14, (1, 1, 0): 6, (1, 0, 1): 5,
             (0, 1, 1): 7, (1, 1, 1): 5}
    table = mse.ListTable(LISTS, cells)
    rows = estimate.sensitivity(table, load_rules().estimate)
    assert [r["left_out"] for r in rows] == list(LISTS)
    for i, row in enumerate(rows):
        # the column collapsed by hand; families on neither remaining list drop out
        rest: dict[tuple[int, ...], int] = {}
        for pattern, n in cells.items():
            short = pattern[:i] + pattern[i + 1:]
            if any(short):
                rest[short] = rest.get(short, 0) + n
        direct = mse.estimate(mse.ListTable(LISTS[:i] + LISTS[i + 1:], rest), bootstrap=0)
        assert row["lists"] == [n for n in LISTS if n != LISTS[i]]
        assert row["observed"] == sum(rest.values())
        assert row["total"] == round(direct.total, 1) and row["model"] == direct.model
        assert row["profile_ci95"] == [round(x, 1) for x in direct.profile_ci[0.95]]
    # two lists: one is left, never an estimate
    two = estimate.sensitivity(mse.ListTable(("A", "B"), {(1, 0): 4, (0, 1): 5, (1, 1): 2}),
                               load_rules().estimate)
    assert [("at least two lists" in r["error"], "total" in r) for r in two] == [(True, False)] * 2


def test_a_run_records_the_sensitivity_figures(plain_town):
    est = json.loads((plain_town["out"] / "summary.json").read_text(encoding="utf-8"))["estimate"]
    assert [row["left_out"] for row in est["sensitivity"]] == list(LISTS)
    lists = tuple(est["lists"])
    table = mse.ListTable(lists, {tuple(r[n] for n in lists): r["count"] for r in est["table"]})
    assert est["sensitivity"] == estimate.sensitivity(table, load_rules().estimate)


# --------------------------------------------------------------------------- the section
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_section_shows_the_rounded_estimate_and_both_intervals(plain_town, lang):
    report, book = plain_town["pubs"][lang]
    summary = json.loads((plain_town["out"] / "summary.json").read_text(encoding="utf-8"))
    est = summary["estimate"]
    want = expected_figures(est)
    part = section(report, lang)
    assert part is not None
    words = WORDS[lang]
    text = text_of(part)
    for phrase in words["phrases"]:
        assert phrase in text, phrase
    tables = tables_of(part)
    assert set(tables) == {words["figures"], words["sens"], words["lists"]}
    figures = tables[words["figures"]]
    assert number(row_starting(figures, words["observed"])[1], lang) == est["observed"]
    total_row = row_starting(figures, words["total"])
    assert [number(v, lang) for v in total_row[1:6]] == [want["total"], *want["ci80"],
                                                       *want["ci95"]]
    # the card says which interval is which
    assert (f"80%: {want['ci80'][0]}\u2013{want['ci80'][1]} · 95%: "
            f"{want['ci95'][0]}\u2013{want['ci95'][1]}") in text
    # hidden-to-observed: the number unseen from the published figures, per family counted
    unseen = rounded(want["total"] - est["observed"])
    assert number(row_starting(figures, words["unseen"])[1], lang) == unseen
    ratio = f"{(want['total'] - est['observed']) / est['observed']:.1f}".replace(
        ".", "," if lang == "nl" else ".")
    assert row_starting(figures, words["ratio"])[1] == ratio
    tables_sens, lists_title = tables[words["sens"]], words["lists"]
    # one row per list left out, plus the estimate with every list
    body = tables_sens[1:]
    assert len(body) == len(LISTS) + 1
    for entry, row in zip(est["sensitivity"], body):
        assert number(row[1], lang) == rounded(entry["total"])
        assert (number(row[2], lang), number(row[3], lang)) == (
            rounded(entry["profile_ci95"][0], "down"), rounded(entry["profile_ci95"][1], "up"))
    assert number(body[-1][1], lang) == want["total"]
    # the list table: every combination of the three lists, adding up to the count
    lists_rows = tables[lists_title][1:]
    assert len(lists_rows) == 2 ** len(LISTS) - 1 + 1
    assert sum(number(r[1], lang) for r in lists_rows[:-1]) == est["observed"]
    # the chart: counted against estimated, the published values only
    spec = embedded_specs(report)["chart-estimate"]
    values = [v for d in spec["datasets"].values() for v in d]
    assert sorted(v["value"] for v in values) == sorted([est["observed"], want["total"]])
    assert {(v["lo95"], v["hi95"]) for v in values if v["value"] == want["total"]} == {
        want["ci95"]}

    # the workbook: a sheet of its own, after every existing one, with the same figures
    assert book.sheetnames == OLD_SHEETS + ["Estimate"]
    assert set(book.sheetnames) <= set(SHEETS)
    rows = sheet(book)
    assert rows[0] == (TITLE[lang],)
    assert row_starting(rows, words["total"])[1:] == (want["total"], *want["ci80"],
                                                      *want["ci95"])
    assert row_starting(rows, words["observed"])[1:] == (est["observed"],)
    assert len([r for r in rows if r[0] in words["list_names"]]) == len(LISTS)
    assert any(words["phrases"][1] in str(r[0]) for r in rows)


def test_the_sheets_and_tables_before_it_are_those_of_a_run_without_it(plain_town, small_town,
                                                                       tmp_path):
    """The section adds; it takes nothing away: the same OUT without its estimate publishes
    the very same cells on every other sheet (the list table never costs another count)."""
    for town_ in (plain_town, small_town):
        out = tmp_path / town_["out"].parent.parent.name
        shutil.copytree(town_["out"], out)
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        del summary["estimate"]
        (out / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
        report, book = published(out, tmp_path / f"pub_{out.name}", "en")
        assert section(report, "en") is None and "chart-estimate" not in report
        assert book.sheetnames == OLD_SHEETS
        with_it = town_["pubs"]["en"][1]
        for name in OLD_SHEETS[:-1]:
            assert sheet(book, name) == sheet(with_it, name), name


def test_a_run_without_an_estimate_publishes_as_before(tmp_path):
    out = counted(tmp_path, PLAIN_TABLE, "enabled = false")
    assert "estimate" not in json.loads((out / "summary.json").read_text(encoding="utf-8"))
    written = publish(out, tmp_path / "pub", lang="en")
    report = (tmp_path / "pub" / "report.html").read_text(encoding="utf-8")
    assert section(report, "en") is None and "chart-estimate" not in report
    assert openpyxl.load_workbook(written[0]).sheetnames == OLD_SHEETS
    assert not (tmp_path / "pub" / "charts" / "estimate.png").exists()
    assert (tmp_path / "pub" / "charts" / "mpg_by_neighbourhood.png").exists()


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_an_estimate_that_does_not_exist_is_said_in_plain_words_without_a_number(tmp_path,
                                                                                 lang):
    out = counted(tmp_path, NO_OVERLAP)
    est = json.loads((out / "summary.json").read_text(encoding="utf-8"))["estimate"]
    assert "overlap" in est["error"] and "total" not in est
    report, book = published(out, tmp_path / "pub", lang)
    part = section(report, lang)
    text = text_of(part)
    plain = {"nl": "kon geen schatting worden gemaakt: geen enkel gezin staat op meer dan één "
                   "lijst",
             "en": "No estimate could be made for this count: no family is on more than one "
                   "list"}[lang]
    assert plain in text
    assert not re.search(r"\d", text), text  # no number at all
    assert "<table" not in part and "chart-estimate" not in report
    rows = sheet(book)
    assert any(plain in str(r[0]) for r in rows)
    assert not any(re.search(r"\d", str(v)) for r in rows[2:] for v in r)  # below the subtitle


# --------------------------------------------------------------------------- disclosure
def reader_tables(pub: model.PublishedRun) -> tuple[list, list[dict]]:
    """Every list table a reader cannot rule out from the published counts: the kept-back
    cells of the list table over the ranges integer programming allows, kept where every
    relation of the publication holds. (Checked: each relation with a kept-back list cell
    has no other unknown cell, so the relations decide exactly.)"""
    status = pub.protection.status
    capture = [k for k in pub.cells.values if k[0] == "capture"]
    kept = [k for k in capture if status[k] is not Status.SHOWN]
    touching = [r for r in pub.cells.relations if any(k in kept for k in r.cells)]
    for rel in touching:
        assert all(k in capture or (status[k] is Status.SHOWN and k not in pub.cells.hidden)
                   for k in rel.cells), rel
    ranges = ilp_ranges(pub.cells.values, pub.cells.relations, status, MIN_CELL,
                        pub.cells.hidden)
    options = []
    for values in itertools.product(*[range(ranges[k][0], ranges[k][1] + 1) for k in kept]):
        cells = {**pub.cells.values, **dict(zip(kept, values))}
        if all(sum(w * cells[k] for k, w in rel.terms) == 0 for rel in touching):
            options.append({k[1]: cells[k] for k in capture})
    return kept, options


def figures_of(counts: dict, lists: tuple[str, ...], with_sensitivity: bool) -> dict:
    """The published figures a list table gives: the estimator with the run's settings and
    the rounding rule of the section."""
    table = mse.ListTable(lists, {p: n for p, n in counts.items() if n})
    try:
        result = mse.estimate(table, bootstrap=BOOTSTRAP, seed=SEED)
    except mse.EstimateError:
        return {"total": None}
    out = {"total": rounded(round(result.total, 1)),
           "ci80": (rounded(round(result.ci[0.8][0], 1), "down"),
                    rounded(round(result.ci[0.8][1], 1), "up")),
           "ci95": (rounded(round(result.ci[0.95][0], 1), "down"),
                    rounded(round(result.ci[0.95][1], 1), "up"))}
    if with_sensitivity:
        rows = []
        for entry in estimate.sensitivity(table, load_rules().estimate):
            rows.append(None if "error" in entry else (
                rounded(entry["total"]), rounded(entry["profile_ci95"][0], "down"),
                rounded(entry["profile_ci95"][1], "up")))
        out["sensitivity"] = rows
    return out


def test_small_counts_of_the_list_table_are_kept_back_and_cannot_be_worked_out(small_town):
    out = small_town["out"]
    report, book = small_town["pubs"]["en"]
    run = model.load_run(out)
    pub = model.protect_run(run, model.resolve_settings(run))
    status = pub.protection.status
    triple = ("capture", (1, 1, 1))
    assert pub.cells.values[triple] == 2 and status[triple] is Status.SMALL
    tables = tables_of(section(report, "en"))
    lists_rows = tables["Families by combination of lists"]
    assert row_starting(lists_rows, "BIB + Multi-agency + Care network")[1] == "<5"
    assert sum(1 for r in lists_rows if r[1] in ("<5", "x")) >= 2  # never a lone one
    assert_no_small_numbers(Path(out.parent.parent / "pub_en" / "mpg_TEST.xlsx"))

    # from the counts: every kept-back cell of the whole publication has two values or more
    ranges = ilp_ranges(pub.cells.values, pub.cells.relations, status, MIN_CELL,
                        pub.cells.hidden)
    assert not [k for k, (lo, hi) in ranges.items()
                if lo == hi and status[k] is not Status.SHOWN]

    # from the estimates: every table a reader cannot rule out, estimated again; those that
    # give what is published still leave each kept-back count more than one value
    rows = sheet(book)
    total_row = row_starting(rows, "Estimated total")  # published here (not withheld)
    shown = {"total": total_row[1], "ci80": tuple(total_row[2:4]), "ci95": tuple(total_row[4:6])}
    sens_rows = [r for r in rows if r[0] in ("BIB", "Multi-agency", "Care network")]
    with_sensitivity = bool(sens_rows)
    if with_sensitivity:
        shown["sensitivity"] = [tuple(r[1:4]) for r in sens_rows]
    kept, options = reader_tables(pub)
    assert len(options) > 1
    alike = [c for c in options if figures_of(c, LISTS, with_sensitivity) == shown]
    truth = {k[1]: pub.cells.values[k] for k in pub.cells.values if k[0] == "capture"}
    assert truth in alike
    for key in kept:
        assert len({c[key[1]] for c in alike}) > 1, f"{key} follows from the estimate"


def test_the_sensitivity_figures_that_would_give_a_small_count_away_are_not_published(
        small_town):
    """With the small triple overlap the estimates with one list left out (two-list
    estimates, n1 * n2 / m) tell the tables apart: they are left out, and the section says
    why; the total and its intervals, which do not, are shown."""
    report, book = small_town["pubs"]["en"]
    part = section(report, "en")
    assert "The estimates with one list left out are not published" in text_of(part)
    assert "The estimate with one list left out" not in tables_of(part)
    assert isinstance(row_starting(sheet(book), "Estimated total")[1], int)
    run = model.load_run(small_town["out"])
    pub = model.protect_run(run, model.resolve_settings(run))
    kept, options = reader_tables(pub)
    truth = {k[1]: v for k, v in pub.cells.values.items() if k[0] == "capture"}
    alike = [c for c in options
             if figures_of(c, LISTS, True) == figures_of(truth, LISTS, True)]
    assert any(len({c[k[1]] for c in alike}) == 1 for k in kept
               if pub.protection.status[k] is Status.SMALL), (
        "the sensitivity figures would have been safe to publish")


def test_a_small_count_on_the_lists_is_a_small_count_everywhere(tmp_path):
    """Four families on the lists: the count is "<5" in the section, as in the count table,
    and what follows from it (the number unseen, the ratio) is not published."""
    out = counted(tmp_path, {"B": 2, "Z": 1, "BZ": 1}, plain=40)
    report, book = published(out, tmp_path / "pub", "en")
    assert_no_small_numbers(Path(tmp_path / "pub" / "mpg_TEST.xlsx"))
    tables = tables_of(section(report, "en"))
    figures = tables["The estimate"]
    assert row_starting(figures, "Families on at least one list (counted)")[1] == "<5"
    assert not [r for r in figures if r[0] in ("Estimated on no list",
                                               "Unseen families per family counted")]
    total = [r for r in figures if r[0] == "Estimated total"]
    if total:  # an estimate may be shown, never as a plain small number
        assert not re.fullmatch(r"[1-4]", total[0][1])
    run = model.load_run(out)
    pub = model.protect_run(run, model.resolve_settings(run))
    ranges = ilp_ranges(pub.cells.values, pub.cells.relations, pub.protection.status,
                        MIN_CELL, pub.cells.hidden)
    assert not [k for k, (lo, hi) in ranges.items()
                if lo == hi and pub.protection.status[k] is not Status.SHOWN]


# --------------------------------------------------------------------------- the demo
@pytest.mark.slow  # a synthetic city, its run and its publication: 20+ s
def test_the_demos_publication_shows_the_section(tmp_path):
    from typer.testing import CliRunner

    from mpg.cli import app

    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "demo"), "--persons",
                                      "20000"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    (report,) = (tmp_path / "demo" / "publish").glob("*/report.html")
    part = section(report.read_text(encoding="utf-8"), "nl")
    assert part is not None and "Geschat totaal" in text_of(part)
    (workbook,) = (tmp_path / "demo" / "publish").glob("*/*.xlsx")
    assert openpyxl.load_workbook(workbook).sheetnames[-1] == "Estimate"
    assert (report.parent / "charts" / "estimate.png").exists()
