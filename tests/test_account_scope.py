"""Account-scoped admin calls: clocks, faults and resets that touch one account and leave the rest alone."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from conftest import DEFAULT_KEY, LIST_URL, OTHER_KEY

from mock_server.clock import LATEST, Clock


def clock_of(client, account=None) -> float:
    url = "/__admin/clock" + (f"?account={account}" if account else "")
    return datetime.fromisoformat(client.get(url).json["now"]).timestamp()


def test_account_advance_moves_only_that_account(client) -> None:
    """An account's advance moves its clock only; a global advance moves every account."""
    client.post("/__admin/clock/freeze", json={})
    start_default, start_other = clock_of(client, DEFAULT_KEY), clock_of(client, OTHER_KEY)
    start_global = clock_of(client)
    moved = client.post("/__admin/clock/advance", json={"seconds": 3600, "account": DEFAULT_KEY})
    assert moved.status_code == 200 and moved.json["account"] == DEFAULT_KEY
    assert clock_of(client, DEFAULT_KEY) == start_default + 3600
    assert clock_of(client, OTHER_KEY) == start_other
    assert clock_of(client) == start_global
    client.post("/__admin/clock/advance", json={"seconds": 60})
    assert clock_of(client, DEFAULT_KEY) == start_default + 3660
    assert clock_of(client, OTHER_KEY) == start_other + 60


def test_account_advance_by_query_parameter(client) -> None:
    """?account= names the account as the body's "account" does; an unknown key is a 404 naming it."""
    client.post("/__admin/clock/freeze")
    before = clock_of(client, OTHER_KEY)
    assert client.post(f"/__admin/clock/advance?account={OTHER_KEY}", json={"seconds": 5}).status_code == 200
    assert clock_of(client, OTHER_KEY) == before + 5
    missing = client.post("/__admin/clock/advance?account=nobody", json={"seconds": 5})
    assert missing.status_code == 404 and "nobody" in missing.json["error"]["message"]


def test_account_freeze_stops_only_that_account(client) -> None:
    """Freezing one account stops its clock while the global clock flows; unfreezing never jumps back."""
    frozen = client.post("/__admin/clock/freeze", json={"account": DEFAULT_KEY})
    assert frozen.json["frozen"] is True
    assert client.get("/__admin/clock").json["frozen"] is False
    first = clock_of(client, DEFAULT_KEY)
    threading.Event().wait(0.05)
    assert clock_of(client, DEFAULT_KEY) == first
    assert client.post("/__admin/clock/freeze", json={"account": DEFAULT_KEY, "frozen": False}).json["frozen"] is False
    assert clock_of(client, DEFAULT_KEY) >= first


def test_return_lifecycle_reads_its_account_clock(client, auth, other_auth, create_return) -> None:
    """Advancing one account past the label delay announces its returns, not another account's."""
    client.post("/__admin/clock/freeze")
    mine = create_return()
    theirs = create_return(headers=other_auth, brand_id=201)
    client.post("/__admin/clock/advance", json={"seconds": 11, "account": DEFAULT_KEY})
    shown = client.get(f"/api/v3/returns/{mine['return_id']}", headers=auth).json
    assert shown["tracking_number"] is not None
    assert shown["status_history"][-1]["parent_status"] == "ready-to-send"
    other = client.get(f"/api/v3/returns/{theirs['return_id']}", headers=other_auth).json
    assert other["tracking_number"] is None


def test_account_fault_rule_applies_only_to_that_account(client, auth, other_auth) -> None:
    """A one-shot fault with an account hits that account's next request, never another account's."""
    rule = client.post("/__admin/faults", json={"path": "/api/v3/*", "status": 503, "times": 1, "account": OTHER_KEY})
    assert rule.status_code == 201 and rule.json["account"] == OTHER_KEY
    assert client.get(LIST_URL, headers=auth).status_code == 200
    assert client.get(LIST_URL, headers=other_auth).status_code == 503
    assert client.get(LIST_URL, headers=other_auth).status_code == 200
    listed = client.get(f"/__admin/faults?account={DEFAULT_KEY}").json["faults"]
    assert listed == []


