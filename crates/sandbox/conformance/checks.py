"""A check of `make conformance` beside schemathesis's own (loaded as its hooks module).

Some of the sandbox's rules cannot be written in JSON Schema: a referenced id must exist, one
field must come after another, a time must not be in the future, a change must suit the
resource's state. schemathesis.toml lets the operations that have such rules answer a request
valid by the document with 422; this check keeps that allowance to exactly those rules, so
that any other refusal of valid data (a blank title, an unknown field, a bound the document
does not state) still fails the run.
"""

import schemathesis

# The field codes of the rules the document can only state in words (crates/sandbox/MODEL.md).
UNDECLARABLE = {
    "not_found",
    "must_be_after_starts_at",
    "must_be_within_24_hours_of_starts_at",
    "must_be_within_a_year",
    "must_be_after_issued_on",
    "must_be_after_signed_in_at",
    "must_be_in_the_past",
    "must_not_be_in_the_future",
    "invalid_transition",
    "not_editable_in_this_status",
    "only_when_cancelled",
    "already_signed_out",
}


@schemathesis.check
def valid_data_is_refused_only_by_undeclarable_rules(ctx, response, case):
    """A request valid by the document is refused with 422 only for a rule JSON Schema cannot state."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    try:
        fields = response.json()["error"]["fields"]
    except (ValueError, KeyError, TypeError):
        fields = None
    if not isinstance(fields, dict) or not fields:
        raise AssertionError(f"422 without field codes: {response.text}")
    declarable = {f: c for f, c in fields.items() if c not in UNDECLARABLE}
    if declarable:
        raise AssertionError(
            "A request valid by the document was refused for rules the document can state: "
            + ", ".join(f"{f}: {c}" for f, c in sorted(declarable.items()))
        )
    return None
