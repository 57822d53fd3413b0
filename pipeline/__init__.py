"""The quarterly count: `run(manifest, out) -> RunResult`."""
from typing import Any

__all__ = ["Engine", "RunResult", "run", "validate_delivery"]


def __getattr__(name: str) -> Any:
    # Imported on first use: the stage modules import pipeline.config, and a plain
    # `import pipeline.config` should not pull in Splink.
    if name in __all__:
        from pipeline import run as run_module

        return getattr(run_module, name)
    raise AttributeError(name)
