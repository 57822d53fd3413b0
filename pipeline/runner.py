"""The small runner: executes the stages in order on one connection and times them."""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb
from rich.console import Console

from mpg.pipeline.context import RunContext

Stage = Callable[[duckdb.DuckDBPyConnection, RunContext], list[str]]


@dataclass(frozen=True)
class StageReport:
    name: str
    seconds: float
    rows: dict[str, int]  # rows of each table the stage wrote


def run_stages(con: duckdb.DuckDBPyConnection, ctx: RunContext,
               stages: Sequence[tuple[str, Stage]], console: Console | None = None
               ) -> list[StageReport]:
    reports = []
    for index, (name, stage) in enumerate(stages, start=1):
        started = time.perf_counter()
        if console is not None:
            with console.status(f"[{index}/{len(stages)}] {name} ..."):
                tables = stage(con, ctx)
        else:
            tables = stage(con, ctx)
        rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables}
        report = StageReport(name, round(time.perf_counter() - started, 3), rows)
        reports.append(report)
        if console is not None:
            counts = ", ".join(f"{t.removeprefix('ident.')} {n:,}" for t, n in rows.items())
            console.print(f"[green]✓[/] [{index}/{len(stages)}] {name:<13} "
                          f"{report.seconds:7.2f} s  [dim]{counts}[/]")
    return reports
