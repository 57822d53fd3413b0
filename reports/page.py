"""One self-contained HTML file: Vega, Vega-Lite and vega-embed inlined, no network needed.

The JavaScript comes from the vl-convert-python package (`vl_convert.javascript_bundle`),
not from a CDN: the report is opened on municipal laptops, often offline, and must not send
anything anywhere (vega-embed's "open in editor" menu is switched off for the same reason).
Chart images for slides are made by vl_convert too, with no external URL allowed.
"""
from __future__ import annotations

import functools
import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import vl_convert

from mpg.reports.labels import Labels
from mpg.reports.model import Table
from mpg.reports.workbook import signed

LOCALES = {"nl": "nl-NL", "en": "en-GB"}


@functools.lru_cache(maxsize=1)
def vega_bundle() -> str:
    """vega + vega-lite + vega-embed as one script that sets window.vegaEmbed."""
    bundle = vl_convert.javascript_bundle()
    if "</script" in bundle.lower():
        raise RuntimeError("the Vega bundle contains '</script' and cannot be inlined")
    return bundle


@dataclass
class Card:
    label: str
    value: int | str
    note: str = ""


@dataclass
class Section:
    title: str
    intro: str = ""
    cards: list[Card] = field(default_factory=list)
    charts: list[tuple[str, dict[str, Any] | None]] = field(default_factory=list)  # (id, spec)
    tables: list[Table] = field(default_factory=list)
    paragraphs: list[tuple[str, str]] = field(default_factory=list)  # (heading, text)


def render(title: str, subtitle: str, lead: str, sections: list[Section], lab: Labels,
           footer: str) -> str:
    """The whole HTML document."""
    specs = {cid: spec for s in sections for cid, spec in s.charts if spec is not None}
    body = "\n".join(_section(s, lab) for s in sections)
    locale = LOCALES[lab.lang]
    options = {"renderer": "svg", "actions": False,
               "formatLocale": vl_convert.get_format_locale(locale),
               "timeFormatLocale": vl_convert.get_time_format_locale(locale)}
    script = (
        "const SPECS = " + _json(specs) + ";\n"
        "const OPTIONS = " + _json(options) + ";\n"
        "for (const [id, spec] of Object.entries(SPECS)) {\n"
        "  const el = document.getElementById(id);\n"
        "  vegaEmbed(el, spec, OPTIONS).catch((err) => {\n"
        "    console.error(err);\n"
        "    el.textContent = " + _json(lab("report.chart_failed")) + ";\n"
        "  });\n"
        "}\n")
    return f"""<!DOCTYPE html>
<html lang="{lab.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{html.escape(title)}</title>
<style>{CSS}</style>
<script>{vega_bundle()}</script>
</head>
<body>
<header>
<h1>{html.escape(title)}</h1>
<p class="subtitle">{html.escape(subtitle)}</p>
{f'<p class="lead">{html.escape(lead)}</p>' if lead else ''}
</header>
<main>
{body}
</main>
<footer>{html.escape(footer)}</footer>
<script>
{script}</script>
</body>
</html>
"""


def _json(value: Any) -> str:
    # "</" would end the script element early; "<\/" is the same string to JavaScript.
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/").replace("<!--", "<\\!--")


def _section(section: Section, lab: Labels) -> str:
    parts = [f"<section>\n<h2>{html.escape(section.title)}</h2>"]
    if section.intro:
        parts.append(f"<p>{html.escape(section.intro)}</p>")
    if section.cards:
        cards = "".join(
            f'<div class="card"><div class="value">{html.escape(_text(c.value, lab))}</div>'
            f'<div class="label">{html.escape(c.label)}</div>'
            + (f'<div class="note">{html.escape(c.note)}</div>' if c.note else "") + "</div>"
            for c in section.cards)
        parts.append(f'<div class="cards">{cards}</div>')
    for cid, spec in section.charts:
        if spec is not None:
            parts.append(f'<figure class="chart" id="{html.escape(cid)}"></figure>')
    for heading, text in section.paragraphs:
        head = f"<strong>{html.escape(heading)}.</strong> " if heading else ""
        parts.append(f"<p>{head}{html.escape(text)}</p>")
    for table in section.tables:
        parts.append(table_html(table, lab))
    parts.append("</section>")
    return "\n".join(parts)


