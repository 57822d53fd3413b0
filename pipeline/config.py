"""Every configuration schema of the tool, validated at this one point.

The manifest (`delivery.toml`), the rule set (`rules/*.toml`) and the linkage settings
(`linkage/*.toml`) are read only through `load_manifest`, `load_rules` and `load_linkage`.
A validation problem becomes a `ConfigError` that names the file, the key and how to fix
it. Loaded objects are frozen; derived values are properties, never stored twice.
"""
from __future__ import annotations

import datetime as dt
import tomllib
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (BaseModel, ConfigDict, Field, Strict, ValidationError, ValidationInfo,
                      field_validator, model_validator)

from mpg.pipeline.errors import ConfigError

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RULES = PACKAGE_ROOT / "rules" / "default.toml"
DEFAULT_LINKAGE = PACKAGE_ROOT / "linkage" / "default.toml"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AgencyCode(str, Enum):
    MJD = "MJD"
    GELDZORG = "GELDZORG"
    JEUGDZORG_TOEGANG = "JEUGDZORG_TOEGANG"
    JEUGDZORG_VOOGDIJ = "JEUGDZORG_VOOGDIJ"
    JEUGDZORG_RECLASSERING = "JEUGDZORG_RECLASSERING"
    ZAR = "ZAR"
    WOONKANS = "WOONKANS"
    OGGZ = "OGGZ"
    BIB = "BIB"
    ZORGNETWERK = "ZORGNETWERK"
    BIJSTAND = "BIJSTAND"
    # Optional signal sources (delivery.md): under the default rules they select no
    # household; a rule set may use them.
    HUURACHTERSTAND = "HUURACHTERSTAND"
    OVERLAST = "OVERLAST"
    LEERPLICHT = "LEERPLICHT"
    HUISELIJK_GEWELD = "HUISELIJK_GEWELD"


# Canonical fields (delivery.md); the order is the order of the canonical tables.
PERSON_FIELDS = ("person_id", "bsn", "surname", "prefix", "given_names", "birth_date", "sex",
                 "origin", "mother_id", "father_id")
PERSON_REQUIRED = ("person_id",)
RESIDENCE_FIELDS = ("person_id", "address_id", "postcode", "house_number",
                    "house_number_addition", "street", "city", "neighbourhood_code",
                    "start_date", "end_date")
RESIDENCE_REQUIRED = ("person_id", "address_id", "neighbourhood_code", "start_date")
NEIGHBOURHOOD_FIELDS = ("neighbourhood_code", "neighbourhood_name")
NEIGHBOURHOOD_REQUIRED = ("neighbourhood_code",)
RECORD_FIELDS = ("record_id", "client_id", "bsn", "surname", "prefix", "given_names",
                 "birth_date", "sex", "postcode", "house_number", "house_number_addition",
                 "contact_date", "end_date", "neighbourhood_code")
RECORD_REQUIRED = ("record_id", "contact_date")


def _check_columns(value: dict[str, str], allowed: tuple[str, ...]) -> dict[str, str]:
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise ValueError(
            f"unknown canonical field(s) {', '.join(unknown)}; the fields you can map are: "
            f"{', '.join(allowed)}")
    return value


class RunSection(Frozen):
    name: str
    reference_date: dt.date
    window_start: dt.date
    window_end: dt.date

    @model_validator(mode="after")
    def _window_in_order(self) -> "RunSection":
        if self.window_start > self.window_end:
            raise ValueError("window_start must be on or before window_end")
        return self


