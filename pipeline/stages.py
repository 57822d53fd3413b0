"""The stages of a run, in order (each declared next to its function as `STAGE`)."""
from __future__ import annotations

from mpg.linkage import link, standardise
from mpg.pipeline import estimate, households, profile, pseudonymise, select
from mpg.pipeline.stage import Stage
from mpg.reports import outputs
from mpg.sources import load

STAGES: tuple[Stage, ...] = (load.STAGE, standardise.STAGE, link.STAGE, pseudonymise.STAGE,
                             households.STAGE, select.STAGE, profile.STAGE, estimate.STAGE,
                             outputs.STAGE)
# What `mpg tune` re-runs for each threshold of its curve: the stages after `link`.
COUNTING = tuple(s for s in STAGES if s.name in ("pseudonymise", "households", "select",
                                                   "profile"))


def until(name: str) -> tuple[Stage, ...]:
    """The stages up to and including `name`."""
    names = [s.name for s in STAGES]
    return STAGES[:names.index(name) + 1]
