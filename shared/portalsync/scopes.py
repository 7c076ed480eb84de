"""OAuth scopes portalsync requests through domain-wide delegation, kept in one place.

Each reseller account's super admin authorises the service account's client id for exactly this list in the
Admin console (Security > Access and data control > API controls > Domain-wide delegation). A scope the code
requests but the console lacks fails every call with `unauthorized_client`, and an extra one is a standing
privilege nobody uses, so the adapters and the deploy docs both read the list from here.

`python -m portalsync.scopes` prints the comma-joined form the console's "OAuth scopes" field takes.
"""

from __future__ import annotations

from typing import Final

_BASE: Final = "https://www.googleapis.com/auth/"

USERS: Final = _BASE + "admin.directory.user"
ORGUNITS: Final = _BASE + "admin.directory.orgunit"
ROLE_MANAGEMENT: Final = _BASE + "admin.directory.rolemanagement"
LICENSING: Final = _BASE + "apps.licensing"
GROUP_MEMBERS_READ: Final = _BASE + "admin.directory.group.member.readonly"
SHEETS_READ: Final = _BASE + "spreadsheets.readonly"
GMAIL_SEND: Final = _BASE + "gmail.send"

ALL: Final = (
    USERS,
    ORGUNITS,
    ROLE_MANAGEMENT,
    LICENSING,
    GROUP_MEMBERS_READ,
    SHEETS_READ,
    GMAIL_SEND,
)


def admin_console_list(scopes: tuple[str, ...] = ALL) -> str:
    """The scopes joined by commas, as the Admin console's domain-wide delegation form expects them."""
    return ",".join(scopes)


def main() -> None:
    """Print the list to paste into each reseller account's Admin console."""
    print(admin_console_list())


if __name__ == "__main__":
    main()
