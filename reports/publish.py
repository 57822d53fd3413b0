"""`publish`: from a run's OUT to what policy staff read, safe to e-mail.

Writes into PUB: the workbook `mpg_<run>.xlsx`, the self-contained `report.html` and each
chart as PNG and SVG under `charts/`. Every number passes disclosure control
(reports/disclosure.py) once, in `model.protect_run`; the workbook, the report and the
charts all show those same published values. The exact numbers stay in OUT.

A run with a prevalence estimate (summary.json "estimate") gets the section "How many
families are there really?" and the sheet "Estimate": its counts (the families on the lists,
the list table) are cells of that same protection; its estimates are rounded and left out
where they would give a kept-back count away (`model.estimate_view`). A run without one
(an earlier version, or the estimate switched off) is published as before.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mpg.pipeline.config import Rules
from mpg.pipeline.folders import check_folder, record_written
from mpg.reports import charts, model, page
from mpg.reports.labels import Labels
from mpg.reports.model import CITY, PublishedRun, Settings, Table, cat_key
from mpg.reports.workbook import Sheet, TextBlock, write_workbook

# Sheet names are part of the contract with whoever reads the workbook by program; the
# contents are in the chosen language. Add names, rename none. "Estimate" (the prevalence
# estimate) comes last, after the notes, so every earlier sheet keeps its place.
SHEETS = ("Summary", "Neighbourhoods", "Profile", "Agency combinations", "Trend", "Notes",
          "Estimate")

CHART_FILES = {"neighbourhoods": "mpg_by_neighbourhood", "shares": "share_families_vs_mpg",
               "combinations": "agency_combinations", "types": "household_types",
               "children": "children_per_family", "origin": "origin_of_parents",
               "trend": "trend", "estimate": "estimate"}


def publish(out_dir: str | Path, pub_dir: str | Path, lang: str = "nl",
            previous: Iterable[str | Path] = (), rules: Rules | str | Path | None = None,
            *, images: bool = True) -> list[Path]:
    """Write the workbook, the HTML report and the chart images of the run in `out_dir`.

    previous: earlier runs' OUT folders; with any, the report adds the trend over the runs.
    rules: a rule set (or its TOML path) whose min_cell/rounding_base to publish with;
      default the rule set the run recorded.
    images: also write charts/*.png and *.svg (the slow part; tests may skip it).
    Returns the files written.
    """
    lab = Labels(lang)
    out_dir, pub_dir = Path(out_dir), Path(pub_dir)
    check_folders(pub_dir, [out_dir, *map(Path, previous)])
    run = model.load_run(out_dir)
    settings = model.resolve_settings(run, rules)
    pub = model.protect_run(run, settings)
    runs = [model.protect_run(model.load_run(p), settings) for p in previous] + [pub]
    tables = build_tables(pub, lab, runs if len(runs) > 1 else [])

    pub_dir.mkdir(parents=True, exist_ok=True)
    written = [write_workbook(pub_dir / f"mpg_{safe_name(run.run)}.xlsx",
                              workbook_sheets(pub, tables, lab), lab, settings.min_cell)]
    specs = chart_specs(tables, lab, settings.min_cell)
    report = pub_dir / "report.html"
    report.write_text(report_html(pub, tables, specs, lab), encoding="utf-8")
    written.append(report)
    if images:
        every_chart = {name: specs.get(key) for key, name in CHART_FILES.items()}
        written += page.save_images(every_chart, pub_dir / "charts", lang)
    record_written(pub_dir, "publication", written)
    return written


def check_folders(pub_dir: Path, out_dirs: list[Path]) -> None:
    """PUB is shared freely; OUT holds household keys: neither may sit inside (or be) the
    other, and PUB may hold only this tool's earlier publications (`pipeline.folders`)."""
    check_folder(pub_dir, "publication", inputs=out_dirs)


def safe_name(run: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", run).strip("._") or "run"


def build_tables(pub: PublishedRun, lab: Labels, runs: list[PublishedRun]) -> dict[str, Any]:
    profile = model.profile_tables(pub, lab)
    tables: dict[str, Any] = {
        "count": model.category_table(pub, lab),
        "lines": model.lines_table(pub, lab),
        "neighbourhoods": model.neighbourhood_table(pub, lab),
        "types": profile[0], "children": profile[1], "bijstand": profile[2],
        "origin": profile[3:],
        "combinations": model.combinations_table(pub, lab),
        "trend": model.trend_table(runs, lab) if runs else None,
        "trend_rows": model.trend_rows(runs) if runs else [],
        "trend_categories": model.trend_categories(runs) if runs else (),
        "categories": pub.run.categories,
    }
    # The prevalence estimate: None when the run has none (no section, no sheet).
    tables["estimate"] = view = model.estimate_view(pub)
    tables["estimate_tables"] = model.estimate_tables(pub, view, lab) if view else []
    shown = [tables[k] for k in ("count", "lines", "neighbourhoods", "types", "children",
                                 "bijstand")] + tables["origin"]
    if tables["combinations"] is not None:  # a rule set without min_agencies has none
        shown.append(tables["combinations"])
    if tables["trend"] is not None:
        shown.append(tables["trend"])
    shown += tables["estimate_tables"]
    tables["notes"] = model.notes_table(shown, lab, pub.settings.min_cell)
    return tables


def legend(settings: Settings, lab: Labels) -> list[tuple[str, str]]:
    lines = [("", lab("notes.legend_small", min_cell=settings.min_cell)),
             ("", lab("notes.legend_secondary")), ("", lab("notes.legend_share"))]
    if settings.rounding_base:
        lines.append(("", lab("method.rounding", base=settings.rounding_base).strip()))
    return lines


def workbook_sheets(pub: PublishedRun, tables: dict[str, Any], lab: Labels) -> list[Sheet]:
    title = f"{lab('title')} {pub.run.run}"
    subtitle = subtitle_text(pub, lab)
    sheets = [
        Sheet(SHEETS[0], title, subtitle, [tables["count"], tables["lines"],
                                           TextBlock(lab("method_heading"),
                                                     model.method_lines(pub, lab))]),
        Sheet(SHEETS[1], tables["neighbourhoods"].title, subtitle, [tables["neighbourhoods"]],
              freeze_columns=2),
        Sheet(SHEETS[2], model.profile_title(pub.run, lab), subtitle,
              [tables["types"], tables["children"], tables["bijstand"], *tables["origin"]]),
    ]
    if tables["combinations"] is not None:
        sheets.append(Sheet(SHEETS[3], tables["combinations"].title, subtitle,
                            [tables["combinations"]]))
    if tables["trend"] is not None:
        sheets.append(Sheet(SHEETS[4], tables["trend"].title, subtitle, [tables["trend"]]))
    notes = tables["notes"]
    if not notes.rows:
        notes.note = lab("notes.none")
    sheets.append(Sheet(SHEETS[5], notes.title, subtitle,
                        [TextBlock(lab("report.notes"), legend(pub.settings, lab)), notes]))
    view = tables["estimate"]
    if view is not None:
        sheets.append(Sheet(SHEETS[6], lab("sec.estimate"), subtitle,
                            [TextBlock("", [("", lab("est.intro"))]),
                             *tables["estimate_tables"],
                             TextBlock(lab("report.notes"),
                                       model.estimate_paragraphs(pub, view, lab))]))
    return sheets


def subtitle_text(pub: PublishedRun, lab: Labels) -> str:
    s = pub.run.summary
    return lab("subtitle", run=pub.run.run, reference_date=lab.date(s["reference_date"]),
               window=lab.window(s["window"]))


def chart_specs(tables: dict[str, Any], lab: Labels, min_cell: int) -> dict[str, dict | None]:
    nb: Table = tables["neighbourhoods"]
    specs = {
        "neighbourhoods": charts.neighbourhood_chart(nb, tables["categories"], lab, min_cell),
        "shares": charts.share_chart(nb, lab),
        "combinations": charts.bar_chart(tables["combinations"], lab,
                                         lab("report.combinations_chart"), min_cell)
        if tables["combinations"] is not None else None,
        "types": charts.bar_chart(tables["types"], lab, lab("report.types_chart"), min_cell),
        "children": charts.bar_chart(tables["children"], lab, lab("report.children_chart"),
                                     min_cell, horizontal=False, colour=charts.SERIES[2]),
        "origin": charts.origin_chart(tables["origin"], lab),
    }
    if tables["trend_rows"]:
        specs["trend"] = charts.trend_chart(tables["trend_rows"], tables["trend_categories"],
                                            lab, min_cell)
    specs["estimate"] = charts.estimate_chart(tables.get("estimate"), lab)
    return specs


def report_html(pub: PublishedRun, tables: dict[str, Any], specs: dict[str, dict | None],
                lab: Labels) -> str:
    settings = pub.settings
    cards = [page.Card(lab("mpg_total"), pub.count(("nb", CITY, "mpg_total")),
                       lab("report.lower_bound"))]
    cards += [page.Card(lab.category(c), pub.count(("nb", CITY, cat_key(c))))
              for c in pub.run.categories]
    cards.append(page.Card(lab("family_households_city"),
                           pub.count(("nb", CITY, "family_households"))))
    not_linkable = pub.count(("line", "anonymous_zorgnetwerk"))
    sections = [
        page.Section(lab("report.key_figures"), cards=cards,
                     intro=lab("report.not_linkable", n=not_linkable)),
        page.Section(lab("sec.neighbourhoods"),
                     charts=[("chart-neighbourhoods", specs["neighbourhoods"]),
                             ("chart-shares", specs["shares"])],
                     tables=[tables["neighbourhoods"]]),
        page.Section(lab("sec.agencies"), charts=[("chart-combinations", specs["combinations"])],
                     tables=[tables["combinations"]]) if tables["combinations"] is not None
        else None,
        page.Section(lab("sec.profile"),
                     charts=[("chart-types", specs["types"]),
                             ("chart-children", specs["children"]),
                             ("chart-origin", specs["origin"])],
                     tables=[tables["types"], tables["children"], tables["bijstand"],
                             *tables["origin"]]),
    ]
    sections = [section for section in sections if section is not None]
    if "trend" in specs:
        sections.append(page.Section(lab("sec.trend"), charts=[("chart-trend", specs["trend"])],
                                     tables=[tables["trend"]]))
    if tables["estimate"] is not None:
        sections.append(estimate_section(pub, tables, specs, lab))
    sections.append(page.Section(lab("sec.method"), paragraphs=model.method_lines(pub, lab),
                                 tables=[tables["lines"]]))
    notes = tables["notes"]
    sections.append(page.Section(lab("sec.notes"), paragraphs=legend(settings, lab),
                                 tables=[notes] if notes.rows else []))
    return page.render(f"{lab('title')} {pub.run.run}", subtitle_text(pub, lab),
                       lab("method.lower_bound_text"), sections, lab,
                       lab("report.footer", min_cell=settings.min_cell))


def estimate_section(pub: PublishedRun, tables: dict[str, Any], specs: dict[str, dict | None],
                     lab: Labels) -> page.Section:
    """"How many families are there really?": the count against the estimate."""
    view = tables["estimate"]
    paragraphs = model.estimate_paragraphs(pub, view, lab)
    if view.error is not None:  # in plain words, and no number
        return page.Section(lab("sec.estimate"), intro=lab("est.intro"), paragraphs=paragraphs)
    cards = [page.Card(lab("est.observed_card"), view.observed,
                       lab("est.card_linkage", interval=model.interval_text(
                           view.linkage_count, lab)) if view.linkage_count else "")]
    if "estimate" not in view.withheld:
        intervals = ("" if view.ci95 == (None, None) else
                     lab("est.card_interval", ci80=model.interval_text(view.ci80, lab),
                         ci95=model.interval_text(view.ci95, lab)))
        cards.append(page.Card(lab("est.total"), view.total, intervals))
        if view.unseen is not None:
            cards.append(page.Card(lab("est.unseen"), view.unseen))
        if view.ratio is not None:
            cards.append(page.Card(lab("est.ratio"), lab.number(view.ratio, 1)))
    return page.Section(lab("sec.estimate"), intro=lab("est.intro"), cards=cards,
                        charts=[("chart-estimate", specs.get("estimate"))],
                        paragraphs=paragraphs, tables=tables["estimate_tables"])
