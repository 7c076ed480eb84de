"""OAuth scopes portalsync requests through domain-wide delegation, per role a tenant plays, in one place.

A super admin authorises the service account's client id in each tenant's Admin console (Security > Access and
data control > API controls > Domain-wide delegation) for the scopes of the roles that tenant plays, and no
more. A scope the code requests but the console lacks fails every call with `unauthorized_client`; an extra
one is a standing privilege nobody uses. So the adapters request these tuples and the deploy docs print them:

- `WORKSPACE`: every reseller account (users, OUs, roles and licences of its own staff accounts);
- `MAIL_SENDER`: only the tenant of PORTALSYNC_MAIL_SENDER, with the Gmail transport;
- `ROSTER_GROUP` / `ROSTER_SHEET`: only the tenant of PORTALSYNC_ROSTER_SUBJECT, for the roster source in use.

A tenant with several roles authorises the union (the console holds one entry per client id):
`python -m portalsync.scopes --for workspace --for sender` prints it comma-joined, as the console takes it.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from typing import Final

_BASE: Final = "https://www.googleapis.com/auth/"

USERS: Final = _BASE + "admin.directory.user"
ORGUNITS: Final = _BASE + "admin.directory.orgunit"
ROLE_MANAGEMENT: Final = _BASE + "admin.directory.rolemanagement"
LICENSING: Final = _BASE + "apps.licensing"
GROUP_MEMBERS_READ: Final = _BASE + "admin.directory.group.member.readonly"
SHEETS_READ: Final = _BASE + "spreadsheets.readonly"
GMAIL_SEND: Final = _BASE + "gmail.send"

#: The workspace adapter, in every reseller account: the customer is always `my_customer`, so neither
#: customers.get nor domains.list is ever called.
WORKSPACE: Final[tuple[str, ...]] = (USERS, ORGUNITS, ROLE_MANAGEMENT, LICENSING)
#: The Gmail transport, as the sender's mailbox.
MAIL_SENDER: Final[tuple[str, ...]] = (GMAIL_SEND,)
#: A group roster: its members, then each member's user record.
ROSTER_GROUP: Final[tuple[str, ...]] = (GROUP_MEMBERS_READ, USERS)
#: A spreadsheet roster.
ROSTER_SHEET: Final[tuple[str, ...]] = (SHEETS_READ,)

BY_ROLE: Final[dict[str, tuple[str, ...]]] = {
    "workspace": WORKSPACE,
    "sender": MAIL_SENDER,
    "roster-group": ROSTER_GROUP,
    "roster-sheet": ROSTER_SHEET,
}


def union(groups: Iterable[Sequence[str]]) -> tuple[str, ...]:
    """The scopes of several roles, each once, in first-seen order."""
    return tuple(dict.fromkeys(scope for group in groups for scope in group))


#: Everything any tenant may be asked for.
ALL: Final = union(BY_ROLE.values())


def admin_console_list(scopes: Sequence[str] = ALL) -> str:
    """The scopes joined by commas, as the Admin console's domain-wide delegation form expects them."""
    return ",".join(scopes)


def main(argv: Sequence[str] | None = None) -> None:
    """Print the list to paste into a tenant's Admin console, for the roles that tenant plays."""
    parser = argparse.ArgumentParser(
        prog="python -m portalsync.scopes",
        description="Scopes to authorise for portalsync's client id in one tenant's Admin console.",
    )
    parser.add_argument(
        "--for",
        dest="roles",
        action="append",
        required=True,
        choices=[*BY_ROLE, "all"],
        help="a role the tenant plays; repeat for each (the list is their union)",
    )
    roles = parser.parse_args(argv).roles
    print(admin_console_list(ALL if "all" in roles else union(BY_ROLE[role] for role in roles)))


if __name__ == "__main__":
    main()
