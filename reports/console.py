"""What the terminal shows after a run: the count as a Rich table (counts, no personal data)."""
from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table


def category_labels(summary: dict[str, Any], lang: str = "en") -> dict[str, str]:
    """Each category's label from the rule set the run recorded (the rules' texts)."""
    labels = {}
    for category in summary.get("rules", {}).get("categories", []):
        label = (category.get("label") or {}).get(lang) or category["name"]
        labels[category["name"]] = label.replace("{min_agencies}",
                                                 str(category.get("min_agencies")))
    return labels


def summary_table(summary: dict[str, Any]) -> Table:
    window = " .. ".join(summary["window"])
    table = Table(title=escape(f"Multi-problem families, run {summary['run']} "
                               f"(reference date {summary['reference_date']}, window {window})"))
    table.add_column("")
    table.add_column("households", justify="right")
    labels = category_labels(summary)
    for category, n in summary["by_category"].items():
        table.add_row(escape(labels.get(category, category)), f"{n:,}")
    table.add_row("[bold]MPG total[/]", f"[bold]{summary['mpg_total']:,}[/]", end_section=True)
    table.add_row("family households in the city", f"{summary['family_households']:,}")
    table.add_row("BIB households without children", f"{summary['bib_without_children']:,}")
    table.add_row("care-network reports identified", f"{summary['zorgnetwerk_identified']:,}",
                  end_section=True)
    not_counted = summary["not_counted"]
    table.add_row("not linkable: anonymous care-network reports",
                  f"{not_counted['anonymous_zorgnetwerk']:,}")
    table.add_row("records whose person was not found", f"{not_counted['unlinked_records']:,}")
    table.add_row("records of persons in no family household",
                  f"{not_counted['no_family_household']:,}")
    table.add_row("records outside the window", f"{not_counted['outside_window']:,}")
    table.add_row("rejected rows (see rejects.csv)", f"{summary['rejects']:,}")
    return table


def sources_table(files: list[dict[str, Any]]) -> Table:
    table = Table(title="What the delivery holds")
    for column in ("file", "agency", "rows", "loaded", "rejected", "first date", "last date"):
        table.add_column(column, justify="left" if column in ("file", "agency") else "right",
                         overflow="fold")
    for f in files:
        if f.get("duplicate_of"):
            table.add_row(escape(f["file"]), f["agency"], f"{f['rows_in']:,}", "0", "0", "",
                          escape(f"same content as {f['duplicate_of']}: not loaded twice"))
            continue
        table.add_row(escape(f["file"]), f["agency"], f"{f['rows_in']:,}", f"{f['rows_loaded']:,}",
                      f"{f['rows_rejected']:,}", _date(f.get("first_date")),
                      _date(f.get("last_date")))
    return table


def _date(value: Any) -> str:
    if value is None or value != value:  # NaT/NaN from pandas
        return ""
    return str(value)[:10]


def _interval(pair: Any) -> str:
    if not pair or pair[0] is None:
        return "—"
    high = "unbounded" if pair[1] is None else f"{pair[1]:,.0f}"
    return f"{pair[0]:,.0f} – {high}"


def estimate_table(section: dict[str, Any], title: str = "How many are there really? "
                   "(multiple-systems estimate)") -> Table:
    """The prevalence estimate (summary.json["estimate"], or `mpg estimate --table`)."""
    table = Table(title=escape(title), show_header=False)
    table.add_column("")
    table.add_column("", justify="right", overflow="fold")
    lists = ", ".join(section.get("lists", []))
    table.add_row("lists", escape(lists))
    table.add_row("observed: families on at least one list", f"{section['observed']:,}")
    if "error" in section:
        table.add_row("[red]no estimate[/]", escape(section["error"]))
    else:
        run = "ci95_without_linkage" in section
        table.add_row("unseen (estimated)", f"{section['unseen']:,.0f}")
        table.add_row("[bold]total (estimated)[/]", f"[bold]{section['total']:,.0f}[/]",
                      end_section=True)
        what = "sampling, model choice" + (", linkage" if run else "")
        table.add_row(f"95% interval ({what})", _interval(section.get("ci95")))
        table.add_row(f"80% interval ({what})", _interval(section.get("ci80")))
        if run:
            table.add_row("95% interval without linkage", _interval(
                section.get("ci95_without_linkage")))
            table.add_row("80% interval without linkage", _interval(
                section.get("ci80_without_linkage")))
        table.add_row("95% profile-likelihood interval (chosen model only)",
                      _interval(section.get("profile_ci95")))
        table.add_row("80% profile-likelihood interval (chosen model only)",
                      _interval(section.get("profile_ci80")))
        table.add_row("Chao's lower bound", f"{section['chao_lower_bound']:,.0f}",
                      end_section=True)
        table.add_row("model", escape(str(section.get("model"))))
        table.add_row("criterion", escape(str(section.get("criterion"))))
        shares = section.get("variance_shares")
        if shares:
            table.add_row("variance (log scale): sampling / model choice / linkage",
                          f"{shares['sampling']:.0%} / {shares['model_choice']:.0%} / "
                          f"{shares['linkage']:.0%}")
    linkage = section.get("linkage") or {}
    if linkage.get("mpg_total"):
        table.add_row(f"MPG count under linkage alone ({linkage['draws']} draws, central "
                      f"{linkage['level']:.0%})", _interval(linkage["mpg_total"]))
    notes = list(section.get("warnings", []))
    if notes:
        table.caption = escape("Note: " + " | ".join(notes))
    return table


def demo_estimate_table(section: dict[str, Any] | None, true_total: int) -> Table:
    """Observed, estimated and the synthetic city's true number side by side."""
    table = Table(title="The estimate against the synthetic city's truth")
    for column in ("observed", "estimated", "80% interval", "95% interval", "true total"):
        table.add_column(column, justify="right")
    if not section or "error" in section:
        why = (section or {}).get("error", "the estimate is switched off")
        table.add_row(f"{(section or {}).get('observed', '—')}", escape(f"none: {why}"), "—",
                      "—", f"{true_total:,}")
        return table
    low, high = section["ci95"]
    inside = low is not None and low <= true_total and (high is None or true_total <= high)
    table.add_row(f"{section['observed']:,}", f"{section['total']:,.0f}",
                  _interval(section["ci80"]), _interval(section["ci95"]),
                  f"{true_total:,} ({'inside' if inside else 'OUTSIDE'} the 95% interval)")
    return table
