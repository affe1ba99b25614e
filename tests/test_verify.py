"""A refusal says what happened and which policy lines would fix it, without a single value."""

from odoosh.staging.scrub.policy import load_policy, redacting
from odoosh.staging.verify import Gates, explain, kept_leaks, redact_lines, suggested_strategy


def test_explain_names_columns_counts_and_the_policy_lines():
    gates = Gates(
        unclassified_columns=["res_partner.x_private_email", "x_branch.notes"],
        leaks={"product_template.description": 12, "res_partner.x_private_email": 3},
        neutralization_failures=[],
    )
    text = explain(gates)
    first, *rest = text.splitlines()
    assert first == (
        "The PII gates refused the scrubbed dump (2 unclassified column(s), production values in 2 column(s)): "
        "nothing was published and staging is unchanged."
    )
    assert (
        "pii_leak: production values found in product_template.description (12), res_partner.x_private_email (3)"
        in rest
    )
    policy = text.split("materialize scrubbed_dump again:\n", 1)[1]
    assert policy == (
        "product_template:\n  description: redact\n"
        "res_partner:\n  x_private_email: fake_email\n"
        "x_branch:\n  notes: fake_text"
    )


def test_explain_of_neutralization_alone_suggests_no_policy():
    text = explain(Gates([], {}, ["outgoing mail servers inactive except the catcher: 1 row(s) violate it"]))
    assert "neutralized: outgoing mail servers inactive" in text and "ODOOSH_SCRUB_POLICY" not in text


def test_suggested_strategies_follow_the_words_of_the_name():
    assert [
        suggested_strategy(c, leaked=False)
        for c in ("partner_email", "x_mobile", "private_street", "acc_number", "api_key", "contact_name", "remarks")
    ] == ["fake_email", "fake_phone", "fake_street", "hash", "null", "fake_name", "fake_text"]
    assert suggested_strategy("remarks", leaked=True) == "redact"


def test_only_kept_columns_are_redacted_away(tmp_path):
    extra = tmp_path / "policy.yaml"
    extra.write_text("product_template:\n  description_sale: keep\n")
    policy = load_policy([extra])
    found = {"product_template.description_sale": 4, "res_partner.email": 2, "x_branch.label": 1}
    # res_partner.email is faked: a leak there is a scrub that failed, never redacted away.
    assert kept_leaks(policy, found) == ["product_template.description_sale", "x_branch.label"]
    redacting_policy = redacting(["x_branch.label"], "test")
    assert redacting_policy.rule("x_branch", "label").strategy == "redact"
    assert redacting_policy.rule("x_branch", "other") is None and redacting_policy.rule("res_partner", "email") is None
    assert redact_lines(["x_branch.label"]) == "x_branch:\n  label: redact"
