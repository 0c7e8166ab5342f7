"""What every hand-parsed dialog shares: an input the form always sends must be in the POST.

A browser sends every text input, select, textarea and hidden input of a form, empty or not;
only unchecked checkboxes and radio groups with nothing chosen are left out (so a checkbox list
carries a hidden input of its name with an empty value, and the views drop the empty value).
An input missing from a POST is therefore a hand-made or truncated request, not "cleared":
reading it as empty would wipe what the field holds (the Edit Limits dialog once cleared every
limit of a namespace on `cpu_limit=abc`). Views refuse such a post with the message at the field
and change nothing; an empty value that was sent keeps its meaning (no limit, no description).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

MISSING = 'The form did not send "{}". Nothing was changed; reload the page and try again.'


def missing_errors(
    data, names: Iterable[str], *, at: Mapping[str, str] | None = None
) -> dict[str, str]:
    """{field: message} for each of `names` that `data` (a QueryDict) lacks, the message at
    the field that shows it: `at` maps an input without an error slot of its own (a unit
    select, a hidden input) to the field beside it. Empty when the form is whole."""
    at = at or {}
    errors: dict[str, str] = {}
    for name in names:
        if name not in data:
            errors.setdefault(at.get(name, name), MISSING.format(name))
    return errors


def empty_dropped(values: Iterable[str]) -> list[str]:
    """A checkbox list as posted, without the hidden input's empty value."""
    return [value for value in values if value]