class RegisterSection(Frozen):
    persons: str
    residences: str
    neighbourhoods: str | None = None
    persons_columns: dict[str, str] = Field(default_factory=dict)
    residences_columns: dict[str, str] = Field(default_factory=dict)
    neighbourhoods_columns: dict[str, str] = Field(default_factory=dict)

    @field_validator("persons_columns", "residences_columns", "neighbourhoods_columns")
    @classmethod
    def _known_fields(cls, v: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        allowed = {"persons_columns": PERSON_FIELDS, "residences_columns": RESIDENCE_FIELDS,
                   "neighbourhoods_columns": NEIGHBOURHOOD_FIELDS}[info.field_name]
        return _check_columns(v, allowed)


class SourceSection(Frozen):
    agency: AgencyCode
    path: str
    delimiter: str = ","
    encoding: str = "utf-8"
    date_format: str = "%Y-%m-%d"
    sheet: str | None = None  # xlsx only; default the first sheet
    columns: dict[str, str] = Field(default_factory=dict)

    @field_validator("columns")
    @classmethod
    def _columns(cls, v: dict[str, str]) -> dict[str, str]:
        return _check_columns(v, RECORD_FIELDS)

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, v: str) -> str:
        if len(v) != 1:
            raise ValueError('the delimiter must be one character, such as ";" or "\\t"')
        return v

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str) -> str:
        import codecs
        try:
            codecs.lookup(v)
        except LookupError:
            raise ValueError(f"unknown encoding {v!r}; use for example utf-8 or cp1252") from None
        return v

    @field_validator("date_format")
    @classmethod
    def _has_directives(cls, v: str) -> str:
        if "%" not in v:
            raise ValueError('a date format needs directives such as "%d-%m-%Y"')
        return v

    def column(self, field: str) -> str:
        """The file's column name for a canonical field (unmapped = same name)."""
        return self.columns.get(field, field)


class Manifest(Frozen):
    run: RunSection
    population_register: RegisterSection = Field(alias="register")
    source: tuple[SourceSection, ...] = Field(default=())
    folder: Path  # the manifest's folder; paths in the manifest are relative to it

    def resolve(self, relative: str) -> Path:
        return (self.folder / relative).resolve()

    @model_validator(mode="after")
    def _paths_stay_in_the_delivery(self) -> "Manifest":
        """delivery.md: paths are relative to the manifest's folder. A path that leaves it
        (an absolute path, ../, a symbolic link to elsewhere) could read any file of the
        machine into a run, so it is refused, naming the key."""
        reg = self.population_register
        keys = [("register.persons", reg.persons), ("register.residences", reg.residences)]
        if reg.neighbourhoods:
            keys.append(("register.neighbourhoods", reg.neighbourhoods))
        keys += [(f"[[source]] number {i} (agency {s.agency.value}) path", s.path)
                 for i, s in enumerate(self.source, start=1)]
        folder = self.folder.resolve()
        for key, value in keys:
            try:
                target = self.resolve(value)
            except (ValueError, OSError):  # a NUL character, a path the OS cannot hold
                raise ValueError(f"{key} = {value!r} is not a usable path") from None
            if Path(value).is_absolute() or folder not in target.parents:
                raise ValueError(
                    f"{key} = {value!r} points outside the delivery folder {folder}; paths "
                    "in the manifest are relative to its folder and stay inside it (no "
                    "absolute paths, no ../, no links to elsewhere): copy the file into the "
                    "delivery")
        return self


# Names an analyst gives in the rules file (agencies, categories). They become keys of
# summary.json ("GELDZORG+MJD"), column names and labels: letters, digits, _ and -, no
# quotes or "+", so no name can be mistaken for SQL or for a combination of names.
NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,39}$"
NAME_RULE = ("start with a letter and use only letters, digits, _ and - (at most 40), "
             "for example JEUGDZORG or Team_Noord")


def check_name(name: str, what: str) -> str:
    import re

    if not isinstance(name, str) or not re.fullmatch(NAME_PATTERN, name):
        raise ValueError(f"the {what} name {name!r} cannot be used; a name must {NAME_RULE}")
    return name


Count = Annotated[int, Strict()]  # a number in the file, never `true` read as 1


class AgencyRule(Frozen):
    sources: tuple[AgencyCode, ...] = Field(min_length=1)
    min_records: Count = Field(1, ge=1)


