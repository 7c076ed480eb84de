"""A small stdlib client for the control API, for tests, benchmarks and `make demo`."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class ControlClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/") + "/"

    def request(self, method: str, name: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(  # noqa: S310 - the emulator's own http URL
            self.base_url + "_emulator/" + name,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{method} {name}: {error.code} {error.read().decode()}") from error

    def post(self, name: str, body: Any = None) -> Any:
        return self.request("POST", name, body if body is not None else {})

    def get(self, name: str) -> Any:
        return self.request("GET", name)

    def delete(self, name: str, body: Any = None) -> Any:
        return self.request("DELETE", name, body)

    def reset(self) -> None:
        self.post("reset")

    def add_customer(
        self,
        customer_id: str,
        domains: list[str],
        super_admin: str,
        *,
        cloud_identity_free: bool = True,
        free_license_cap: int = 50,
    ) -> Any:
        return self.post(
            "customers",
            {
                "customerId": customer_id,
                "domains": domains,
                "superAdmin": super_admin,
                "cloudIdentityFree": cloud_identity_free,
                "freeLicenseCap": free_license_cap,
            },
        )

    def calls(self) -> dict[str, int]:
        """Calls per discovery method id (a batch's parts each count); the batch count is `batches()`."""
        result: dict[str, int] = self.get("calls")
        result.pop("batch", None)
        return result

    def batches(self) -> int:
        """Batch HTTP requests received since the last reset or `DELETE calls`."""
        return int(self.get("calls")["batch"])
