"""The scrub policy: which strategy applies to which `table.column`.

A policy file is YAML mapping a table name or glob to either a table-level strategy
(`delete_rows`, or `keep` for "every column is safe") or a mapping of column name or glob to
a strategy, written as a string or as `{strategy: ..., <option>: ...}`:

    res_users_apikeys: delete_rows
    res_partner:
      name: {strategy: fake_name, company_if: is_company}
      email: fake_email
    "ir_*": keep

Top-level keys starting with '.' are ignored: they hold YAML anchors for repeated groups.
`column: null` (YAML's null) means the `null` strategy.

Resolution is deliberately narrow so that a rule never reaches further than its author
expected: the single most specific table entry applies (an exact name beats any glob, a
longer glob beats a shorter one), and inside it the most specific column entry. So listing a
table by name means its unlisted PII columns stay unclassified (and fail the coverage gate)
even when some glob would have matched them. Files are merged in order: a later file
overrides an earlier one column by column.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_POLICY = Path(__file__).with_name("default_policy.yaml")

# Strategies a column can have; what each does is in strategies.py.
COLUMN_STRATEGIES = frozenset(
    {
        "keep",
        "null",
        "hash",
        "redact",
        "fake_text",
        "fake_name",
        "fake_company",
        "fake_email",
        "fake_phone",
        "fake_street",
        "fake_city",
        "fake_zip",
        "password",
        "recompute",
    }
)
TABLE_STRATEGIES = frozenset({"keep", "delete_rows"})
OPTIONS = {
    # Use fake_company instead of fake_name on rows where this boolean column is true.
    "company_if": str,
    # The column has a UNIQUE constraint (created after the scrub): collisions of fake values
    # are made unique by appending the row id.
    "unique": bool,
}
_IDENTIFIER_GLOB = re.compile(r"^[a-z0-9_*?]+$")


class PolicyError(ValueError):
    """A policy file is invalid; the message names the file and the entry."""


@dataclass(frozen=True)
class Rule:
    strategy: str
    company_if: str | None = None
    unique: bool = False
    source: str = ""  # "file: table.column", for messages


@dataclass
class Policy:
    """Merged policy entries: {table pattern: {column pattern: Rule}}; '*' holds table-level rules."""

    tables: dict[str, dict[str, Rule]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    def table_entry(self, table: str) -> dict[str, Rule] | None:
        pattern = _most_specific(self.tables, table)
        return None if pattern is None else self.tables[pattern]

    def rule(self, table: str, column: str) -> Rule | None:
        """The rule for `table.column`, or None if the policy does not classify it."""
        entry = self.table_entry(table)
        if entry is None:
            return None
        pattern = _most_specific(entry, column)
        return None if pattern is None else entry[pattern]

    def deletes(self, table: str) -> bool:
        """True if every row of `table` is deleted (a table-level `delete_rows`)."""
        return _deletes(self.table_entry(table) or {})


def _most_specific(patterns: dict[str, object], name: str) -> str | None:
    """The matching pattern that is exact, else the matching glob with the most literal characters."""
    if name in patterns:
        return name
    globs = [p for p in patterns if any(c in p for c in "*?") and fnmatch.fnmatchcase(name, p)]
    return max(globs, key=lambda p: (len(p.replace("*", "").replace("?", "")), p), default=None)


def load_policy(extra_paths: Sequence[Path] = ()) -> Policy:
    """The shipped default policy, overridden by `extra_paths` in order."""
    policy = Policy()
    for path in [DEFAULT_POLICY, *map(Path, extra_paths)]:
        _merge(policy, path)
    return policy


def _merge(policy: Policy, path: Path) -> None:
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"{path}: cannot read the policy: {exc}") from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise PolicyError(f"{path}: a policy is a mapping of table names to rules")
    for table, body in document.items():
        if isinstance(table, str) and table.startswith("."):
            continue  # a YAML anchor holder, e.g. `.seo: &seo {...}`
        where = f"{path}: {table}"
        _check_name(table, where)
        columns = policy.tables.setdefault(table, {})
        if isinstance(body, str):
            if body not in TABLE_STRATEGIES:
                raise PolicyError(
                    f"{where}: table-level strategy must be one of {sorted(TABLE_STRATEGIES)}, not {body!r}"
                )
            columns.clear()  # a table-level rule replaces what earlier files said about the table
            columns["*"] = Rule(body, source=where)
        elif isinstance(body, dict):
            if _deletes(columns):  # a column mapping replaces an earlier delete_rows
                columns.clear()
            for column, spec in body.items():
                columns[column] = _rule(spec, f"{where}.{column}", column)
        else:
            raise PolicyError(f"{where}: expected a strategy or a mapping of columns, got {type(body).__name__}")
    policy.files.append(path)


def _deletes(columns: dict[str, Rule]) -> bool:
    rule = columns.get("*")
    return rule is not None and rule.strategy == "delete_rows"


def _rule(spec: object, where: str, column: object) -> Rule:
    _check_name(column, where)
    if spec is None:  # YAML reads `column: null` as None
        spec = "null"
    if isinstance(spec, str):
        spec = {"strategy": spec}
    if not isinstance(spec, dict) or "strategy" not in spec:
        raise PolicyError(f"{where}: expected a strategy name or a mapping with 'strategy'")
    strategy = spec["strategy"]
    if strategy not in COLUMN_STRATEGIES:
        raise PolicyError(f"{where}: unknown strategy {strategy!r}; choose one of {sorted(COLUMN_STRATEGIES)}")
    options = {k: v for k, v in spec.items() if k != "strategy"}
    for key, value in options.items():
        if key not in OPTIONS:
            raise PolicyError(f"{where}: unknown option {key!r}; options are {sorted(OPTIONS)}")
        if not isinstance(value, OPTIONS[key]):
            raise PolicyError(f"{where}: option {key!r} must be a {OPTIONS[key].__name__}")
    if "company_if" in options:
        if strategy != "fake_name":
            raise PolicyError(f"{where}: 'company_if' only applies to fake_name")
        _check_name(options["company_if"], f"{where}.company_if", glob=False)
    return Rule(strategy, source=where, **options)


def _check_name(name: object, where: str, glob: bool = True) -> None:
    """Names become SQL identifiers (quoted) or globs; keep them to Odoo's identifier alphabet."""
    if not isinstance(name, str) or not _IDENTIFIER_GLOB.match(name) or (not glob and "*" in name):
        raise PolicyError(
            f"{where}: {name!r} is not a table/column name or glob (lowercase letters, digits, _, * and ?)"
        )