class Label(Frozen):
    """A text for policy staff, in each language of the publication."""

    nl: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def text(self, lang: str, **values: Any) -> str:
        return getattr(self, lang).format(**values)


# Columns of neighbourhoods.csv that a category's column (its name in lower case) may not be.
FIXED_COLUMNS = ("neighbourhood_code", "neighbourhood_name", "family_households", "mpg_total",
                 "share_of_family_households", "share_of_mpg")


class Category(Frozen):
    """One selection rule: a family household that meets `condition` (every clause given)
    and no earlier category's gets this one."""

    name: str
    label: Label  # may use {min_agencies}
    short: Label | None = None  # for charts and table headers; default the name
    description: Label | None = None  # the rule in one sentence, for the method text
    # a record in the window at one of these sources (at least min_records of them) ...
    sources: tuple[AgencyCode, ...] = ()
    min_records: Count = Field(1, ge=1)
    # ... and/or known at this many of the agencies of [agencies]
    min_agencies: Count | None = Field(None, ge=1)
    # in the profile of the counted families (household types, children, bijstand)
    profiled: bool = False

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        check_name(v, "category")
        if v.lower() in FIXED_COLUMNS:
            raise ValueError(f"the category name {v!r} is a column of neighbourhoods.csv "
                             "already; choose another name")
        return v

    @model_validator(mode="after")
    def _has_condition(self) -> "Category":
        if not self.sources and self.min_agencies is None:
            raise ValueError(f"category {self.name} has no condition; give `sources` "
                             "(records at these sources) or `min_agencies` (known at this "
                             "many agencies), or both")
        return self

    @property
    def column(self) -> str:
        """Its column in neighbourhoods.csv."""
        return self.name.lower()

    def label_text(self, lang: str) -> str:
        return self.label.text(lang, min_agencies=self.min_agencies)

    def short_text(self, lang: str) -> str:
        return self.short.text(lang) if self.short else self.name


AGENCY_LIST_PREFIX = "agency:"  # an estimate list "agency:MJD": known at that agency
HOUSEHOLD_TYPE_STRATA = "household_type"
ESTIMATE_CRITERIA = ("auto", "AIC", "BIC", "p-value")  # those of pipeline/mse.py


