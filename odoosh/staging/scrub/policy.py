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

Resolution keeps each file narrow, so that a rule never reaches further than its author
expected, and lets a later file change only what it names:

- Inside one file, the single most specific table entry applies (an exact name beats any
  glob, a longer glob beats a shorter one), and inside it the most specific column entry. So
  the default file listing a table by name means its unlisted PII columns stay unclassified
  (and fail the coverage gate) even when one of the default's globs would have matched them.
- Files are layered in order (the default first, then ODOOSH_SCRUB_POLICY's files). For
  `table.column` the last file whose applicable table entry classifies the column decides;
  a file whose entry does not mention the column leaves it to the earlier files, whichever of
  their entries (exact or glob) applies there. So a user file naming one column of a table
  the default covers through a glob keeps the default's rules for the other columns, and a
  later file's glob decides the columns it names in every table it matches, also where an
  earlier file has an exact entry.
- A table-level strategy (`table: keep` or `table: delete_rows`) replaces what earlier files
  said about the table: nothing earlier is consulted for it. A later file's column mapping in
  turn replaces an earlier `delete_rows` (the rows are then kept, and only the columns that
  file and files after it name are classified) but merges with an earlier `keep`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
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
    # false: the column copies values that are fingerprinted where they come from (a record's
    # display name), so its own values are not looked for elsewhere.
    "fingerprint": bool,
}
_IDENTIFIER_GLOB = re.compile(r"^[a-z0-9_*?]+$")


class PolicyError(ValueError):
    """A policy file is invalid; the message names the file and the entry."""


@dataclass(frozen=True)
class Rule:
    strategy: str
    company_if: str | None = None
    unique: bool = False
    fingerprint: bool = True
    source: str = ""  # "file: table.column", for messages


@dataclass
class Entry:
    """One file's rules for one table pattern: a table-level rule or column rules."""

    columns: dict[str, Rule] = field(default_factory=dict)  # column pattern -> Rule
    table_rule: Rule | None = None  # `table: keep` or `table: delete_rows`


@dataclass
class Policy:
    """The files' entries, one layer per file in load order: [{table pattern: Entry}]."""

    layers: list[dict[str, Entry]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def entries(self, table: str) -> list[Entry]:
        """The entries that apply to `table`, latest file first: each file's most specific one,
        down to the latest table-level rule (which replaces everything before it). An earlier
        `delete_rows` after which a later file gave column rules is left out."""
        found: list[Entry] = []
        for layer in reversed(self.layers):
            pattern = _most_specific(layer, table)
            if pattern is None:
                continue
            entry = layer[pattern]
            if entry.table_rule is not None:
                if not (found and entry.table_rule.strategy == "delete_rows"):
                    found.append(entry)
                break
            found.append(entry)
        return found

    def rule(self, table: str, column: str) -> Rule | None:
        """The rule for `table.column`, or None if the policy does not classify it."""
        for entry in self.entries(table):
            if entry.table_rule is not None:
                return entry.table_rule
            pattern = _most_specific(entry.columns, column)
            if pattern is not None:
                return entry.columns[pattern]
        return None

    def deletes(self, table: str) -> bool:
        """True if every row of `table` is deleted (a table-level `delete_rows`)."""
        entries = self.entries(table)
        return bool(entries) and entries[0].table_rule is not None and entries[0].table_rule.strategy == "delete_rows"


def redacting(columns: Iterable[str], source: str) -> Policy:
    """A policy that redacts exactly `columns` (`table.column`) and touches nothing else."""
    layer: dict[str, Entry] = {}
    for qualified in columns:
        table, _, column = qualified.partition(".")
        layer.setdefault(table, Entry()).columns[column] = Rule("redact", source=f"{source}: {qualified}")
    return Policy(layers=[layer])


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
    layer: dict[str, Entry] = {}
    for table, body in document.items():
        if isinstance(table, str) and table.startswith("."):
            continue  # a YAML anchor holder, e.g. `.seo: &seo {...}`
        where = f"{path}: {table}"
        _check_name(table, where)
        if isinstance(body, str):
            if body not in TABLE_STRATEGIES:
                raise PolicyError(
                    f"{where}: table-level strategy must be one of {sorted(TABLE_STRATEGIES)}, not {body!r}"
                )
            layer[table] = Entry(table_rule=Rule(body, source=where))
        elif isinstance(body, dict):
            layer[table] = Entry({column: _rule(spec, f"{where}.{column}", column) for column, spec in body.items()})
        else:
            raise PolicyError(f"{where}: expected a strategy or a mapping of columns, got {type(body).__name__}")
    policy.layers.append(layer)
    policy.files.append(path)


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
