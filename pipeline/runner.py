"""The small runner: executes declared stages in order on one connection and times them.

Before a stage runs, every table it reads must exist; after it ran, every table and file it
says it writes must exist. A stage that breaks its declaration is a bug of this tool, and
the run stops there (nothing is swapped into OUT).
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
from rich.console import Console
from rich.markup import escape

from mpg.pipeline import sql
from mpg.pipeline.context import RunContext
from mpg.pipeline.stage import Stage


class StageContractError(RuntimeError):
    """A stage read a table nobody wrote, or did not write what it declares."""


@dataclass(frozen=True)
class StageReport:
    name: str
    seconds: float
    rows: dict[str, int]  # rows of each table the stage wrote
    metrics: dict[str, Any] = field(default_factory=dict)  # the stage's figures for run.json


def run_stage(con: duckdb.DuckDBPyConnection, ctx: RunContext, stage: Stage) -> StageReport:
    missing = [t for t in stage.reads if not sql.table_exists(con, t)]
    if missing:
        raise StageContractError(f"stage {stage.name} reads {', '.join(missing)}, which no "
                                 "earlier stage wrote")
    started = time.perf_counter()
    metrics = stage.run(con, ctx) or {}
    seconds = round(time.perf_counter() - started, 3)
    absent = [t for t in stage.writes if not sql.table_exists(con, t)]
    absent += [f for f in stage.files if not (ctx.stage_out / f).exists()]
    if absent:
        raise StageContractError(f"stage {stage.name} did not write {', '.join(absent)}")
    rows = {t: sql.row_count(con, t) for t in stage.writes}
    return StageReport(stage.name, seconds, rows, metrics)


def run_stages(con: duckdb.DuckDBPyConnection, ctx: RunContext, stages: Sequence[Stage],
               console: Console | None = None) -> list[StageReport]:
    reports = []
    for index, stage in enumerate(stages, start=1):
        if console is not None:
            with console.status(f"[{index}/{len(stages)}] {escape(stage.name)} ..."):
                report = run_stage(con, ctx, stage)
        else:
            report = run_stage(con, ctx, stage)
        reports.append(report)
        if console is not None:
            counts = ", ".join(f"{t.removeprefix('ident.')} {n:,}" for t, n in report.rows.items())
            console.print(f"[green]✓[/] [{index}/{len(stages)}] {escape(stage.name):<13} "
                          f"{report.seconds:7.2f} s  [dim]{escape(counts)}[/]")
    return reports
