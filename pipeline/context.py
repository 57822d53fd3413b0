"""What every stage gets besides the DuckDB connection."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mpg.pipeline.config import LinkageSettings, Manifest, Rules


@dataclass
class RunContext:
    manifest: Manifest
    rules: Rules
    linkage: LinkageSettings
    work_dir: Path  # private folder of this run (spill files, the identifying database)
    stage_out: Path  # OUT being written; moved into place only when the run succeeds
    pseudonym_key: bytes
    # Figures a stage wants in run.json (e.g. linkage quality), keyed by stage name.
    metrics: dict[str, Any] = field(default_factory=dict)
    # Reviewed pairs (record_key-independent: agency, file, record_id, person_id, decision)
    # that linkage must obey; see `mpg review import`.
    review_db: Path | None = None
