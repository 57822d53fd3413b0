"""The charts of the report (Altair), drawn from published tables only.

A chart gets the same values as the tables next to it: a kept-back count ("<5", "x") is not
drawn, and the data embedded in the HTML holds nothing the tables do not show. Each function
returns a Vega-Lite spec (dict) or None when there is nothing to draw.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from mpg.pipeline.config import Category
from mpg.reports.labels import Labels
from mpg.reports.model import Table, cat_key

COLOURS = {"MPG": "#2b2b2b", "SUPPRESSED": "#c8c8c8"}
# The categories' colours, by their position in the rules (the first three: BIB,
# MULTI_AGENCY and ZORGNETWERK of the default rules); after the last, they repeat.
CATEGORY_COLOURS = ("#1f5a96", "#e0812b", "#3a9a6e", "#8c5aa6", "#b8474f", "#2a9db5",
                    "#a57c1b", "#d16ba5", "#6b7a33", "#7f5539")
SERIES = ("#1f5a96", "#e0812b", "#3a9a6e", "#8c5aa6", "#555555")
WIDTH = 720
FONT = "Segoe UI, Helvetica Neue, Arial, sans-serif"


def _finish(chart: alt.TopLevelMixin, title: str, subtitle: str = "") -> dict[str, Any]:
    title_params = {"text": title, "anchor": "start", "fontSize": 15, "font": FONT}
    if subtitle:
        title_params.update(subtitle=subtitle, subtitleFontSize=12, subtitleColor="#555555",
                            subtitleFont=FONT)
    spec = (chart.properties(title=alt.TitleParams(**title_params))
            .configure(font=FONT)
            .configure_view(stroke=None)
            .configure_axis(labelFontSize=12, titleFontSize=12, labelLimit=260,
                            gridColor="#e6e6e6")
            .configure_legend(orient="bottom", labelFontSize=12, titleFontSize=12,
                              labelLimit=320)
            .to_dict())
    spec.pop("$schema", None)  # a URL that nothing needs to load
    return spec


def _body(table: Table) -> list[dict[str, Any]]:
    return table.rows[:len(table.rows) - table.totals] if table.totals else list(table.rows)


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def category_colour(position: int) -> str:
    """The colour of the category at this position (0 = first) of the rules."""
    return CATEGORY_COLOURS[position % len(CATEGORY_COLOURS)]


def neighbourhood_chart(nb: Table, categories: Sequence[Category], lab: Labels,
                        min_cell: int) -> dict[str, Any] | None:
    """Stacked bars: MPG per neighbourhood by category; what is kept back in grey."""
    names = [lab.category_short(c) for c in categories]
    suppressed = lab("cat_short.SUPPRESSED", min_cell=min_cell)
    records = []
    for row in _body(nb):
        shown = 0
        for category, name in zip(categories, names):
            n = _int(row[cat_key(category)])
            if n:
                records.append({"wijk": row["name"], "category": name,
                                "n": n, "label": lab.number(n), "total": _int(row["mpg_total"])})
                shown += n
        total = _int(row["mpg_total"])
        # The part of a shown total that sits in kept-back cells is known from the table.
        if total is not None and total > shown:
            records.append({"wijk": row["name"], "category": suppressed, "n": total - shown,
                            "label": lab.number(total - shown), "total": total})
    if not records:
        return None
    data = pd.DataFrame(records)
    order = (data.groupby("wijk")["n"].sum().sort_values(ascending=False).index.tolist())
    # The grey "kept back" entry only when some bar has a grey part.
    domain = names + ([suppressed] if (data["category"] == suppressed).any() else [])
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("wijk:N", sort=order, title=None),
        x=alt.X("sum(n):Q", title=lab("households"), axis=alt.Axis(format=",d", tickMinStep=1)),
        color=alt.Color("category:N", title=None,
                        scale=alt.Scale(domain=domain,
                                        range=[category_colour(i) for i in range(len(names))]
                                        + [COLOURS["SUPPRESSED"]][:len(domain) - len(names)]),
                        sort=domain),
        order=alt.Order("category_order:Q"),
        tooltip=[alt.Tooltip("wijk:N", title=lab("nb.name")),
                 alt.Tooltip("category:N", title=lab("category")),
                 alt.Tooltip("label:N", title=lab("households"))],
    ).transform_calculate(
        category_order=f"indexof({json.dumps(domain)}, datum.category)"
    ).properties(width=WIDTH, height=max(120, 24 * len(order)))
    return _finish(chart, lab("report.nb_chart"),
                   lab("report.suppressed_not_drawn", min_cell=min_cell))


def share_chart(nb: Table, lab: Labels) -> dict[str, Any] | None:
    """Per neighbourhood: its share of the city's families against its share of the MPG."""
    families, mpg = lab("nb.share_families"), lab("nb.share_mpg")
    records = []
    for row in _body(nb):
        if row["share_families"] is None or row["share_mpg"] is None:
            continue
        for series, value in ((families, row["share_families"]), (mpg, row["share_mpg"])):
            records.append({"wijk": row["name"], "series": series, "share": value,
                            "index": row["index"], "label": lab.percent(value)})
    if not records:
        return None
    data = pd.DataFrame(records)
    order = (data[data["series"] == mpg].sort_values("share", ascending=False)["wijk"].tolist())
    base = alt.Chart(data).encode(y=alt.Y("wijk:N", sort=order, title=None))
    rule = base.mark_rule(color="#999999", strokeWidth=2).encode(
        x=alt.X("min(share):Q"), x2=alt.X2("max(share):Q"))
    points = base.mark_circle(size=110, opacity=1).encode(
        x=alt.X("share:Q", title=lab("report.share"), axis=alt.Axis(format=".0%")),
        color=alt.Color("series:N", title=None, sort=[families, mpg],
                        scale=alt.Scale(domain=[families, mpg], range=["#9aa9b8", "#c0392b"])),
        tooltip=[alt.Tooltip("wijk:N", title=lab("nb.name")),
                 alt.Tooltip("series:N", title=lab("report.group")),
                 alt.Tooltip("label:N", title=lab("report.share")),
                 alt.Tooltip("index:Q", title=lab("nb.index"))])
    chart = alt.layer(rule, points).properties(width=WIDTH, height=max(120, 24 * len(order)))
    return _finish(chart, lab("report.share_chart"), lab("report.share_missing"))


