"""The quarterly count: `run(manifest, out) -> RunResult` (see pipeline/api.py)."""
from typing import Any

__all__ = ["Engine", "RunResult", "connect", "recount", "run", "staging", "validate_delivery"]


def __getattr__(name: str) -> Any:
    # Imported on first use: the stage modules import pipeline.config, and a plain
    # `import pipeline.config` should not pull in Splink.
    if name in __all__:
        import importlib

        return getattr(importlib.import_module("mpg.pipeline.api"), name)
    raise AttributeError(name)
