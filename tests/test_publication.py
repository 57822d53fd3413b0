"""`reports.publish.publish`: the workbook, the HTML report and the chart images that policy
staff read. Everything written must be safe to e-mail: no count from 1 to min_cell - 1, no
household keys, no network references; and it must say the same as OUT where it may."""
from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from mpg.pipeline.errors import UsageError
from mpg.reports import model
from mpg.reports.disclosure import Status
from mpg.reports.publish import SHEETS, publish
from disclosure_reader import ilp_ranges as exact_ranges
from test_reports_support import (example_out, household, next_quarter, synthetic_city,
                                  write_out)

MIN_CELL = 5


# --------------------------------------------------------------------------- fixtures
def small_city_households() -> tuple[list[dict], dict[str, int]]:
    """Six wijken; several have only a few households of a category (cells of 1..4)."""
    hh = []

    def add(wijk: str, category: str, n: int, **kw) -> None:
        for i in range(n):
            hh.append(household(f"{wijk}-{category}-{i}", category, wijk, **kw))

    combos = [("GELDZORG", "JEUGDZORG", "MJD")] * 3 + [("MJD", "OGGZ", "WOONKANS")]
    for wijk, (bib, ma, zn) in {"WK001401": (12, 20, 9), "WK001402": (3, 15, 11),
                                "WK001403": (25, 30, 2), "WK001404": (0, 1, 14),
                                "WK001405": (8, 9, 10), "WK001406": (16, 4, 0)}.items():
        add(wijk, "BIB", bib, adults=1, children=2, bijstand=True)
        for i in range(ma):
            hh.append(household(f"{wijk}-MA-{i}", "MULTI_AGENCY", wijk,
                                adults=2 if i % 3 else 1, children=1 + i % 3,
                                agencies=combos[i % 4], bijstand=i % 2 == 0, mother="MA",
                                father="TR" if i % 3 else None))
        add(wijk, "ZORGNETWERK", zn, adults=1, children=3)
    hh.append(household("extra-3-adults", "BIB", "WK001401", adults=3, children=4, mother="SR"))
    families = {"WK001401": 2400, "WK001402": 1800, "WK001403": 2100, "WK001404": 900,
                "WK001405": 1500, "WK001406": 1300}
    return hh, families


@pytest.fixture
def small_city(tmp_path: Path) -> Path:
    hh, families = small_city_households()
    return write_out(tmp_path / "out_small", hh, families)


@pytest.fixture
def city(tmp_path: Path) -> Path:
    hh, families = synthetic_city(seed=11)
    return write_out(tmp_path / "out_city", hh, families)


# --------------------------------------------------------------------------- helpers
def workbook_cells(path: Path):
    """(sheet, cell, value) for every non-empty cell of an xlsx."""
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    yield ws.title, cell.coordinate, cell.value


def assert_no_small_numbers(path: Path, min_cell: int = MIN_CELL) -> None:
    small = [(s, c, v) for s, c, v in workbook_cells(path)
             if isinstance(v, (int, float)) and not isinstance(v, bool) and 1 <= v < min_cell]
    assert not small, f"numbers between 1 and {min_cell - 1} in {path.name}: {small[:10]}"


def sheet_rows(path: Path, sheet: str) -> list[tuple]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [r for r in ws.iter_rows(values_only=True) if any(v is not None for v in r)]


def row_for(rows: list[tuple], first: str) -> tuple:
    matches = [r for r in rows if first in r[:2]]
    assert matches, f"no row {first!r}"
    return matches[0]


def embedded_specs(html: str) -> dict:
    match = re.search(r"const SPECS = (\{.*?\});\nconst OPTIONS", html, re.S)
    assert match, "the chart specs are not in the report"
    return json.loads(match.group(1).replace("<\\/", "</"))