class EstimateRules(Frozen):
    """[estimate]: the prevalence estimate (multiple-systems estimation, pipeline/mse.py) on
    capture lists of the family households; rules/default.toml explains every key."""

    enabled: bool = True
    # Category names of [[categories]] (the category's condition, before precedence) and/or
    # "agency:NAME" for an agency of [agencies] (known there: its records count).
    # None (the key left out): every category, in precedence order.
    lists: tuple[str, ...] | None = None
    criterion: Literal["auto", "AIC", "BIC", "p-value"] = "auto"
    bootstrap: Count = Field(499, ge=0, le=100_000)
    seed: Count = Field(2004, ge=0)
    # None; "household_type"; or neighbourhood groups: group name -> neighbourhood codes.
    strata: Literal["household_type"] | dict[str, tuple[str, ...]] | None = None
    # Plausible link configurations drawn from the probabilistic pass (0: linkage off).
    linkage_draws: Count = Field(50, ge=0, le=1000)
    # A stratum is estimated on its own when each list and each two lists' overlap hold at
    # least this many of its families.
    min_cell: Count = Field(5, ge=1)

    @field_validator("criterion", mode="before")
    @classmethod
    def _criterion(cls, v: Any) -> Any:
        names = {c.lower(): c for c in ESTIMATE_CRITERIA} | {"pvalue": "p-value"}
        return names.get(v.strip().lower(), v) if isinstance(v, str) else v

    @field_validator("lists")
    @classmethod
    def _list_names(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if v is None:
            return v
        if len(v) < 2:
            raise ValueError(f"give at least two lists (found {len(v)}): capture-recapture "
                             "needs two or more lists to see how many families none shows")
        doubles = sorted({n for n in v if v.count(n) > 1})
        if doubles:
            raise ValueError(f"the list(s) {', '.join(doubles)} appear twice; name each once")
        return v

    @field_validator("strata", mode="before")
    @classmethod
    def _strata(cls, v: Any) -> Any:
        if isinstance(v, str) and v != HOUSEHOLD_TYPE_STRATA:
            raise ValueError(f"strata = {v!r} is not known; write strata = "
                             f"\"{HOUSEHOLD_TYPE_STRATA}\", or a table [estimate.strata] of "
                             "neighbourhood groups (Noord = [\"WK01\", \"WK02\"]), or leave it out")
        if isinstance(v, dict):
            seen: dict[str, str] = {}
            groups = {}
            for group, codes in v.items():
                check_name(group, "stratum")
                if not isinstance(codes, (list, tuple)) or not codes or not all(
                        isinstance(c, str) and c.strip() for c in codes):
                    raise ValueError(f"stratum {group}: give a list of neighbourhood codes, "
                                     "such as [\"WK01\", \"WK02\"]")
                # written as standardise writes the register's codes (trimmed, upper case)
                normalised = tuple(c.strip().upper() for c in codes)
                for code in normalised:
                    if code in seen:
                        raise ValueError(f"neighbourhood {code} is in both stratum "
                                         f"{seen[code]} and {group}; put it in one")
                    seen[code] = group
                groups[group] = normalised
            if len(groups) < 1:
                raise ValueError("[estimate.strata] is empty; give neighbourhood groups or "
                                 "leave it out")
            return groups
        return v


class AgesServed(Frozen):
    """The ages (whole years on the contact date, both ends included) an agency serves:
    linkage weighs a register person outside them strongly against, never rules them out."""

    min_age: Count | None = Field(None, ge=0, le=120)
    max_age: Count | None = Field(None, ge=0, le=120)

    @model_validator(mode="after")
    def _a_range(self) -> "AgesServed":
        if self.min_age is None and self.max_age is None:
            raise ValueError("give min_age, max_age or both (ages on the contact date)")
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError("min_age must not be above max_age")
        return self


class Rules(Frozen):
    """The selection rules of definitions.md, as data an analyst can edit."""

    adult_age: Count = Field(18, ge=1, le=120)
    # In order of precedence: each family household gets the first category it meets.
    categories: tuple[Category, ...] = Field(min_length=1)
    bijstand_sources: tuple[AgencyCode, ...] = (AgencyCode.BIJSTAND,)
    agencies: dict[str, AgencyRule]
    min_cell: Count = Field(5, ge=1)  # disclosure control for everything published
    # A file with more than this share of its rows rejected stops the run (and validate).
    max_reject_share: float = Field(0.5, ge=0, le=1)
    rounding_base: Count = Field(0, ge=0)  # 0 = no rounding
    estimate: EstimateRules = Field(default_factory=EstimateRules)
    # Per source: the ages it serves (ZAR pupils, Jeugdzorg minors, OGGz adults); none = any.
    ages_served: dict[AgencyCode, AgesServed] = Field(default_factory=dict)

    @field_validator("agencies")
    @classmethod
    def _agency_names(cls, v: dict[str, AgencyRule]) -> dict[str, AgencyRule]:
        for name in v:
            check_name(name, "agency")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> "Rules":
        names = [c.name for c in self.categories]
        doubles = sorted({n for n in names if names.count(n) > 1})
        columns = [c.column for c in self.categories]
        if doubles or len(set(columns)) != len(columns):
            raise ValueError(f"categories: every category needs its own name (written in "
                             f"upper and lower case alike); {', '.join(doubles) or 'two'} "
                             "appear twice")
        seen: dict[str, str] = {}
        for name, rule in self.agencies.items():
            for code in rule.sources:
                if code.value in seen:
                    raise ValueError(f"source {code.value} is listed under both "
                                     f"{seen[code.value]} and {name}; list it under one agency")
                seen[code.value] = name
        for category in self.categories:
            if category.min_agencies is not None and category.min_agencies > len(self.agencies):
                raise ValueError(f"category {category.name}: min_agencies is "
                                 f"{category.min_agencies} but only {len(self.agencies)} "
                                 "agencies are listed under [agencies]")
        allowed = [c.name for c in self.categories] + [AGENCY_LIST_PREFIX + a
                                                       for a in self.agencies]
        unknown = [n for n in (self.estimate.lists or ()) if n not in allowed]
        if unknown:
            raise ValueError(f"estimate.lists: {', '.join(repr(n) for n in unknown)} is neither "
                             "a category of [[categories]] nor an agency of [agencies] written "
                             f"as \"{AGENCY_LIST_PREFIX}NAME\"; the lists you can use are: "
                             f"{', '.join(allowed)}")
        return self

    @property
    def estimate_lists(self) -> tuple[str, ...]:
        """The capture lists of the estimate ([estimate] lists; default every category)."""
        return self.estimate.lists or tuple(c.name for c in self.categories)

    def category(self, name: str) -> Category | None:
        return next((c for c in self.categories if c.name == name), None)

    @property
    def profiled(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.categories if c.profiled)


class SplinkLevel(Frozen):
    """One comparison level in Splink's own settings format (as in a saved model)."""

    sql_condition: str
    label_for_charts: str | None = None
    is_null_level: bool = False
    m_probability: float | None = Field(None, gt=0, le=1)  # the prior (or trained) m
    u_probability: float | None = Field(None, gt=0, le=1)
    tf_adjustment_column: str | None = None
    tf_adjustment_weight: float | None = Field(None, ge=0, le=1)
    tf_minimum_u_value: float | None = Field(None, ge=0, le=1)
    disable_tf_exact_match_detection: bool | None = None
    # Keep the prior m in training (EM): for a rare level whose m EM cannot learn from the
    # delivery (it would drift to ~0 and veto a link on one clerical slip).
    fix_m_probability: bool = False
    fix_u_probability: bool = False

    @model_validator(mode="after")
    def _priors(self) -> "SplinkLevel":
        if not self.is_null_level and (self.m_probability is None or self.u_probability is None):
            raise ValueError("every level except the null level needs m_probability and "
                             "u_probability (the priors)")
        return self


class SplinkComparison(Frozen):
    output_column_name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    comparison_description: str = ""
    comparison_levels: tuple[SplinkLevel, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _ends_with_else(self) -> "SplinkComparison":
        conditions = [level.sql_condition.strip().upper() for level in self.comparison_levels]
        if conditions[-1] != "ELSE" or "ELSE" in conditions[:-1]:
            raise ValueError(f"comparison {self.output_column_name}: the last level, and only "
                             'the last, must have sql_condition = "ELSE"')
        return self

    def level(self, label: str) -> SplinkLevel | None:
        return next((lv for lv in self.comparison_levels if lv.label_for_charts == label), None)


class SplinkBlockingRule(Frozen):
    """A record-person pair is scored when it agrees on `blocking_rule` (l./r. columns);
    `arrays_to_explode` lists array columns to unnest first (an address list)."""

    blocking_rule: str
    arrays_to_explode: tuple[str, ...] = ()
    sql_dialect: Literal["duckdb"] = "duckdb"  # the dialect the SQL is written in


class SplinkSettings(Frozen):
    """Splink's settings (the part of linkage_model.json that describes the model). Keys a
    saved model carries that the run sets itself are accepted and ignored: the prior match
    probability comes from expected_link_rate and the register's size, max_iterations from
    [training]."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    link_type: Literal["link_only"] = "link_only"
    unique_id_column_name: Literal["uid"] = "uid"
    blocking_rules_to_generate_predictions: tuple[SplinkBlockingRule, ...] = Field(min_length=1)
    comparisons: tuple[SplinkComparison, ...] = Field(min_length=1)
    # Carried by a saved model; set by the run (see the class doc).
    probability_two_random_records_match: float | None = None
    em_convergence: float | None = None
    max_iterations: int | None = None
    retain_matching_columns: bool | None = None
    retain_intermediate_calculation_columns: bool | None = None
    additional_columns_to_retain: tuple[str, ...] | None = None
    sql_dialect: Literal["duckdb"] | None = None
    linker_uid: str | None = None
    source_dataset_column_name: str | None = None
    match_weight_column_prefix: str | None = None
    term_frequency_adjustment_column_prefix: str | None = None
    comparison_vector_value_column_prefix: str | None = None

    @model_validator(mode="after")
    def _unique_comparisons(self) -> "SplinkSettings":
        names = [c.output_column_name for c in self.comparisons]
        doubles = sorted({n for n in names if names.count(n) > 1})
        if doubles:
            raise ValueError(f"comparison name(s) {', '.join(doubles)} used twice")
        return self


class PriorSettings(Frozen):
    # u of the `scale_u` levels is for a register of this many persons (see default.toml).
    reference_register_size: int = Field(1_000_000, ge=1)
    scale_u: tuple[str, ...] = ()  # "comparison/label of a level"


class PassesSettings(Frozen):
    review: bool = True  # decisions imported with `mpg review import`
    bsn: bool = True
    name_dob_address: bool = True
    probabilistic: bool = True
    client: bool = True  # the agency's own client number ties a client's records together
    # a record whose plausible candidates all live in one household counts for it
    household: bool = True


class TrainingSettings(Frozen):
    # Below this many records m and u stay at the priors of the comparisons: EM on a
    # small delivery learns noise.
    min_records: int = Field(2000, ge=0)
    u_max_pairs: int = Field(2_000_000, ge=1000)
    em_blocking_rules: tuple[str, ...] = ()
    em_max_iterations: int = Field(25, ge=1)
    em_max_pairs: int = Field(1_000_000, ge=1000)  # pairs sampled for each EM session
    seed: int = 42


class LinkageSettings(Frozen):
    """Linkage settings; owned by linkage/ (see linkage/default.toml, which explains each key).

    Loaded through `load_linkage`, which takes every part a file leaves out from
    linkage/default.toml, so a loaded LinkageSettings is always complete."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    threshold: float = Field(0.9, gt=0, lt=1)
    # How much stronger (match weight, bits = log2 Bayes factor) the best candidate must be
    # than the second best: father and son, twins, common names are not merged.
    min_margin: float = Field(6.0, ge=0)
    # Share of records expected to have their person in the register: with the register
    # size it sets Splink's prior probability that a record-person pair is a match.
    expected_link_rate: float = Field(0.95, gt=0, le=1)
    passes: PassesSettings = Field(default_factory=PassesSettings)
    # Call names and the given names they stand for; a relative path is in linkage/.
    nicknames: str = "nicknames.csv"
    name_prefixes: tuple[str, ...] = Field(min_length=1)
    max_household_adults: int = Field(6, ge=1)  # adults per address used for married names
    training: TrainingSettings = Field(default_factory=TrainingSettings)
    priors: PriorSettings = Field(default_factory=PriorSettings)
    splink: SplinkSettings

    @property
    def nicknames_path(self) -> Path:
        return DEFAULT_LINKAGE.parent / self.nicknames  # an absolute path stays as it is

    @model_validator(mode="after")
    def _scaled_levels_exist(self) -> "LinkageSettings":
        comparisons = {c.output_column_name: c for c in self.splink.comparisons}
        for entry in self.priors.scale_u:
            name, _, label = entry.partition("/")
            comparison = comparisons.get(name.strip())
            if comparison is None or comparison.level(label.strip()) is None:
                raise ValueError(f"priors.scale_u names {entry!r}, but no comparison "
                                 "(output_column_name) has a level with that label_for_charts; "
                                 "write it as \"comparison/label\"")
        if not self.nicknames_path.is_file():
            raise ValueError(f"nicknames: the file {self.nicknames_path} does not exist; give "
                             "the path of a csv of call names (name,group), relative to "
                             f"{DEFAULT_LINKAGE.parent} or absolute")
        return self


M = TypeVar("M", bound=BaseModel)


def _read_toml(path: Path, what: str) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
        # Notepad and Excel save UTF-8 with a byte order mark; TOML itself has none.
        return tomllib.loads(raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist; check the path") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} {path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {path} is not UTF-8 text (byte {exc.start}); save it as "
                          "UTF-8 (in Notepad: Save as, Encoding UTF-8)") from None
    except OSError as exc:
        raise ConfigError(f"{what} {path} cannot be read: {exc.strerror}") from None


def _key(loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    parts: list[str] = []
    node: Any = data
    for item in loc:
        if isinstance(item, int) and parts and parts[-1] == "source":
            parts[-1] = f"[[source]] number {item + 1}"
            if isinstance(node, list) and item < len(node):
                agency = node[item].get("agency") if isinstance(node[item], dict) else None
                if agency:
                    parts[-1] += f" (agency {agency})"
        else:
            parts.append(str(item))
        node = node[item] if isinstance(node, (dict, list)) and _has(node, item) else None
    return ".".join(parts).replace(".[[", " [[").replace(").", ") ")


def _has(node: Any, item: Any) -> bool:
    if isinstance(node, dict):
        return item in node
    return isinstance(item, int) and item < len(node)


def validate(model: type[M], data: dict[str, Any], path: Path, what: str) -> M:
    """The one point where configuration is validated."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key = _key(tuple(x for x in err["loc"] if not str(x).startswith("function-")), data)
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                msg = "this key is required but missing; add it"
            elif err["type"] == "extra_forbidden":
                msg = "this key is not known; check its spelling or remove it"
            elif err["type"] == "enum":
                msg = f"{msg} (you wrote {err['input']!r})"
            elif err["type"].startswith("date"):
                msg = f"not a valid date ({err['input']!r}); write dates as YYYY-MM-DD"
            lines.append(f"  {key or '(top level)'}: {msg}")
        raise ConfigError(f"{what} {path} has {len(lines)} problem(s):\n" + "\n".join(lines)) from None


def manifest_file(path: str | Path) -> Path:
    """The manifest a user means: the file, or a delivery folder's delivery.toml."""
    path = Path(path)
    if path.is_dir():
        if not (path / "delivery.toml").is_file():
            raise ConfigError(f"The folder {path} has no delivery.toml; give the delivery's "
                              "manifest (DELIVERY/delivery.toml) or the folder that holds it")
        return path / "delivery.toml"
    return path


def load_manifest(path: str | Path) -> Manifest:
    """The manifest at `path`; the delivery folder itself stands for its delivery.toml."""
    path = manifest_file(path)
    data = _read_toml(path, "The delivery manifest")
    data = {**data, "folder": str(path.resolve().parent)}
    return validate(Manifest, data, path, "The delivery manifest")


def load_rules(path: str | Path | None = None) -> Rules:
    path = Path(path) if path else DEFAULT_RULES
    return validate(Rules, _read_toml(path, "The rules file"), path, "The rules file")


def load_linkage(path: str | Path | None = None, **overrides: Any) -> LinkageSettings:
    """The linkage settings of `path`, every part it leaves out taken from
    linkage/default.toml (a whole table such as [splink] or [training], or a key).
    `overrides` (top-level keys) are for tests and the bench."""
    defaults = _read_toml(DEFAULT_LINKAGE, "The linkage settings file")
    path = Path(path) if path else DEFAULT_LINKAGE
    data = _read_toml(path, "The linkage settings file") if path != DEFAULT_LINKAGE else {}
    merged = {**defaults, **data, **overrides}
    for table in ("passes", "training", "priors"):
        if isinstance(data.get(table), dict) and isinstance(defaults.get(table), dict):
            merged[table] = {**defaults[table], **data[table]}
    return validate(LinkageSettings, merged, path, "The linkage settings file")
