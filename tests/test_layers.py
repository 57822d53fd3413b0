"""The layers of ARCHITECTURE.md: a bottom layer everyone may import, the stages in the
middle, orchestration on top; no module imports upward, and the fixtures' oracle imports
nothing of the product it checks. Read from the source (every import, also inside
functions), so a lazy import cannot hide a dependency."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("pipeline", "sources", "linkage", "rules", "reports", "data_fixtures")

BASE = {"mpg", "mpg.pipeline.errors", "mpg.pipeline.config", "mpg.pipeline.contracts",
        "mpg.pipeline.sql", "mpg.pipeline.keys", "mpg.pipeline.context", "mpg.pipeline.stage",
        "mpg.pipeline.folders",
        "mpg.pipeline.mse"}
ORCHESTRATION = {"mpg.cli", "mpg.pipeline", "mpg.pipeline.api", "mpg.pipeline.runner",
                 "mpg.pipeline.stages", "mpg.linkage.tune"}
# What policy staff read is made from OUT alone: these modules use the bottom layer only.
PUBLICATION = {"mpg.reports.publish", "mpg.reports.compare", "mpg.reports.model",
               "mpg.reports.labels", "mpg.reports.charts", "mpg.reports.page",
               "mpg.reports.workbook", "mpg.reports.disclosure", "mpg.reports.console"}


def modules() -> dict[str, Path]:
    found = {"mpg": REPO / "__init__.py", "mpg.cli": REPO / "cli.py"}
    for package in PACKAGES:
        for path in sorted((REPO / package).glob("*.py")):
            name = f"mpg.{package}" if path.stem == "__init__" else f"mpg.{package}.{path.stem}"
            found[name] = path
    return found


def imports(path: Path) -> set[str]:
    """The project's modules `path` imports: `from mpg.pipeline import sql` is mpg.pipeline.sql
    (the package's __init__ only names its lazy entry points)."""
    known, out = modules(), set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mpg"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                out.add(sub if sub in known else node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("mpg"))
    return {m for m in out if m in known}


def layer(name: str) -> str:
    if name in BASE:
        return "base"
    if name in ORCHESTRATION or name.startswith("mpg.data_fixtures"):
        return "orchestration"
    if name in PUBLICATION:
        return "publication"
    return "stage"


ALLOWED = {"base": {"base"}, "stage": {"base", "stage"}, "publication": {"base", "publication"},
           "orchestration": {"base", "stage", "publication", "orchestration"}}


@pytest.mark.parametrize("name", sorted(modules()))
def test_no_module_imports_a_layer_above_its_own(name):
    wrong = sorted(m for m in imports(modules()[name]) if layer(m) not in ALLOWED[layer(name)])
    assert not wrong, f"{name} ({layer(name)}) imports {wrong}"


def test_the_oracle_and_the_generator_import_nothing_of_the_product():
    for name, path in modules().items():
        if name.startswith("mpg.data_fixtures"):
            product = sorted(m for m in imports(path) if not m.startswith("mpg.data_fixtures"))
            assert not product, f"{name} imports {product}"


def test_every_module_is_in_a_layer_the_architecture_names():
    text = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for name, path in modules().items():
        if path.name in ("__init__.py", "cli.py"):
            continue
        short = name.removeprefix("mpg.").replace(".", "/") + ".py"
        folder = short.split("/")[0] + "/*"  # a folder named as a whole (data_fixtures/*)
        assert short in text or folder in text, f"ARCHITECTURE.md does not mention {short}"
