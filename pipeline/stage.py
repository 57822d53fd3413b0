"""A stage, declared as data: its name, the tables it reads, the tables (and OUT files) it
writes, and the function that does the work. The runner (`pipeline.runner`) checks both
lists; `pipeline.stages` puts the stages in order. A stage function takes the run's DuckDB
connection and its `RunContext` and returns the figures it wants in run.json (or None).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

import duckdb

from mpg.pipeline.context import RunContext

StageFunction = Callable[[duckdb.DuckDBPyConnection, RunContext], Optional[dict[str, Any]]]


@dataclass(frozen=True)
class Stage:
    name: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    run: StageFunction
    # Files the stage writes into the OUT being built (publish writes the contract's files).
    files: tuple[str, ...] = field(default=())
