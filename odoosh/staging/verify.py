"""The gates a scrubbed quarantine must pass before anything leaves it."""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from odoosh.staging import neutralize
from odoosh.staging.scrub import coverage, leaks
from odoosh.staging.scrub.policy import Policy


@dataclass(frozen=True)
class Gates:
    """What the verification found; the dump is published only if `passed`."""

    unclassified_columns: list[str]
    leaks: dict[str, int]
    neutralization_failures: list[str]
    # Kept columns in which production values were found, and redacted in the same run: no
    # longer leaks, but the policy should say so (matches before the redaction).
    redacted: dict[str, int] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not (self.unclassified_columns or self.leaks or self.neutralization_failures)


def kept_leaks(policy: Policy, found: dict[str, int]) -> list[str]:
    """The leaking columns the policy keeps as they are (`keep`, or no rule): company data in
    which people's details were written. Redacting them loses no company data; a leak in a
    column the policy already scrubs is not redacted away, it refuses the refresh."""
    kept = []
    for qualified in found:
        table, _, column = qualified.partition(".")
        rule = policy.rule(table, column)
        if rule is None or rule.strategy == "keep":
            kept.append(qualified)
    return sorted(kept)


def verify(
    conn: psycopg.Connection,
    dsn: str,
    policy: Policy,
    *,
    salt: str,
    jobs: int,
    base_url: str,
    smtp_host: str,
    smtp_port: int,
) -> Gates:
    """Run every gate on the quarantine database (`conn` and `dsn` reach it)."""
    return Gates(
        unclassified_columns=coverage.unclassified_columns(conn, policy),
        leaks=leaks.find_leaks(dsn, salt, jobs=jobs),
        neutralization_failures=neutralize.verify_neutralized(
            conn, base_url=base_url, smtp_host=smtp_host, smtp_port=smtp_port
        ),
    )


# A strategy to suggest for a column, from the words of its name (first match wins); a column
# whose name says nothing gets `redact` (kept wording, personal values replaced) if it leaked,
# else `fake_text`.
_SUGGESTIONS = (
    ("email", "fake_email"),
    ("phone", "fake_phone"),
    ("mobile", "fake_phone"),
    ("fax", "fake_phone"),
    ("street", "fake_street"),
    ("street2", "null"),
    ("address", "fake_street"),
    ("city", "fake_city"),
    ("zip", "fake_zip"),
    ("password", "password"),
    ("token", "null"),
    ("secret", "null"),
    ("key", "null"),
    ("name", "fake_name"),
    ("vat", "hash"),
    ("iban", "hash"),
    ("acc", "hash"),
    ("ssn", "hash"),
    ("passport", "hash"),
    ("identification", "hash"),
)


def suggested_strategy(column: str, leaked: bool) -> str:
    words = column.lower().split("_")
    for word, strategy in _SUGGESTIONS:
        if word in words:
            return strategy
    return "redact" if leaked else "fake_text"


def policy_lines(strategies: dict[str, str]) -> str:
    """Policy YAML for `{table.column: strategy}`, one entry per table."""
    by_table: dict[str, list[str]] = {}
    for qualified, strategy in sorted(strategies.items()):
        table, _, column = qualified.partition(".")
        by_table.setdefault(table, []).append(f"  {column}: {strategy}")
    return "\n".join(line for table, lines in by_table.items() for line in (f"{table}:", *lines))


def redact_lines(columns: list[str]) -> str:
    """The policy lines that make the redaction of `columns` the policy's own choice."""
    return policy_lines(dict.fromkeys(columns, "redact"))


def suggested_policy(gates: Gates) -> str:
    """Policy lines that would classify every column the gates named."""
    unclassified = {
        name: suggested_strategy(name.partition(".")[2], leaked=False) for name in gates.unclassified_columns
    }
    leaked = {name: suggested_strategy(name.partition(".")[2], leaked=True) for name in gates.leaks}
    return policy_lines(unclassified | leaked)


def explain(gates: Gates, shown: int = 20) -> str:
    """Why the gates refused, in words a person acts on: the first line says what happened, the
    next name the columns (counts only, never values) and the policy lines that fix them."""
    refused = [
        f"{len(gates.unclassified_columns)} unclassified column(s)" if gates.unclassified_columns else "",
        f"production values in {len(gates.leaks)} column(s)" if gates.leaks else "",
        f"{len(gates.neutralization_failures)} neutralization fact(s) broken" if gates.neutralization_failures else "",
    ]
    lines = [
        f"The PII gates refused the scrubbed dump ({', '.join(r for r in refused if r)}): nothing was "
        "published and staging is unchanged."
    ]
    if gates.unclassified_columns:
        names = ", ".join(gates.unclassified_columns[:shown])
        lines.append(f"pii_coverage: columns that look personal and that the policy does not classify: {names}")
    if gates.leaks:
        top = sorted(gates.leaks.items(), key=lambda item: -item[1])[:shown]
        lines.append("pii_leak: production values found in " + ", ".join(f"{c} ({n})" for c, n in top))
    if gates.neutralization_failures:
        lines.append("neutralized: " + "; ".join(gates.neutralization_failures))
    if gates.unclassified_columns or gates.leaks:
        lines.append(
            "Add to a policy file of yours (ODOOSH_SCRUB_POLICY; check each strategy), then "
            "materialize scrubbed_dump again:"
        )
        lines.append(suggested_policy(gates))
    return "\n".join(lines)
