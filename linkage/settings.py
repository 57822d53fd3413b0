"""The linkage settings a stage actually uses.

A settings file may leave out the long lists (name prefixes, blocking rules, comparisons);
they then come from linkage/default.toml so a short file that only moves the threshold works.
"""
from __future__ import annotations

from functools import lru_cache

from mpg.pipeline.config import DEFAULT_LINKAGE, LinkageSettings, load_linkage


@lru_cache(maxsize=1)
def _defaults() -> LinkageSettings:
    return load_linkage(DEFAULT_LINKAGE)


def effective(settings: LinkageSettings | None) -> LinkageSettings:
    """`settings` with every empty list filled in from linkage/default.toml."""
    if settings is None:
        return _defaults()
    fill = {}
    for key in ("name_prefixes", "blocking_rules", "comparisons"):
        if not getattr(settings, key):
            fill[key] = getattr(_defaults(), key)
    if not settings.training.em_blocking_rules:
        fill["training"] = settings.training.model_copy(
            update={"em_blocking_rules": _defaults().training.em_blocking_rules})
    return settings.model_copy(update=fill) if fill else settings
