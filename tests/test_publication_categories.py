"""The publication follows the categories of the run it publishes: a rules file that adds,
reorders or drops a category changes the workbook, the report and the charts without any
change to the code, and its cells pass disclosure control like the others. A run of the
previous version (rules recorded without categories) still publishes, with the default
categories."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from builder import GIVEN_F, GIVEN_M, SURNAMES, Delivery
from conftest import run_delivery
from mpg.pipeline.config import DEFAULT_RULES
from mpg.reports import model
from mpg.reports.charts import CATEGORY_COLOURS
from mpg.reports.compare import compare
from mpg.reports.disclosure import Status
from mpg.reports.publish import publish
from test_publication import (assert_no_small_numbers, embedded_specs, row_for, sheet_rows,
                              small_city_households, workbook_cells)
from disclosure_reader import ilp_ranges as exact_ranges
from test_reports_support import write_out
from test_rules_registry import SIGNALS, rules_file

# Full runs of the pipeline: end-to-end cases, run by `pytest -m e2e` (CI runs them all).
pytestmark = pytest.mark.e2e

SIGNALS_NL = "Huurachterstand en bekend bij een instantie"
SIGNALS_EN = "Rent arrears and known at an agency"
# Families with rent arrears and one agency (SIGNALS), and families in none of the files.
SIGNAL_FAMILIES = {"WK01": 6, "WK02": 2, "WK03": 3}
OTHER_FAMILIES = 5


class City:
    """Families for a Delivery, more than the builder's own name lists hold: each person
    gets a given name and each family a surname of its own."""

    def __init__(self, d: Delivery) -> None:
        self.d, self.n = d, 0

    def family(self, wijk: str, adults: list[str], children: list[str]):
        self.n += 1
        i = self.n
        surname = SURNAMES[i % len(SURNAMES)] + (f"-{SURNAMES[i // len(SURNAMES)]}"
                                                 if i >= len(SURNAMES) else "")

        def names(dates: list[str], first: str) -> list[dict]:
            out = []
            for j, date in enumerate(dates):
                sex = "VM"[(j + (first == "M")) % 2]
                pool = GIVEN_F if sex == "V" else GIVEN_M
                out.append({"birth_date": date, "sex": sex,
                            "given_names": f"{pool[(i + j) % len(pool)]} "
                                           f"{pool[(i // len(pool) + 3 * j + 1) % len(pool)]}"})
            return out

        return self.d.family(f"A{i}", wijk, adults=names(adults, "V"),
                             children=names(children, "M"), surname=surname)


def signals_delivery(root: Path) -> Delivery:
    d = Delivery(root)
    city = City(d)
    arrears, geldzorg = [], []
    for wijk, n in SIGNAL_FAMILIES.items():
        for i in range(n):
            h = city.family(wijk, ["1970-01-01", "1969-01-01"], ["1995-01-01"])
            arrears.append(d.record(h.mother, "2003-03-03"))
            geldzorg.append(d.record(h.father, "2003-04-04"))
        for i in range(OTHER_FAMILIES):
            city.family(wijk, ["1972-01-01"], ["1996-01-01"])
    d.source("HUURACHTERSTAND", arrears)
    d.source("GELDZORG", geldzorg)
    return d


@pytest.fixture(scope="module")
def signals(tmp_path_factory) -> dict[str, Path]:
    """One delivery counted twice: with a fourth category SIGNALS, and with the default
    rules (which count none of its families); each published in Dutch and English."""
    root = tmp_path_factory.mktemp("signals")
    rules = rules_file(root, SIGNALS)
    d = signals_delivery(root / "delivery")
    out = root / "runs" / "signals"
    summary = run_delivery(d, out, rules_path=rules)
    assert summary["by_category"] == {"BIB": 0, "MULTI_AGENCY": 0, "ZORGNETWERK": 0,
                                      "SIGNALS": 11}
    default = root / "runs" / "default"
    assert run_delivery(d, default)["mpg_total"] == 0
    paths = {"out": out, "default": default}
    for lang in ("nl", "en"):
        paths[lang] = root / f"pub_{lang}"
        publish(out, paths[lang], lang=lang, images=False)
    return paths


def report(pub: Path) -> str:
    return (pub / "report.html").read_text(encoding="utf-8")


def method_texts(pub: Path, workbook: str = "mpg_TEST.xlsx") -> list[str]:
    return [str(r[0]) for r in sheet_rows(pub / workbook, "Summary") if r[0]]


# --------------------------------------------------------------------------- a fourth category
def test_a_fourth_category_has_its_column_and_its_labels(signals):
    book = signals["nl"] / "mpg_TEST.xlsx"
    nb = sheet_rows(book, "Neighbourhoods")
    assert nb[2] == ("Wijkcode", "Wijk", "Gezinshuishoudens", "BIB", "Meerdere instanties",
                     "Zorgnetwerk", "Signalen", "MPG", "Aandeel in gezinnen", "Aandeel in MPG",
                     "Index (stad = 100)")
    assert row_for(nb, "WK01")[2:8] == (11, 0, 0, 0, 6, 6)
    assert row_for(nb, "WK02")[6] == "<5" and row_for(nb, "WK03")[6] == "<5"
    assert row_for(nb, "Stad totaal")[6] == 11
    summary = sheet_rows(book, "Summary")
    assert row_for(summary, SIGNALS_NL)[1] == 11
    assert row_for(summary, "Multiprobleemgezinnen (totaal)")[1] == 11
    labels = [r[0] for r in summary]
    assert labels.index("Gemeld door een zorgnetwerk") < labels.index(SIGNALS_NL) < \
        labels.index("Multiprobleemgezinnen (totaal)")

    en = sheet_rows(signals["en"] / "mpg_TEST.xlsx", "Neighbourhoods")
    assert en[2][3:8] == ("BIB", "Multi-agency", "Care network", "Signals", "MPF")
    assert row_for(sheet_rows(signals["en"] / "mpg_TEST.xlsx", "Summary"), SIGNALS_EN)[1] == 11
    assert SIGNALS_NL in report(signals["nl"]) and SIGNALS_EN not in report(signals["nl"])
    assert SIGNALS_EN in report(signals["en"]) and SIGNALS_NL not in report(signals["en"])
    assert ">Signalen</th>" in report(signals["nl"]) and ">Signals</th>" in report(signals["en"])


def test_a_fourth_category_is_protected_like_the_others(signals):
    book = signals["nl"] / "mpg_TEST.xlsx"
    assert_no_small_numbers(book)
    notes = sheet_rows(book, "Notes")
    assert [r for r in notes if r[2] == "Signalen" and "Klein aantal" in str(r[3])], \
        "the notes list the kept-back SIGNALS cells"
    run = model.load_run(signals["out"])
    pub = model.protect_run(run, model.resolve_settings(run))
    signals_cell = ("nb", "WK02", "cat.SIGNALS")
    assert pub.status(signals_cell) is Status.SMALL
    assert pub.status(("nb", "WK01", "cat.SIGNALS")) is Status.SHOWN
    # The category's cells are parts of the neighbourhood's MPG total, and its column adds
    # up to the city's count, like every other category.
    assert any(r.terms[0] == (("nb", "WK02", "mpg_total"), -1) and (signals_cell, 1) in r.terms
               for r in pub.cells.relations)
    assert any(r.terms[0] == (("nb", model.CITY, "cat.SIGNALS"), -1)
               and (signals_cell, 1) in r.terms for r in pub.cells.relations)
    ranges = exact_ranges(pub.cells.values, pub.cells.relations, pub.protection.status, 5,
                          pub.cells.hidden)
    assert not [k for k, (lo, hi) in ranges.items()
                if lo == hi and pub.protection.status[k] is not Status.SHOWN]


def test_a_fourth_category_has_its_line_in_the_method(signals):
    nl = method_texts(signals["nl"])
    assert "4. Anders, Signalen: het gezin heeft een huurachterstand en is bekend bij ten " \
           "minste 1 instantie." in nl
    assert nl[nl.index("Regels (in deze volgorde)") + 1].startswith("1. BIB: het gezin staat")
    assert any(t.startswith("3. Anders, Zorgnetwerk: ") for t in nl)
    en = method_texts(signals["en"])
    assert "4. Otherwise, Signals: the family is in rent arrears and known at 1 or more " \
           "agencies." in en
    assert "4. Anders, Signalen: het gezin heeft een huurachterstand" in report(signals["nl"])


def test_a_fourth_category_with_min_agencies_is_in_the_combinations(signals):
    rows = sheet_rows(signals["nl"] / "mpg_TEST.xlsx", "Agency combinations")
    assert row_for(rows, "Geldzorg")[1] == 11
    assert row_for(rows, "Meerdere instanties en Signalen")[1] == 11


def test_a_fourth_category_has_its_colour_in_the_charts(signals):
    specs = embedded_specs(report(signals["nl"]))
    scale = specs["chart-neighbourhoods"]["encoding"]["color"]["scale"]
    assert scale["domain"][:4] == ["BIB", "Meerdere instanties", "Zorgnetwerk", "Signalen"]
    assert scale["range"][:4] == list(CATEGORY_COLOURS[:4])
    drawn = {(r["wijk"], r["category"], r["n"])
             for rows in specs["chart-neighbourhoods"]["datasets"].values() for r in rows}
    assert ("Wijk WK01", "Signalen", 6) in drawn
    assert not [r for r in drawn if r[1] == "Signalen" and r[0] != "Wijk WK01"], \
        "kept-back counts are not drawn"


def test_a_short_label_equal_to_another_header_keeps_the_excel_table(signals, tmp_path: Path):
    folder = shutil.copytree(signals["out"], tmp_path / "out")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    summary["rules"]["categories"][-1]["short"]["nl"] = "MPG"
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    book = publish(folder, tmp_path / "pub", images=False)[0]
    ws = openpyxl.load_workbook(book)["Neighbourhoods"]
    assert "T_neighbourhoods" in ws.tables
    assert [c.value for c in ws[4]][6:8] == ["MPG", "MPG (2)"]


def test_compare_with_a_run_without_the_category(signals, tmp_path: Path):
    """The union of both runs' categories; a category a run does not have counts 0 there."""
    path = compare(signals["default"], signals["out"], tmp_path / "up", images=False)[0]
    assert_no_small_numbers(path)
    rows = sheet_rows(path, "Summary")
    labels = [r[0] for r in rows]
    assert labels.index("Gemeld door een zorgnetwerk") < labels.index(SIGNALS_NL)
    assert row_for(rows, SIGNALS_NL)[1:] == (0, 11, "+11", 11, 0, 0)
    assert row_for(rows, "Multiprobleemgezinnen (totaal)")[1:] == (0, 11, "+11", 11, 0, 0)
    by_cat = sheet_rows(path, "Neighbourhoods by category")
    assert "Signalen: TEST (vorige)" in by_cat[2] and "Signalen: TEST" in by_cat[2]
    assert row_for(by_cat, "WK01")[-3:] == (0, 6, "+6")

    back = compare(signals["out"], signals["default"], tmp_path / "down", lang="en",
                   images=False)[0]
    rows = sheet_rows(back, "Summary")
    assert row_for(rows, SIGNALS_EN)[1:] == (11, 0, "\u221211", 0, 11, 0)
    html = (tmp_path / "down" / "compare.html").read_text(encoding="utf-8")
    assert SIGNALS_EN in html
    groups = {r["group"] for rows in embedded_specs(html)["chart-categories"]["datasets"].values()
              for r in rows}
    assert "Signals" in groups


