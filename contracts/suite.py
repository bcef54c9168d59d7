"""The contracts as a ready-made test: `pytest --pyargs contracts.suite --sendcloud-base-url URL`."""

from __future__ import annotations

from typing import Any


def test_sendcloud_contract(sendcloud_contract: Any) -> None:
    """The contract holds against the target (one test per contract)."""
    sendcloud_contract.check()