def test_rate_limit_windows_are_per_account_and_follow_the_clock(client, auth, other_auth) -> None:
    """Each account's rate limit counts its own requests; advancing its clock past the window lifts it."""
    for key in (DEFAULT_KEY, OTHER_KEY):
        client.post("/__admin/faults", json={"path": "/api/v3/*", "account": key,
                                             "rate_limit": {"requests": 2, "per_seconds": 60}})
    assert [client.get(LIST_URL, headers=auth).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get(LIST_URL, headers=other_auth).status_code == 200
    limited = client.get(LIST_URL, headers=auth)
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
    client.post("/__admin/clock/advance", json={"seconds": 61, "account": DEFAULT_KEY})
    assert client.get(LIST_URL, headers=auth).status_code == 200


def test_account_reset_leaves_other_accounts(client, auth, other_auth, create_return) -> None:
    """Resetting one account clears its returns, clock and rules; another account keeps all of them."""
    client.post("/__admin/clock/freeze")
    create_return()
    client.post("/__admin/clock/advance", json={"seconds": 100, "account": DEFAULT_KEY})
    client.post("/__admin/clock/advance", json={"seconds": 200, "account": OTHER_KEY})
    client.post("/__admin/faults", json={"path": "/nothing", "status": 500, "account": DEFAULT_KEY})
    client.post("/__admin/faults", json={"path": "/nothing", "status": 500, "account": OTHER_KEY})
    base = clock_of(client)
    done = client.post(f"/__admin/reset?account={DEFAULT_KEY}")
    assert done.status_code == 200 and done.json == {"reset": "account", "account": DEFAULT_KEY}
    assert client.get(LIST_URL, headers=auth).json["data"] == []
    assert clock_of(client, DEFAULT_KEY) == base
    assert clock_of(client, OTHER_KEY) == base + 200
    assert [r["account"] for r in client.get("/__admin/faults").json["faults"]] == [OTHER_KEY]


def test_admin_posts_accept_no_body(client) -> None:
    """Admin POSTs without a body (or with an empty one) act on their defaults."""
    assert client.post("/__admin/clock/freeze").json["frozen"] is True
    assert client.post("/__admin/reset", data=b"").json == {"reset": "all", "account": None}
    refused = client.post("/__admin/clock/advance")
    assert refused.status_code == 400 and refused.json["error"]["code"] == "required"


def test_parallel_advances_and_freezes_lose_nothing(app) -> None:
    """200 one-second advances racing with freezes move a frozen clock by exactly 200 s."""
    clients = [app.test_client() for _ in range(8)]
    clients[0].post("/__admin/clock/freeze")
    start = clock_of(clients[0])

    def work(index: int) -> None:
        c = clients[index % 8]
        if index % 3 == 0:
            assert c.post("/__admin/clock/freeze", json={"frozen": True}).status_code == 200
        assert c.post("/__admin/clock/advance", json={"seconds": 1}).status_code == 200

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(200)))
    assert clock_of(clients[0]) == start + 200


def test_time_never_moves_backwards(app) -> None:
    """Readers racing with freeze, unfreeze and advances (global and per account) never see time go back."""
    stop = threading.Event()
    seen: dict[str, list[float]] = {"global": [], "account": []}

    def read(name: str, account: str | None) -> None:
        c = app.test_client()
        while not stop.is_set():
            seen[name].append(clock_of(c, account))

    readers = [threading.Thread(target=read, args=("global", None)),
               threading.Thread(target=read, args=("account", DEFAULT_KEY))]
    for reader in readers:
        reader.start()
    writer = app.test_client()
    for round_ in range(40):
        writer.post("/__admin/clock/freeze", json={"frozen": round_ % 2 == 0})
        writer.post("/__admin/clock/freeze", json={"frozen": round_ % 3 == 0, "account": DEFAULT_KEY})
        writer.post("/__admin/clock/advance", json={"seconds": 0.5, "account": DEFAULT_KEY})
    stop.set()
    for reader in readers:
        reader.join()
    for readings in seen.values():
        assert readings and [(a, b) for a, b in itertools.pairwise(readings) if b < a] == []


def test_advance_past_representable_dates_is_refused(client, auth) -> None:
    """Advances that would carry a clock past year 3000 answer 400; the clock and the API keep working."""
    statuses = [client.post("/__admin/clock/advance", json={"seconds": 315360000}).status_code for _ in range(120)]
    assert 400 in statuses and 500 not in statuses
    refused = client.post("/__admin/clock/advance", json={"seconds": 315360000})
    assert refused.status_code == 400 and refused.json["error"]["message"].startswith("seconds")
    assert clock_of(client) <= LATEST
    account = client.post("/__admin/clock/advance", json={"seconds": 315360000, "account": DEFAULT_KEY})
    assert account.status_code == 400
    assert client.get(LIST_URL, headers=auth).status_code == 200


def test_clock_api_is_account_aware(db: str) -> None:
    """clock.now(account) is the global clock plus the account's own moves (accounts by object or id)."""
    from mock_server.store import open_store

    clock = Clock(open_store(db))
    clock.freeze(True)
    base = clock.now()
    clock.advance(10, 7)
    assert clock.now(7) == base + 10 and clock.now(8) == base and clock.now() == base


def test_reads_during_reset_see_old_or_new_state(app, auth) -> None:
    """Reset is one transaction: fixture credentials and lookups keep answering 200 through 30 resets."""
    stop = threading.Event()
    statuses: list[int] = []
    lookup = ("/api/v2/brand/stroopwafel-co/return-portal/outgoing"
              "?identifier=3SSCRT10493821&postal_code=3511%20AZ")

    def read() -> None:
        c = app.test_client()
        while not stop.is_set():
            statuses.append(c.get(LIST_URL, headers=auth).status_code)
            statuses.append(c.get(lookup).status_code)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    writer = app.test_client()
    try:
        for _ in range(30):
            assert writer.post("/__admin/reset").status_code == 200
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert statuses and set(statuses) == {200}