def all_files_text(pub: Path) -> str:
    """Every text inside PUB: html, svg, and the strings of the workbooks (unzipped xml)."""
    parts = []
    for path in pub.rglob("*"):
        if path.suffix in (".html", ".svg"):
            parts.append(path.read_text(encoding="utf-8"))
        elif path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                parts += [z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")]
    return "\n".join(parts)


# --------------------------------------------------------------------------- workbook
def test_publish_writes_workbook_report_and_charts(city: Path, tmp_path: Path):
    pub = tmp_path / "pub"
    # A trend image left by an earlier publication with earlier runs must not survive.
    (pub / "charts").mkdir(parents=True)
    (pub / "charts" / "trend.png").write_bytes(b"stale")
    (pub / "charts" / "trend.svg").write_text("stale")
    from mpg.pipeline.folders import write_marker
    write_marker(pub, "publication", ["charts"])  # an earlier publication with a trend
    written = publish(city, pub)
    names = {p.relative_to(pub).as_posix() for p in written}
    assert "mpg_2004Q2.xlsx" in names and "report.html" in names
    for chart in ("mpg_by_neighbourhood", "share_families_vs_mpg", "agency_combinations",
                  "household_types", "children_per_family", "origin_of_parents"):
        assert f"charts/{chart}.png" in names and f"charts/{chart}.svg" in names
        assert (pub / "charts" / f"{chart}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        svg = (pub / "charts" / f"{chart}.svg").read_text()
        assert svg.lstrip().startswith("<svg") and "http://www.w3.org/2000/svg" in svg
    assert all(p.is_file() for p in written)
    assert not (pub / "charts" / "trend.png").exists(), "no trend without earlier runs"
    assert not (pub / "charts" / "trend.svg").exists()


def test_workbook_sheets_headers_and_formatting(city: Path, tmp_path: Path):
    path = publish(city, tmp_path / "pub", images=False)[0]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "Neighbourhoods", "Profile", "Agency combinations",
                             "Notes"]
    nb = wb["Neighbourhoods"]
    headers = [c.value for c in nb[4]]  # title, subtitle, a blank row, then the header
    assert headers == ["Wijkcode", "Wijk", "Gezinshuishoudens", "BIB", "Meerdere instanties",
                       "Zorgnetwerk", "MPG", "Aandeel in gezinnen", "Aandeel in MPG",
                       "Index (stad = 100)"]
    assert nb.freeze_panes == "C5", "header and wijk columns stay in view"
    assert "T_neighbourhoods" in nb.tables
    assert nb.tables["T_neighbourhoods"].tableStyleInfo.name.startswith("TableStyle")
    assert nb.column_dimensions["B"].width > 10
    first = nb[5]
    assert first[2].number_format == "#,##0" and first[7].number_format == "0.0%"
    for name in ("Summary", "Profile", "Agency combinations", "Notes"):
        assert wb[name].freeze_panes, f"{name} has no frozen header"
        assert wb[name].tables, f"{name} has no table"


def test_workbook_matches_out_where_nothing_is_small(city: Path, tmp_path: Path):
    summary = json.loads((city / "summary.json").read_text())
    path = publish(city, tmp_path / "pub", images=False)[0]
    rows = sheet_rows(path, "Summary")
    assert row_for(rows, "BIB (Basiszorg in de Buurt)")[1] == summary["by_category"]["BIB"]
    assert row_for(rows, "Multiprobleemgezinnen (totaal)")[1] == summary["mpg_total"]
    assert row_for(rows, "Niet te koppelen: anonieme zorgnetwerkmeldingen")[1] == \
        summary["not_counted"]["anonymous_zorgnetwerk"]
    nb = pd.read_csv(city / "neighbourhoods.csv", dtype={"neighbourhood_code": str})
    rows = sheet_rows(path, "Neighbourhoods")
    for r in nb.itertuples():
        published = row_for(rows, r.neighbourhood_code)
        if isinstance(published[6], int):
            assert published[6] == r.mpg_total
        if isinstance(published[8], float):
            assert published[8] == pytest.approx(r.share_of_mpg, abs=1e-6)
            assert published[9] == round(100 * r.share_of_mpg / r.share_of_family_households)
    total = row_for(rows, "Stad totaal")
    assert total[2] == summary["family_households"] and total[6] == summary["mpg_total"]
    method = " ".join(str(r[0]) for r in sheet_rows(path, "Summary"))
    assert "ondergrens" in method and "Peildatum" in method and "Registratieperiode" in method


def test_no_published_cell_is_a_small_number(small_city: Path, tmp_path: Path):
    path = publish(small_city, tmp_path / "pub", images=False)[0]
    assert_no_small_numbers(path)
    values = [v for _, _, v in workbook_cells(path)]
    assert "<5" in values and "x" in values, "the small city needs both kinds of suppression"


def test_small_cells_and_their_shares_are_not_shown(small_city: Path, tmp_path: Path):
    path = publish(small_city, tmp_path / "pub", images=False)[0]
    rows = sheet_rows(path, "Neighbourhoods")
    oosterpark = row_for(rows, "WK001402")  # 3 BIB households
    assert oosterpark[3] == "<5"
    lewenborg = row_for(rows, "WK001404")  # 0 BIB, 1 multi-agency, 14 care network
    assert lewenborg[3] == 0 and lewenborg[4] == "<5"
    for row in rows[3:]:
        if not isinstance(row[6], int):  # MPG kept back: no share, no index
            assert row[8] is None and row[9] is None


def test_secondary_suppression_leaves_nothing_to_work_out(small_city: Path, tmp_path: Path):
    """Rows, columns and totals of the published neighbourhood table: every kept-back
    cell has at least two possible values given everything else that is published."""
    run = model.load_run(small_city)
    pub = model.protect_run(run, model.resolve_settings(run))
    ranges = exact_ranges(pub.cells.values, pub.cells.relations, pub.protection.status,
                          MIN_CELL, pub.cells.hidden)
    pinned = {k: r for k, r in ranges.items()
              if r[0] == r[1] and pub.protection.status[k] is not Status.SHOWN}
    assert not pinned
    rows = sheet_rows(publish(small_city, tmp_path / "pub", images=False)[0], "Neighbourhoods")
    for row in rows[3:-1]:
        kept = [v for v in row[3:7] if isinstance(v, str)]
        assert len(kept) != 1, f"a row with a single kept-back cell: {row}"


def test_notes_list_every_kept_back_cell(small_city: Path, tmp_path: Path):
    path = publish(small_city, tmp_path / "pub", images=False)[0]
    kept = sum(1 for sheet, _, v in workbook_cells(path)
               if sheet not in ("Notes",) and v in ("<5", "x"))
    notes = sheet_rows(path, "Notes")
    reasons = [r for r in notes if r[3] and ("Klein aantal" in r[3] or "terug te rekenen" in r[3])]
    assert len(reasons) == kept
    assert any("<5" in str(r[0]) for r in notes), "the legend explains <5"


def test_example_city_publishes_without_small_numbers(tmp_path: Path):
    """The worked example: 10 family households, 6 MPG. Nearly all is small; the agency
    combinations cannot be protected at all and are withheld."""
    out = example_out(tmp_path / "example")
    path = publish(out, tmp_path / "pub", images=False)[0]
    assert_no_small_numbers(path)
    rows = sheet_rows(path, "Agency combinations")
    assert any("Niet gepubliceerd" in str(r[0]) for r in rows)
    assert row_for(sheet_rows(path, "Summary"), "Gezinshuishoudens in de stad")[1] == 10


def test_no_household_keys_or_identifiers_in_pub(small_city: Path, tmp_path: Path):
    pub = tmp_path / "pub"
    publish(small_city, pub, lang="en")
    text = all_files_text(pub)
    keys = pd.read_parquet(small_city / "households.parquet")["household_key"]
    assert not [k for k in keys if k in text]
    assert "household_key" not in text and "person_id" not in text


def test_rules_min_cell_and_rounding(small_city: Path, tmp_path: Path):
    from test_reports_support import rules_dump
    from mpg.pipeline.config import Rules

    strict = Rules.model_validate(rules_dump(min_cell=10))
    path = publish(small_city, tmp_path / "strict", images=False, rules=strict)[0]
    assert_no_small_numbers(path, 10)
    assert "<10" in [v for _, _, v in workbook_cells(path)]

    rounded = Rules.model_validate(rules_dump(rounding_base=5))
    path = publish(small_city, tmp_path / "rounded", images=False, rules=rounded)[0]
    assert_no_small_numbers(path)
    counts = [v for s, c, v in workbook_cells(path)
              if s == "Neighbourhoods" and isinstance(v, int) and c[0] in "CDEFG"]
    assert counts and all(v % 5 == 0 for v in counts)


def test_rules_recorded_in_out_are_used(tmp_path: Path):
    hh, families = small_city_households()
    out = write_out(tmp_path / "out", hh, families, min_cell=10)
    path = publish(out, tmp_path / "pub", images=False)[0]
    assert_no_small_numbers(path, 10)


# --------------------------------------------------------------------------- report.html
def test_report_is_self_contained(city: Path, tmp_path: Path):
    pub = tmp_path / "pub"
    publish(city, pub, images=False)
    html = (pub / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", html), "every script is inline"
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", html)
    assert "window.vegaEmbed=" in html and "window.vegaLite=" in html
    assert len(html) > 500_000, "vega, vega-lite and vega-embed are inlined"
    assert '"actions": false' in html, "no 'open in the Vega editor' (it would send the data)"
    specs = embedded_specs(html)
    assert set(specs) == {"chart-neighbourhoods", "chart-shares", "chart-combinations",
                          "chart-types", "chart-children", "chart-origin"}
    for cid in specs:
        assert f'id="{cid}"' in html
    assert all("$schema" not in s for s in specs.values())


def test_report_charts_hold_only_published_values(small_city: Path, tmp_path: Path):
    pub = tmp_path / "pub"
    publish(small_city, pub, images=False)
    specs = embedded_specs((pub / "report.html").read_text(encoding="utf-8"))
    for cid, spec in specs.items():
        for rows in spec.get("datasets", {}).values():
            for row in rows:
                for field in ("n", "change"):
                    v = row.get(field)
                    assert not (isinstance(v, (int, float)) and 1 <= v < MIN_CELL), (cid, row)


def test_lang_switches_labels(city: Path, tmp_path: Path):
    publish(city, tmp_path / "nl", images=False)
    publish(city, tmp_path / "en", lang="en", images=False)
    nl = (tmp_path / "nl" / "report.html").read_text(encoding="utf-8")
    en = (tmp_path / "en" / "report.html").read_text(encoding="utf-8")
    assert '<html lang="nl">' in nl and '<html lang="en">' in en
    assert "Multiprobleemgezinnen" in nl and "Wijken" in nl and "peildatum" in nl
    assert "Multi-problem families" in en and "Neighbourhoods" in en
    assert "reference date" in en and "peildatum" not in en
    assert "Meerdere instanties" in json.dumps(embedded_specs(nl), ensure_ascii=False)
    assert "Multi-agency" in json.dumps(embedded_specs(en))
    nl_headers = sheet_rows(tmp_path / "nl" / "mpg_2004Q2.xlsx", "Neighbourhoods")[2]
    en_headers = sheet_rows(tmp_path / "en" / "mpg_2004Q2.xlsx", "Neighbourhoods")[2]
    assert nl_headers[1] == "Wijk" and en_headers[1] == "Neighbourhood"


def test_trend_with_earlier_runs(tmp_path: Path):
    hh, families = synthetic_city(seed=3)
    outs = []
    for i, (run, date) in enumerate((("2004Q1", "2004-03-31"), ("2004Q2", "2004-06-30"),
                                     ("2004Q3", "2004-09-30"))):
        if i:
            hh = next_quarter(hh, seed=i)
        outs.append(write_out(tmp_path / run, hh, families, run=run, reference_date=date))
    pub = tmp_path / "pub"
    publish(outs[2], pub, previous=outs[:2], images=False)
    html = (pub / "report.html").read_text(encoding="utf-8")
    specs = embedded_specs(html)
    assert "chart-trend" in specs
    runs = {row["x"] for rows in specs["chart-trend"]["datasets"].values() for row in rows}
    assert runs == {"2004Q1", "2004Q2", "2004Q3"}
    trend = sheet_rows(pub / "mpg_2004Q3.xlsx", "Trend")
    assert [r[0] for r in trend[3:]] == ["2004Q1", "2004Q2", "2004Q3"]
    for out, row in zip(outs, trend[3:]):
        assert row[5] == json.loads((out / "summary.json").read_text())["mpg_total"]


# --------------------------------------------------------------------------- usage
def test_pub_inside_out_is_refused(city: Path):
    with pytest.raises(UsageError, match="outside"):
        publish(city, city / "pub", images=False)


def test_unknown_language_is_a_usage_error(city: Path, tmp_path: Path):
    with pytest.raises(UsageError, match="language"):
        publish(city, tmp_path / "pub", lang="de")


def test_missing_out_is_a_usage_error(tmp_path: Path):
    with pytest.raises(UsageError, match="summary.json"):
        publish(tmp_path / "nothing", tmp_path / "pub")


def test_sheet_names_constant_matches_workbook(city: Path, tmp_path: Path):
    path = publish(city, tmp_path / "pub", images=False)[0]
    assert set(openpyxl.load_workbook(path).sheetnames) <= set(SHEETS)


# --------------------------------------------------------------------------- a real run
@pytest.mark.e2e  # two full runs of the worked example
def test_publish_and_compare_a_real_run_of_the_example(tmp_path: Path):
    """The pipeline's own OUT for the worked example (summary.json with origin and rules,
    households.parquet, run.json): published and compared without a small number."""
    from conftest import find_example, run_pipeline
    from mpg.reports.compare import compare

    import shutil
    example = find_example()
    out, earlier = tmp_path / "runs" / "out", tmp_path / "runs" / "earlier"
    run_pipeline(example / "delivery" / "delivery.toml", out)
    # the quarter before: the same delivery with an earlier run name and reference date
    before = tmp_path / "before"
    shutil.copytree(example / "delivery", before)
    manifest = (before / "delivery.toml").read_text(encoding="utf-8")
    assert 'reference_date = "2003-09-01"' in manifest
    (before / "delivery.toml").write_text(manifest.replace(
        'reference_date = "2003-09-01"', 'reference_date = "2003-08-01"').replace(
        'name = "2004H1"', 'name = "2003H2"'), encoding="utf-8")
    run_pipeline(before / "delivery.toml", earlier)
    pub = tmp_path / "pub"
    written = publish(out, pub, images=False)
    assert_no_small_numbers(written[0])
    written += compare(earlier, out, pub, images=False)
    assert_no_small_numbers(written[-2])
    text = all_files_text(pub)
    keys = pd.read_parquet(out / "households.parquet")["household_key"]
    assert len(keys) and not [k for k in keys if k in text]
    version = json.loads((out / "run.json").read_text())["tool_version"]
    assert f"mpg {version}" in [v for _, _, v in workbook_cells(written[0])]