def _text(value: Any, lab: Labels, kind: str = "count") -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if kind == "share":
        return lab.percent(value)
    if kind == "change":
        return signed(value, lab)
    return lab.number(value)


def table_html(table: Table, lab: Labels) -> str:
    body = table.rows[:len(table.rows) - table.totals] if table.totals else table.rows
    totals = table.rows[len(body):]
    head = "".join(f'<th class="{c.kind}">{html.escape(c.label)}</th>' for c in table.columns)

    def row_html(values: dict[str, Any]) -> str:
        return "<tr>" + "".join(
            f'<td class="{c.kind}">{html.escape(_text(values.get(c.id), lab, c.kind))}</td>'
            for c in table.columns) + "</tr>"

    rows = "\n".join(row_html(v) for v in body)
    foot = "\n".join(row_html(v) for v in totals)
    note = f'<p class="note">{html.escape(table.note)}</p>' if table.note else ""
    return (f'<div class="table"><h3>{html.escape(table.title)}</h3>\n'
            f'<div class="scroll"><table><thead><tr>{head}</tr></thead>\n<tbody>{rows}</tbody>'
            + (f"\n<tfoot>{foot}</tfoot>" if foot else "") + f"</table></div>{note}</div>")


def save_images(specs: dict[str, dict[str, Any] | None], folder: Path, lang: str) -> list[Path]:
    """Each chart as PNG (for slides) and SVG (for print), drawn without any network.

    A chart with nothing to draw this time (no earlier runs, everything kept back) has its
    image from an earlier publication in the same folder removed, so no stale figure is
    taken for this run's."""
    folder.mkdir(parents=True, exist_ok=True)
    locale = LOCALES[lang]
    written = []
    for name, spec in specs.items():
        if spec is None:
            for old in (folder / f"{name}.png", folder / f"{name}.svg"):
                old.unlink(missing_ok=True)
            continue
        png = folder / f"{name}.png"
        png.write_bytes(vl_convert.vegalite_to_png(spec, scale=2, format_locale=locale,
                                                   allowed_base_urls=[]))
        svg = folder / f"{name}.svg"
        svg.write_text(vl_convert.vegalite_to_svg(spec, format_locale=locale,
                                                  allowed_base_urls=[]), encoding="utf-8")
        written += [png, svg]
    return written


CSS = """
:root { --ink: #1d2733; --muted: #5b6670; --line: #d9dee3; --accent: #1f5a96; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #f5f6f8;
       font: 15px/1.5 "Segoe UI", "Helvetica Neue", Arial, sans-serif; }
header, main, footer { max-width: 1040px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 28px; padding-bottom: 8px; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 0 0 12px; color: var(--accent); }
h3 { font-size: 16px; margin: 18px 0 6px; }
.subtitle { color: var(--muted); margin: 0; }
.lead { font-weight: 600; margin: 8px 0 0; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px;
          padding: 20px 24px; margin: 18px 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; }
.card .value { font-size: 28px; font-weight: 700; color: var(--accent); }
.card .label { font-size: 13px; color: var(--muted); }
.card .note { font-size: 12px; color: var(--muted); font-style: italic; }
figure.chart { margin: 16px 0; min-height: 60px; overflow-x: auto; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 14px; min-width: 50%; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left;
         vertical-align: top; }
thead th { background: #eef2f6; border-bottom: 2px solid #b9c3cd; }
td.count, td.share, td.index, td.change, th.count, th.share, th.index, th.change {
  text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #fafbfc; }
tfoot td { font-weight: 700; border-top: 2px solid #b9c3cd; }
.note { color: var(--muted); font-size: 13px; font-style: italic; }
footer { color: var(--muted); font-size: 13px; padding-bottom: 32px; }
@media print { body { background: #fff; } section { break-inside: avoid; border: none; } }
"""