def test_trend_over_runs_with_and_without_the_category(signals, tmp_path: Path):
    for name, (out, previous) in {"with": (signals["out"], signals["default"]),
                                  "without": (signals["default"], signals["out"])}.items():
        pub = tmp_path / name
        publish(out, pub, previous=[previous], images=False)
        trend = sheet_rows(pub / "mpg_TEST.xlsx", "Trend")
        assert trend[2][2:] == ("BIB", "Meerdere instanties", "Zorgnetwerk", "Signalen", "MPG")
        # Both runs are TEST on one reference date, so they keep the order given: the
        # previous run first. The run without SIGNALS has 0 there.
        assert [r[5] for r in trend[3:]] == ([0, 11] if name == "with" else [11, 0])
        series = {r["series"] for rows in embedded_specs(report(pub))["chart-trend"]["datasets"]
                  .values() for r in rows}
        assert "Signalen" in series


# --------------------------------------------------------------------------- another order
def reordered_rules(tmp_path: Path) -> Path:
    """The default rules with ZORGNETWERK first and BIB last."""
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    start = text.index('[[categories]]\nname = "BIB"')
    multi = text.index('[[categories]]\nname = "MULTI_AGENCY"')
    zorg = text.index('[[categories]]\nname = "ZORGNETWERK"')
    end = text.index("# ------", zorg)
    bib, ma, zn = text[start:multi], text[multi:zorg], text[zorg:end].rstrip("\n") + "\n\n"
    path = tmp_path / "reordered.toml"
    path.write_text(text[:start] + zn + ma + bib + text[end:], encoding="utf-8")
    return path


