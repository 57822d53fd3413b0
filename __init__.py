"""mpg: count multi-problem families (multiprobleemgezinnen) and estimate how many there are.

The repository's top-level folders are the subpackages of this one namespace (see
pyproject.toml): `mpg.pipeline`, `mpg.sources`, `mpg.linkage`, `mpg.rules`, `mpg.reports`,
`mpg.data_fixtures` and the command `mpg.cli`. Nothing else is installed.
"""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mpg-count")
except PackageNotFoundError:  # a checkout that was never installed
    __version__ = "0+unknown"
