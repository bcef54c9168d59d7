"""A small shop's Sendcloud returns client: the code under test in the sample suite.

It is what a shop would write: create a return, read it, list its returns, cancel one,
download the label, look a parcel up through the return portal, and retry once on a 5xx
or a 429, as Sendcloud advises.
"""

from __future__ import annotations

import time
from typing import Any

import requests

RETRY_STATUSES = {429, 500, 502, 503, 504}


class ShopReturns:
    def __init__(self, base_url: str, auth: tuple[str, str], *, retries: int = 1) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = auth
        self.retries = retries

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        for attempt in range(self.retries + 1):
            response = self.session.request(method, self.base_url + path, timeout=30, **kwargs)
            if response.status_code not in RETRY_STATUSES or attempt == self.retries:
                return response
            time.sleep(min(float(response.headers.get("Retry-After", "0") or 0), 0.05))
        raise AssertionError("unreachable")

    def create_return(self, body: dict[str, Any]) -> requests.Response:
        return self._call("POST", "/api/v3/returns", json=body)

    def get_return(self, return_id: int) -> requests.Response:
        return self._call("GET", f"/api/v3/returns/{return_id}")

    def list_returns(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        url: str | None = "/api/v3/returns?from_date=2000-01-01 00:00:00&to_date=2100-01-01 00:00:00&page_size=10"
        while url:
            page = self._call("GET", url.replace(self.base_url, "")).json()
            found.extend(page["data"])
            url = page.get("next")
        return found

    def cancel(self, return_id: int) -> requests.Response:
        return self._call("PATCH", f"/api/v3/returns/{return_id}/cancel")

    def label(self, parcel_id: int) -> requests.Response:
        return self._call("GET", f"/api/v3/parcels/{parcel_id}/documents/label")

    def portal_lookup(self, brand: str, identifier: str, postal_code: str) -> requests.Response:
        return requests.get(f"{self.base_url}/api/v2/brand/{brand}/return-portal/outgoing",
                            params={"identifier": identifier, "postal_code": postal_code}, timeout=30)
