"""`compare`: one quarter against the previous one, safe to e-mail.

Per neighbourhood and category the change in the count, and per household (matched on
household_key, a pseudonym that stays the same between runs made with the same key):
inflow (only now), outflow (only before) and stayers (in both).

Disclosure control: each run's own counts keep exactly the status they have in that run's
publication (they are public there, so here they may be neither shown where that one hides
them nor hidden where it shows them). The flows are new cells, protected together with both
runs' cells and the equations that tie them: now = inflow + stayers, before = outflow +
stayers-as-they-were, per category and per neighbourhood.

The categories are those of both runs (their rules may differ): the current run's, in its
order, then any that only the previous run has. A category a run does not have counts 0
there.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from mpg.pipeline.config import Rules
from mpg.pipeline.errors import UsageError
from mpg.pipeline.folders import record_written
from mpg.reports import charts, model, page
from mpg.reports.disclosure import Relation, Status, display_count, protect
from mpg.reports.labels import Labels
from mpg.reports.model import (CITY, UNKNOWN, Column, OutError, PublishedRun, Table, cat_key)
from mpg.reports.publish import check_folders, legend, safe_name
from mpg.reports.workbook import Sheet, TextBlock, signed, write_workbook

FLOWS = ("in", "out", "stay")
SHEETS = ("Summary", "Neighbourhoods", "Neighbourhoods by category", "Notes")
CHART_FILES = {"change": "compare_change_by_neighbourhood", "flows": "compare_flows",
               "categories": "compare_categories"}


def compare(previous_out: str | Path, current_out: str | Path, pub_dir: str | Path,
            lang: str = "nl", rules: Rules | str | Path | None = None, *,
            images: bool = True) -> list[Path]:
    """Write `compare_<prev>_<now>.xlsx`, `compare.html` and charts/compare_*.png|svg.

    rules: as for `publish`; both runs are published with the current run's settings.
    Returns the files written.
    """
    lab = Labels(lang)
    previous_out, current_out, pub_dir = Path(previous_out), Path(current_out), Path(pub_dir)
    check_folders(pub_dir, [previous_out, current_out])
    now_run, prev_run = model.load_run(current_out), model.load_run(previous_out)
    check_comparable(prev_run, now_run)
    settings = model.resolve_settings(now_run, rules)
    prev = model.protect_run(prev_run, settings)
    now = model.protect_run(now_run, settings)
    joint = Comparison(prev, now)
    tables = joint.tables(lab)

    pub_dir.mkdir(parents=True, exist_ok=True)
    title = lab("cmp.title", prev=prev.run.run, now=now.run.run)
    subtitle = lab("cmp.subtitle", prev=prev.run.run, now=now.run.run,
                   prev_date=lab.date(prev.run.reference_date),
                   now_date=lab.date(now.run.reference_date))
    notes = model.notes_table([tables["categories"], tables["neighbourhoods"],
                               tables["by_category"]], lab, settings.min_cell)
    if not notes.rows:
        notes.note = lab("notes.none")
    sheets = [
        Sheet(SHEETS[0], title, subtitle,
              [tables["categories"], TextBlock(lab("report.notes"),
                                               [("", lab("cmp.change_note"))])]),
        Sheet(SHEETS[1], tables["neighbourhoods"].title, subtitle, [tables["neighbourhoods"]],
              freeze_columns=2),
        Sheet(SHEETS[2], tables["by_category"].title, subtitle, [tables["by_category"]],
              freeze_columns=2),
        Sheet(SHEETS[3], notes.title, subtitle,
              [TextBlock(lab("report.notes"), legend(settings, lab)), notes]),
    ]
    name = f"compare_{safe_name(prev.run.run)}_{safe_name(now.run.run)}.xlsx"
    written = [write_workbook(pub_dir / name, sheets, lab, settings.min_cell)]

    specs = joint.chart_specs(tables, lab)
    total = tables["categories"].rows[-1]
    change = "" if total["change"] is None else signed(total["change"], lab)
    mpg = lab("mpg_short")
    cards = [page.Card(f"{mpg} {prev.run.run}", total["prev"]),
             page.Card(f"{mpg} {now.run.run}", total["now"]),
             page.Card(lab("cmp.key_change"), change),
             page.Card(lab("cmp.inflow"), total["in"]), page.Card(lab("cmp.outflow"), total["out"]),
             page.Card(lab("cmp.stayers"), total["stay"])]
    sections = [
        page.Section(lab("report.key_figures"), cards=cards),
        page.Section(lab("cmp.categories_title"),
                     charts=[("chart-categories", specs["categories"]),
                             ("chart-flows", specs["flows"])],
                     tables=[tables["categories"]]),
        page.Section(lab("cmp.neighbourhoods_title"),
                     charts=[("chart-change", specs["change"])],
                     tables=[tables["neighbourhoods"], tables["by_category"]]),
        page.Section(lab("sec.notes"), paragraphs=legend(settings, lab) +
                     [("", lab("cmp.change_note"))], tables=[notes] if notes.rows else []),
    ]
    report = pub_dir / "compare.html"
    report.write_text(page.render(title, subtitle, "", sections, lab,
                                  lab("report.footer", min_cell=settings.min_cell)),
                      encoding="utf-8")
    written.append(report)
    if images:
        every_chart = {name: specs.get(key) for key, name in CHART_FILES.items()}
        written += page.save_images(every_chart, pub_dir / "charts", lang)
    record_written(pub_dir, "publication", written)
    return written


def check_comparable(previous: model.RunData, now: model.RunData) -> None:
    """Two runs whose households can be followed from one to the other: the same pseudonym
    key (else every family looks new and every family gone), the earlier one first, and two
    different runs."""
    if previous.out_dir.resolve() == now.out_dir.resolve():
        raise UsageError(f"{now.out_dir} is compared with itself; give the OUT folders of two "
                         "runs, the earlier quarter first")
    def settings(info: dict, key: str):
        return (info.get(key) or {}).get("resolved")

    # one delivery counted twice with the same rules and settings: the same run twice
    same_run = all(previous.run_info.get(k) is not None
                   and previous.run_info.get(k) == now.run_info.get(k)
                   for k in ("run", "manifest")) and all(
        settings(previous.run_info, k) == settings(now.run_info, k) for k in ("rules", "linkage"))
    if same_run:
        raise UsageError(f"{previous.out_dir} and {now.out_dir} are the same count twice (one "
                         f"delivery, run {now.run}, the same rules): compare two quarters, or "
                         "one delivery counted with two rule sets")
    mine, theirs = (r.run_info.get("key_fingerprint") for r in (previous, now))
    if mine and theirs and mine != theirs:
        raise UsageError(
            f"{previous.out_dir} and {now.out_dir} were made with different pseudonym keys, so "
            "the same family has another household key in each and every family would look "
            "new and gone; run both quarters with the bureau's one key")
    if previous.reference_date > now.reference_date:
        raise UsageError(
            f"the earlier run comes second: {previous.out_dir} has reference date "
            f"{previous.reference_date}, after {now.out_dir}'s {now.reference_date}; give the "
            "earlier quarter first (mpg compare EARLIER LATER)")


def flows(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """One row per household in either run: household_key, status (in | out | stay), the
    category and neighbourhood before (prev_*) and now (now_*)."""
    cols = ["household_key", "category", "neighbourhood_code"]
    merged = previous[cols].merge(current[cols], on="household_key", how="outer",
                                  suffixes=("_prev", "_now"), indicator=True)
    status = merged["_merge"].map({"left_only": "out", "right_only": "in", "both": "stay"})
    return pd.DataFrame({
        "household_key": merged["household_key"], "status": status.astype(str),
        "prev_category": merged["category_prev"], "prev_wijk": merged["neighbourhood_code_prev"],
        "now_category": merged["category_now"], "now_wijk": merged["neighbourhood_code_now"]})


class Comparison:
    """Both runs' cells plus the flow cells, protected together."""

    def __init__(self, prev: PublishedRun, now: PublishedRun) -> None:
        self.prev, self.now = prev, now
        self.settings = now.settings
        self.categories = model.union_categories([now.run, prev.run])
        values: dict[Any, int] = {}
        relations = []
        hidden: set[Any] = set()
        suppressed: set[Any] = set()
        for tag, pub in (("prev", prev), ("now", now)):
            for key, value in pub.cells.values.items():
                values[(tag, key)] = value
            relations += [Relation(tuple(((tag, k), w) for k, w in r.terms))
                          for r in pub.cells.relations]
            hidden |= {(tag, k) for k in pub.cells.hidden}
            suppressed |= {(tag, k) for k, s in pub.protection.status.items()
                           if s is not Status.SHOWN}
        for tag, pub in (("prev", prev), ("now", now)):
            # A category the run does not have: 0 in every neighbourhood (known to all).
            own = {c.name for c in pub.run.categories}
            wijken = [k[1] for k in pub.cells.values if k[0] == "nb" and k[2] == "mpg_total"]
            for category in self.categories:
                if category.name not in own:
                    for code in wijken:
                        values[(tag, ("nb", code, cat_key(category)))] = 0
        fixed = set(values)  # public in the runs' own publications
        self.flow = self._flow_cells(values, relations, hidden)
        self.values, self.relations, self.hidden = values, relations, hidden
        self.protection = protect(values, relations, self.settings.min_cell, hidden=hidden,
                                  suppressed=suppressed, fixed=fixed,
                                  keep={k for k in self.flow if k[2] == CITY})

    def _flow_cells(self, values: dict, relations: list, hidden: set) -> set:
        hh = flows(self.prev.run.households(), self.now.run.households())
        for tag, pub in (("prev", self.prev), ("now", self.now)):
            counted = hh[hh["status"] != ("in" if tag == "prev" else "out")]
            by_cat = counted[f"{tag}_category"].value_counts()
            for category in pub.run.categories:
                if (int(by_cat.get(category.name, 0))
                        != pub.cells.values[("nb", CITY, cat_key(category))]):
                    raise OutError(f"{pub.run.out_dir}: households.parquet and summary.json "
                                   f"disagree on the number of {category.name} households")
            others = set(by_cat.index) - {c.name for c in pub.run.categories}
            if others:
                raise OutError(f"{pub.run.out_dir}: households.parquet and summary.json "
                               f"disagree on the categories ({', '.join(map(str, others))})")
        codes = {tag: {k[1] for k in pub.cells.values if k[0] == "nb" and k[1] != CITY}
                 for tag, pub in (("prev", self.prev), ("now", self.now))}

        def wijk(code: Any, tag: str) -> str:
            return code if code in codes[tag] else UNKNOWN

        hh["prev_group"] = [wijk(c, "prev") for c in hh["prev_wijk"]]
        hh["now_group"] = [wijk(c, "now") for c in hh["now_wijk"]]
        for tag, pub in (("prev", self.prev), ("now", self.now)):
            counted = hh[hh["status"] != ("in" if tag == "prev" else "out")]
            per_wijk = counted[f"{tag}_group"].value_counts()
            for code in codes[tag]:
                if int(per_wijk.get(code, 0)) != pub.cells.values[("nb", code, "mpg_total")]:
                    raise OutError(f"{pub.run.out_dir}: households.parquet and "
                                   f"neighbourhoods.csv disagree on neighbourhood {code}")
        # kind -> (households, the run whose category/wijk they are shown under)
        parts = {"in": (hh[hh["status"] == "in"], "now"),
                 "stay": (hh[hh["status"] == "stay"], "now"),
                 "out": (hh[hh["status"] == "out"], "prev"),
                 "stay_prev": (hh[hh["status"] == "stay"], "prev")}
        flow: set = set()

        def add(key: tuple, n: int, secret: bool) -> tuple:
            values[key] = int(n)
            flow.add(key)
            if secret:
                hidden.add(key)
            return key

        for kind, (rows, tag) in parts.items():
            secret = kind == "stay_prev"  # stayers by their old category/wijk: not shown
            by_cat = rows[f"{tag}_category"].value_counts()
            cat_keys = [add(("flow", "cat", c.name, kind), by_cat.get(c.name, 0), secret)
                        for c in self.categories]
            relations.append(Relation.total(add(("flow", "cat", CITY, kind), len(rows), secret),
                                            cat_keys))
            by_wijk = rows[f"{tag}_group"].value_counts()
            wijk_keys = [add(("flow", "nb", code, kind), by_wijk.get(code, 0), secret)
                         for code in sorted(codes[tag])]
            relations.append(Relation.total(("flow", "cat", CITY, kind), wijk_keys))
        for tag, inflow, stay in (("now", "in", "stay"), ("prev", "out", "stay_prev")):
            for c in self.categories:
                relations.append(Relation.total((tag, ("nb", CITY, cat_key(c))),
                                                [("flow", "cat", c.name, inflow),
                                                 ("flow", "cat", c.name, stay)]))
            relations.append(Relation.total((tag, ("nb", CITY, "mpg_total")),
                                            [("flow", "cat", CITY, inflow),
                                             ("flow", "cat", CITY, stay)]))
            for code in codes[tag]:
                relations.append(Relation.total((tag, ("nb", code, "mpg_total")),
                                                [("flow", "nb", code, inflow),
                                                 ("flow", "nb", code, stay)]))
        relations.append(Relation.total(("flow", "cat", CITY, "stay"),
                                        [("flow", "cat", CITY, "stay_prev")]))
        return flow

    # ------------------------------------------------------------------ published values
    def count(self, key: Any) -> int | str | None:
        if key not in self.values:
            return None
        return display_count(self.values[key], self.protection.status[key],
                             self.settings.min_cell, self.settings.rounding_base)

    def status(self, key: Any) -> Status | None:
        return self.protection.status.get(key)

    def _change(self, prev_key: Any, now_key: Any) -> int | None:
        a, b = self.count(prev_key), self.count(now_key)
        return b - a if isinstance(a, int) and isinstance(b, int) else None

    def _cells(self, keys: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Status]]:
        values = {col: self.count(key) for col, key in keys.items()}
        statuses = {col: self.status(key) for col, key in keys.items()
                    if self.status(key) is not None}
        return values, statuses

    def tables(self, lab: Labels) -> dict[str, Table]:
        prev_name, now_name = self.prev.run.run, self.now.run.run
        if prev_name == now_name:  # a run against itself (or a rerun): headers must differ
            prev_name = lab("cmp.previous_same", run=prev_name)
        flow_columns = [Column("prev", prev_name), Column("now", now_name),
                        Column("change", lab("cmp.change"), "change"),
                        Column("in", lab("cmp.inflow")), Column("out", lab("cmp.outflow")),
                        Column("stay", lab("cmp.stayers"))]
        categories = Table("compare_categories", lab("cmp.categories_title"),
                           [Column("label", lab("category"), "text"), *flow_columns],
                           note=lab("cmp.flows_note"))
        for category in (*self.categories, None):
            code = CITY if category is None else category.name
            nb_col = "mpg_total" if category is None else cat_key(category)
            keys = {"prev": ("prev", ("nb", CITY, nb_col)), "now": ("now", ("nb", CITY, nb_col)),
                    **{k: ("flow", "cat", code, k) for k in FLOWS}}
            values, statuses = self._cells(keys)
            values["change"] = self._change(keys["prev"], keys["now"])
            label = lab("mpg_total") if category is None else lab.category(category)
            categories.add({"label": label, **values}, statuses)
        categories.totals = 1

        names = self._names()
        codes = sorted(set(names) - {UNKNOWN}) + ([UNKNOWN] if UNKNOWN in names else [])
        neighbourhoods = Table("compare_neighbourhoods", lab("cmp.neighbourhoods_title"),
                               [Column("code", lab("nb.code"), "text"),
                                Column("name", lab("nb.name"), "text"), *flow_columns],
                               note=lab("cmp.change_note"))
        by_category = Table("compare_by_category", lab("cmp.by_category_nb"),
                            [Column("code", lab("nb.code"), "text"),
                             Column("name", lab("nb.name"), "text"),
                             *[Column(f"{cat_key(c)}_{part}", f"{lab.category_short(c)}: {head}",
                                      kind)
                               for c in self.categories
                               for part, head, kind in (("prev", prev_name, "count"),
                                                        ("now", now_name, "count"),
                                                        ("change", lab("cmp.change"), "change"))]],
                            note=lab("cmp.change_note"))
        for code in (*codes, CITY):
            label = {"code": "" if code in (CITY, UNKNOWN) else code,
                     "name": lab("nb.total") if code == CITY else names[code]}
            flow_group = ("flow", "cat", CITY) if code == CITY else ("flow", "nb", code)
            keys = {"prev": ("prev", ("nb", code, "mpg_total")),
                    "now": ("now", ("nb", code, "mpg_total")),
                    **{k: (*flow_group, k) for k in FLOWS}}
            values, statuses = self._cells(keys)
            values["change"] = self._change(keys["prev"], keys["now"])
            neighbourhoods.add({**label, **values}, statuses)
            cat_values: dict[str, Any] = {}
            cat_statuses: dict[str, Status] = {}
            for c in map(cat_key, self.categories):
                pk = ("prev", ("nb", code, c))
                nk = ("now", ("nb", code, c))
                values, statuses = self._cells({f"{c}_prev": pk, f"{c}_now": nk})
                cat_values.update(values, **{f"{c}_change": self._change(pk, nk)})
                cat_statuses.update(statuses)
            by_category.add({**label, **cat_values}, cat_statuses)
        neighbourhoods.totals = by_category.totals = 1
        return {"categories": categories, "neighbourhoods": neighbourhoods,
                "by_category": by_category}

    def _names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for pub in (self.prev, self.now):
            nb = pub.run.neighbourhoods
            for code, name in zip(nb["neighbourhood_code"].astype(str),
                                  nb.get("neighbourhood_name", nb["neighbourhood_code"])):
                names[code] = name or names.get(code) or code
            if ("nb", UNKNOWN, "mpg_total") in pub.cells.values:
                names[UNKNOWN] = ""
        return names

    def chart_specs(self, tables: dict[str, Table], lab: Labels) -> dict[str, dict | None]:
        min_cell = self.settings.min_cell
        nb_rows = [{"name": r["name"], "change": r["change"],
                    "change_text": signed(r["change"], lab) if r["change"] is not None else ""}
                   for r in tables["neighbourhoods"].rows[:-1]]
        cat_rows = tables["categories"].rows
        groups = [r["label"] for r in cat_rows]
        short = {lab.category(c): lab.category_short(c) for c in self.categories}
        short[lab("mpg_total")] = lab("mpg_short")
        groups = [short.get(g, g) for g in groups]
        flow_labels = [lab("cmp.inflow"), lab("cmp.outflow"), lab("cmp.stayers")]
        flow_records = [{"group": short.get(r["label"], r["label"]), "series": name,
                         "value": r[k]}
                        for r in cat_rows for k, name in zip(FLOWS, flow_labels)]
        # The column headers name the runs (and differ even for a run against itself).
        run_names = [tables["categories"].columns[1].label, tables["categories"].columns[2].label]
        run_records = [{"group": short.get(r["label"], r["label"]), "series": run,
                        "value": r[k]}
                       for r in cat_rows for k, run in zip(("prev", "now"), run_names)]
        return {
            "categories": charts.grouped_chart(run_records, groups, run_names,
                                               ["#9aa9b8", "#1f5a96"],
                                               lab("cmp.categories_chart"), lab, min_cell),
            "flows": charts.grouped_chart(flow_records, groups, flow_labels,
                                          ["#c0392b", "#3a9a6e", "#9aa9b8"],
                                          lab("cmp.flows_chart"), lab, min_cell),
            "change": charts.change_chart(nb_rows, lab),
        }