def bar_chart(table: Table, lab: Labels, title: str, min_cell: int, *,
              horizontal: bool = True, colour: str = SERIES[0]) -> dict[str, Any] | None:
    """One bar per shown row of a label/n/share table (the total rows left out)."""
    records = [{"label": row["label"], "n": _int(row["n"]), "text": lab.number(row["n"]),
                "share": lab.percent(row.get("share"))}
               for row in _body(table) if _int(row["n"])]
    if not records:
        return None
    data = pd.DataFrame(records)
    order = data["label"].tolist()
    tooltip = [alt.Tooltip("label:N", title=table.columns[0].label),
               alt.Tooltip("text:N", title=lab("report.count")),
               alt.Tooltip("share:N", title=lab("report.share"))]
    count_axis = alt.Axis(format=",d", tickMinStep=1)
    bars = alt.Chart(data).mark_bar(color=colour)
    if horizontal:
        chart = bars.encode(y=alt.Y("label:N", sort=order, title=None),
                            x=alt.X("n:Q", title=lab("report.count"), axis=count_axis),
                            tooltip=tooltip)
        text = alt.Chart(data).mark_text(align="left", dx=4, fontSize=12).encode(
            y=alt.Y("label:N", sort=order), x="n:Q", text="text:N")
        chart = alt.layer(chart, text).properties(width=WIDTH - 120,
                                                  height=max(80, 26 * len(order)))
    else:
        chart = bars.encode(x=alt.X("label:N", sort=order, title=None,
                                    axis=alt.Axis(labelAngle=0)),
                            y=alt.Y("n:Q", title=lab("report.count"), axis=count_axis),
                            tooltip=tooltip)
        text = alt.Chart(data).mark_text(baseline="bottom", dy=-3, fontSize=12).encode(
            x=alt.X("label:N", sort=order), y="n:Q", text="text:N")
        chart = alt.layer(chart, text).properties(width=max(200, 70 * len(order)), height=220)
    return _finish(chart, title, lab("report.suppressed_not_drawn", min_cell=min_cell))


