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