def test_a_reordered_rule_set_publishes_in_its_order(tmp_path: Path):
    d = Delivery(tmp_path / "delivery")
    city = City(d)
    bib, zorg = [], []
    for i in range(6):  # BIB and a care-network report: ZORGNETWERK comes first now
        h = city.family("WK01", ["1970-01-01"], ["1995-01-01"])
        bib.append(d.record(h.child, "2003-03-03"))
        zorg.append(d.record(h.mother, "2003-04-04"))
    for i in range(7):
        h = city.family("WK02", ["1971-01-01"], ["1996-01-01"])
        bib.append(d.record(h.mother, "2003-05-05"))
    for wijk in ("WK01", "WK02"):
        for i in range(5):
            city.family(wijk, ["1972-01-01"], ["1997-01-01"])
    d.source("BIB", bib)
    d.source("ZORGNETWERK", zorg)
    out = tmp_path / "runs" / "out"
    summary = run_delivery(d, out, rules_path=reordered_rules(tmp_path))
    assert summary["by_category"] == {"ZORGNETWERK": 6, "MULTI_AGENCY": 0, "BIB": 7}
    pub = tmp_path / "pub"
    publish(out, pub, images=False)
    book = pub / "mpg_TEST.xlsx"
    rows = sheet_rows(book, "Summary")
    labels = [r[0] for r in rows]
    order = ["Gemeld door een zorgnetwerk", "Bekend bij 3 of meer instanties",
             "BIB (Basiszorg in de Buurt)", "Multiprobleemgezinnen (totaal)"]
    assert [labels.index(label) for label in order] == sorted(labels.index(x) for x in order)
    assert row_for(rows, "Gemeld door een zorgnetwerk")[1] == 6
    assert row_for(rows, "BIB (Basiszorg in de Buurt)")[1] == 7
    # Nothing comes before ZORGNETWERK, so no "of whom already ..." line.
    assert row_for(rows, "Gezinnen met een zorgnetwerkmelding met persoonsgegevens")[1] == 6
    assert not [x for x in labels if str(x).strip().startswith("waarvan al")]
    assert sheet_rows(book, "Neighbourhoods")[2][3:7] == ("Zorgnetwerk", "Meerdere instanties",
                                                          "BIB", "MPG")
    method = method_texts(pub)
    first = method.index("Regels (in deze volgorde)") + 1
    assert method[first].startswith("1. Zorgnetwerk: het gezin is met identificerende")
    assert method[first + 1].startswith("2. Anders, Meerdere instanties: ")
    assert method[first + 2] == "3. Anders, BIB: het gezin staat ingeschreven bij Basiszorg " \
                                "in de Buurt."
    profile = sheet_rows(book, "Profile")
    assert profile[0][0] == "Profiel van de gezinnen (Meerdere instanties en BIB samen)"
    assert row_for(profile, "Gezinnen (Meerdere instanties en BIB)")[1] == 7
    specs = embedded_specs(report(pub))
    scale = specs["chart-neighbourhoods"]["encoding"]["color"]["scale"]
    assert scale["domain"][:3] == ["Zorgnetwerk", "Meerdere instanties", "BIB"]
    assert scale["range"][:3] == list(CATEGORY_COLOURS[:3]), "colours go by position"
    assert_no_small_numbers(book)