def origin_chart(tables: list[Table], lab: Labels) -> dict[str, Any] | None:
    """Share of each origin among the mothers (fathers) of the counted families and of all
    families in the city."""
    counted, city = lab("origin.counted"), lab("origin.city")
    records = []
    for table in tables:
        for row in _body(table):
            for series, col in ((counted, "counted_share"), (city, "city_share")):
                if row.get(col) is not None:
                    records.append({"role": table.title, "origin": row["label"],
                                    "series": series, "share": row[col],
                                    "label": lab.percent(row[col])})
    if not records:
        return None
    data = pd.DataFrame(records)
    origins = list(dict.fromkeys(data["origin"]))
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("origin:N", sort=origins, title=None),
        yOffset=alt.YOffset("series:N", sort=[counted, city]),
        x=alt.X("share:Q", title=lab("report.share"), axis=alt.Axis(format=".0%")),
        color=alt.Color("series:N", title=None, sort=[counted, city],
                        scale=alt.Scale(domain=[counted, city], range=["#c0392b", "#9aa9b8"])),
        tooltip=[alt.Tooltip("role:N", title=lab("report.role")),
                 alt.Tooltip("origin:N", title=lab("origin")),
                 alt.Tooltip("series:N", title=lab("report.group")),
                 alt.Tooltip("label:N", title=lab("report.share"))],
    ).properties(width=280, height=max(100, 34 * len(origins))).facet(
        column=alt.Column("role:N", title=None, sort=[t.title for t in tables],
                          header=alt.Header(labelFontSize=13, labelFontWeight="bold",
                                            labelAnchor="start")))
    return _finish(chart, lab("report.origin_chart"))


def line_chart(rows: list[dict[str, Any]], series: dict[str, str], x: str, title: str,
               lab: Labels, subtitle: str = "", colours: dict[str, str] | None = None
               ) -> dict[str, Any] | None:
    """Lines over runs: `series` maps a row field to its legend label, `colours` a field to
    its colour (default: MPG black, the others in turn). Kept-back values are gaps, never
    guessed."""
    records = []
    for row in rows:
        for field, label in series.items():
            records.append({"x": row[x], "series": label, "n": _int(row[field]),
                            "text": str(row[field]) if isinstance(row[field], str)
                            else lab.number(row[field])})
    if not records:
        return None
    data = pd.DataFrame(records)
    xs = list(dict.fromkeys(data["x"]))
    names = list(series.values())
    colours = [(colours or {}).get(k) or COLOURS.get(k, SERIES[i % len(SERIES)])
               for i, k in enumerate(series)]
    base = alt.Chart(data).encode(
        x=alt.X("x:N", sort=xs, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("n:Q", title=lab("households"), axis=alt.Axis(format=",d", tickMinStep=1)),
        color=alt.Color("series:N", title=None, sort=names,
                        scale=alt.Scale(domain=names, range=colours)),
        tooltip=[alt.Tooltip("x:N", title=lab("trend.run")),
                 alt.Tooltip("series:N", title=lab("category")),
                 alt.Tooltip("text:N", title=lab("households"))])
    chart = alt.layer(base.mark_line(strokeWidth=2.5),
                      base.mark_point(filled=True, size=60)).properties(width=WIDTH, height=260)
    return _finish(chart, title, subtitle)


def trend_chart(rows: list[dict[str, Any]], categories: Sequence[Category], lab: Labels,
                min_cell: int) -> dict[str, Any] | None:
    """The MPG total and each category over the runs (rows: model.trend_rows)."""
    series = {"MPG": lab("mpg_total"), **{cat_key(c): lab.category_short(c) for c in categories}}
    colours = {cat_key(c): category_colour(i) for i, c in enumerate(categories)}
    return line_chart(rows, series, "run", lab("report.trend_chart"), lab,
                      lab("report.suppressed_not_drawn", min_cell=min_cell), colours)


def change_chart(rows: list[dict[str, Any]], lab: Labels) -> dict[str, Any] | None:
    """Diverging bars: the change in MPG per neighbourhood, where both counts are shown."""
    records = [{"wijk": r["name"], "change": r["change"], "text": r["change_text"],
                "direction": "up" if r["change"] > 0 else "down"}
               for r in rows if r.get("change") is not None]
    if not records:
        return None
    data = pd.DataFrame(records)
    order = data.sort_values("change", ascending=False)["wijk"].tolist()
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("wijk:N", sort=order, title=None),
        x=alt.X("change:Q", title=lab("cmp.change"), axis=alt.Axis(format="+,d", tickMinStep=1)),
        color=alt.Color("direction:N", legend=None,
                        scale=alt.Scale(domain=["up", "down"], range=["#c0392b", "#3a9a6e"])),
        tooltip=[alt.Tooltip("wijk:N", title=lab("nb.name")),
                 alt.Tooltip("text:N", title=lab("cmp.change"))],
    ).properties(width=WIDTH - 100, height=max(100, 24 * len(order)))
    return _finish(chart, lab("cmp.change_chart"), lab("cmp.change_note"))


