"""The one rule for proposing a username override when an address is taken (pure).

Only the planner proposes overrides: a conflict that apply finds (a 409 on an account portalsync does not
manage) is re-planned as a known conflict, so an operator sees the same suggestion whichever run noticed it.
Candidates are usernames before the naming template, so the suggestion can be pasted into
`Person.username_overrides`.
"""

from __future__ import annotations

from collections.abc import Callable

from portalsync.model import USERNAME_RE

MAX_NUMBER = 99


def candidates(base: str) -> list[str]:
    """`{base}.ccp`, then `{base}2` … `{base}99`."""
    return [f"{base}.ccp", *(f"{base}{n}" for n in range(2, MAX_NUMBER + 1))]


def address(username: str, domain: str, template: str) -> str:
    """The address a username gets on a domain under the naming template (lower case)."""
    return f"{template.format(username=username)}@{domain}".lower()


def suggest_username(base: str, domain: str, template: str, taken: Callable[[str], bool]) -> str | None:
    """The first valid candidate whose templated address is not `taken`; None when all are."""
    for candidate in candidates(base):
        if USERNAME_RE.match(candidate) and not taken(address(candidate, domain, template)):
            return candidate
    return None
