"""`make demo` in a CI log: the accounts table keeps whole names and addresses when stdout is no terminal."""

from __future__ import annotations

import io
from typing import Any

from portalsync.demo import MIN_WIDTH, provisioned_table, wide_console
from portalsync.records import AccountStatus, ProvisioningRecord

ADDRESS = "taro.yamada.ccp@sakura-support.example"


class Status:
    def status(self) -> dict[str, list[ProvisioningRecord]]:
        record = ProvisioningRecord(
            "sakura", "yamada", "sakura-support.example", ADDRESS, AccountStatus.PROVISIONED, own_account=True
        )
        return {"sakura": [record]}


def test_the_demo_table_is_not_cut_at_80_columns_in_a_pipe() -> None:
    buffer = io.StringIO()  # not a terminal: rich would assume 80 columns
    console = wide_console(buffer)
    service: Any = Status()

    console.print(provisioned_table(service))

    assert console.width >= MIN_WIDTH
    out = buffer.getvalue()
    assert ADDRESS in out
    assert "provisioned (own account: role only)" in out
    assert "…" not in out
