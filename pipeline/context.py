"""What every stage gets besides the DuckDB connection: one typed, frozen context."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mpg.pipeline.config import LinkageSettings, Manifest, Rules, load_linkage, load_rules


@dataclass(frozen=True)
class RunContext:
    manifest: Manifest
    rules: Rules
    linkage: LinkageSettings  # complete: `config.load_linkage` fills in the defaults
    work_dir: Path  # private folder of this run (spill files, the identifying database)
    stage_out: Path  # OUT being written; moved into place only when the run succeeds
    pseudonym_key: bytes
    # Clerical decisions (`mpg review import`) that linkage must obey, given explicitly
    # with --reviews; None: no decisions.
    review_db: Path | None = None

    @classmethod
    def create(cls, manifest: Manifest, work_dir: Path, *, rules: Rules | None = None,
               linkage: LinkageSettings | None = None, stage_out: Path | None = None,
               pseudonym_key: bytes = b"", review_db: Path | None = None) -> "RunContext":
        """A context with the default rules and linkage settings where none are given (for
        `mpg validate`, tests and the bench)."""
        return cls(manifest=manifest, rules=rules or load_rules(),
                   linkage=linkage or load_linkage(), work_dir=Path(work_dir),
                   stage_out=Path(stage_out or work_dir), pseudonym_key=pseudonym_key,
                   review_db=review_db)