def test_a_rule_set_without_min_agencies_or_profile(tmp_path: Path):
    """No category counts agencies: no combinations table; none is profiled: the profile
    names no category."""
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    start = text.index('[[categories]]\nname = "MULTI_AGENCY"')
    end = text.index('[[categories]]\nname = "ZORGNETWERK"')
    text = text[:start] + text[end:]
    assert text.count("\nprofiled = true\n") == 1
    path = tmp_path / "rules.toml"
    path.write_text(text.replace("\nprofiled = true\n", "\nprofiled = false\n"),
                    encoding="utf-8")
    d = Delivery(tmp_path / "delivery")
    city = City(d)
    bib = [d.record(city.family("WK01", ["1970-01-01"], ["1995-01-01"]).mother, "2003-03-03")
           for i in range(6)]
    for i in range(5):
        city.family("WK01", ["1972-01-01"], ["1997-01-01"])
    d.source("BIB", bib)
    out = tmp_path / "runs" / "out"
    assert run_delivery(d, out, rules_path=path)["by_category"] == {"BIB": 6, "ZORGNETWERK": 0}
    pub = tmp_path / "pub"
    written = publish(out, pub)
    book = written[0]
    # (the estimate's sheet: its lists default to the rule set's two categories)
    assert openpyxl.load_workbook(book).sheetnames == ["Summary", "Neighbourhoods", "Profile",
                                                       "Notes", "Estimate"]
    assert sheet_rows(book, "Neighbourhoods")[2][3:6] == ("BIB", "Zorgnetwerk", "MPG")
    assert sheet_rows(book, "Profile")[0][0] == "Profiel van de gezinnen"
    method = method_texts(pub)
    assert "2. Anders, Zorgnetwerk: het gezin is met identificerende gegevens gemeld door een " \
           "zorgnetwerk." in method
    assert "Elk gezin telt één keer mee." in method and not [m for m in method if "MJD" in m]
    assert "chart-combinations" not in embedded_specs(report(pub))
    assert not (pub / "charts" / "agency_combinations.png").exists()
    assert_no_small_numbers(book)