def grouped_chart(records: list[dict[str, Any]], groups: list[str], series: list[str],
                  colours: list[str], title: str, lab: Labels, min_cell: int,
                  ) -> dict[str, Any] | None:
    """Vertical bars per group, one per series; records hold group, series, value (int or a
    kept-back label, which is not drawn)."""
    rows = [{**r, "n": _int(r["value"]), "text": lab.number(r["value"])
             if _int(r["value"]) is not None else str(r["value"])} for r in records]
    rows = [r for r in rows if r["n"] is not None]
    if not rows:
        return None
    data = pd.DataFrame(rows)
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("group:N", sort=groups, title=None, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("series:N", sort=series),
        y=alt.Y("n:Q", title=lab("households"), axis=alt.Axis(format=",d", tickMinStep=1)),
        color=alt.Color("series:N", title=None, sort=series,
                        scale=alt.Scale(domain=series, range=colours)),
        tooltip=[alt.Tooltip("group:N", title=lab("category")),
                 alt.Tooltip("series:N", title=lab("cmp.flow")),
                 alt.Tooltip("text:N", title=lab("households"))],
    ).properties(width=WIDTH - 100, height=240)
    return _finish(chart, title, lab("report.suppressed_not_drawn", min_cell=min_cell))


def estimate_chart(view: Any, lab: Labels) -> dict[str, Any] | None:
    """Counted against estimated (model.EstimateView, published values only): a bar each,
    the estimate's 80% interval as a thick line and its 95% interval as a thin one, the
    count's range under record linkage alone as a thin line on its bar. A value kept back
    ("<5", "x") or not published is not drawn, nor is an interval without an upper limit."""
    if view is None or view.error is not None or _int(view.total) is None:
        return None  # no estimate to set against the count
    counted, estimated = lab("est.chart_counted"), lab("est.chart_estimated")
    records = []
    observed = _int(view.observed)
    if observed is not None:
        low, high = view.linkage_count or (None, None)
        records.append({"label": counted, "value": observed, "text": lab.number(observed),
                        "lo80": None, "hi80": None, "lo95": _int(low), "hi95": _int(high)})
    total = _int(view.total)
    if total is not None:
        records.append({"label": estimated, "value": total, "text": lab.number(total),
                        "lo80": _int(view.ci80[0]), "hi80": _int(view.ci80[1]),
                        "lo95": _int(view.ci95[0]), "hi95": _int(view.ci95[1])})
    if not records:
        return None
    for record in records:
        for level in ("80", "95"):
            lo, hi = record[f"lo{level}"], record[f"hi{level}"]
            record[f"interval{level}"] = (f"{lab.number(lo)}\u2013{lab.number(hi)}"
                                          if lo is not None and hi is not None else "")
            if lo is None or hi is None:
                record[f"lo{level}"] = record[f"hi{level}"] = None
    data = pd.DataFrame(records)
    order = [r["label"] for r in records]
    colours = {counted: "#9aa9b8", estimated: SERIES[0]}
    tooltip = [alt.Tooltip("label:N", title=lab("est.figure")),
               alt.Tooltip("text:N", title=lab("est.chart_value")),
               alt.Tooltip("interval80:N", title=lab("est.chart_interval80")),
               alt.Tooltip("interval95:N", title=lab("est.chart_interval95"))]
    base = alt.Chart(data)
    y = alt.Y("label:N", sort=order, title=None)
    bars = base.mark_bar(height=34).encode(
        y=y, x=alt.X("value:Q", title=lab("households"),
                     axis=alt.Axis(format=",d", tickMinStep=1)),
        color=alt.Color("label:N", legend=None, sort=order,
                        scale=alt.Scale(domain=order, range=[colours[k] for k in order])),
        tooltip=tooltip)
    layers = [bars]
    for level, width in (("95", 2), ("80", 7)):
        layers.append(base.transform_filter(f"isValid(datum.lo{level})").mark_rule(
            color="#1d2733", strokeWidth=width).encode(
            y=y, x=f"lo{level}:Q", x2=f"hi{level}:Q", tooltip=tooltip))
    layers.append(base.mark_text(align="left", dx=6, dy=-26, fontSize=12).encode(
        y=y, x="value:Q", text="text:N"))
    chart = alt.layer(*layers).properties(width=WIDTH - 160, height=70 * len(order))
    return _finish(chart, lab("est.chart"), lab("est.chart_subtitle"))