# --------------------------------------------------------------------------- the previous version
def previous_version(out: Path, folder: Path, **old: object) -> Path:
    """A copy of `out` whose summary.json has the rules as the previous version recorded
    them: no categories, but precedence, bib_sources, zorgnetwerk_sources, min_agencies."""
    shutil.copytree(out, folder)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    rules = {k: v for k, v in summary["rules"].items() if k != "categories"}
    rules.update({"precedence": ["BIB", "MULTI_AGENCY", "ZORGNETWERK"],
                  "bib_sources": ["BIB"], "zorgnetwerk_sources": ["ZORGNETWERK"],
                  "min_agencies": 3, **old})
    summary["rules"] = rules
    summary.pop("qualifying", None)
    (folder / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return folder


@pytest.fixture
def small_city(tmp_path: Path) -> Path:
    hh, families = small_city_households()
    return write_out(tmp_path / "out_small", hh, families)


def test_a_run_of_the_previous_version_publishes_the_same(small_city: Path, tmp_path: Path):
    old = previous_version(small_city, tmp_path / "old")
    assert "categories" not in json.loads((old / "summary.json").read_text())["rules"]
    new_book = publish(small_city, tmp_path / "pub_new", images=False)[0]
    old_book = publish(old, tmp_path / "pub_old", images=False)[0]
    assert list(workbook_cells(old_book)) == list(workbook_cells(new_book))
    assert_no_small_numbers(old_book)
    assert report(tmp_path / "pub_old") == report(tmp_path / "pub_new")


def test_a_run_of_the_previous_version_keeps_its_min_agencies_and_order(small_city: Path,
                                                                         tmp_path: Path):
    old = previous_version(small_city, tmp_path / "old", min_agencies=4,
                           precedence=["ZORGNETWERK", "BIB", "MULTI_AGENCY"])
    pub = tmp_path / "pub"
    book = publish(old, pub, lang="en", images=False)[0]
    labels = [r[0] for r in sheet_rows(book, "Summary")]
    assert labels.index("Reported by a care network") < labels.index(
        "BIB (Basiszorg in de Buurt)") < labels.index("Known at 4 or more agencies")
    assert any(str(t).startswith("3. Otherwise, Multi-agency: the family is known at 4 or more")
               for t in labels)
    assert "Known at 4 or more agencies" in report(pub)
    assert sheet_rows(book, "Neighbourhoods")[2][3:6] == ("Care network", "BIB", "Multi-agency")
    # and it compares with a run of this version
    path = compare(old, small_city, tmp_path / "cmp", images=False)[0]
    assert_no_small_numbers(path)


def test_a_run_without_recorded_rules_publishes_with_the_default_categories(
        small_city: Path, tmp_path: Path):
    folder = shutil.copytree(small_city, tmp_path / "bare")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    del summary["rules"]
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    book = publish(folder, tmp_path / "pub", images=False)[0]
    new_book = publish(small_city, tmp_path / "pub_new", images=False)[0]
    assert list(workbook_cells(book)) == list(workbook_cells(new_book))


def test_counts_of_a_category_the_rules_do_not_describe_are_an_error(small_city: Path,
                                                                      tmp_path: Path):
    folder = shutil.copytree(small_city, tmp_path / "odd")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    summary["rules"]["categories"] = summary["rules"]["categories"][:2]
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    with pytest.raises(model.OutError, match="ZORGNETWERK"):
        publish(folder, tmp_path / "pub", images=False)
