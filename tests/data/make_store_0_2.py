"""Writes store-0.2.sqlite3 and store-0.2-bodies.json: a --db file in the data format of 0.2.0
(before the typed return record) and the v3/v2 bodies that code answered for its returns.

It was run once with the code of commit f2c22ce (`PYTHONPATH=<that tree> python make_store_0_2.py`);
tests/test_return_record.py opens the file with today's code and expects the same bodies.
The clock is pinned so the bodies do not depend on when it ran.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

import mock_server.clock as clock

WALL_MICROS = 1_780_000_000_000_000
clock._wall = lambda: WALL_MICROS  # type: ignore[attr-defined]

from mock_server import Settings, create_app  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from conftest import DEFAULT_KEY, DEFAULT_SECRET, RETURN_BODY, basic  # noqa: E402
from test_portal import portal_body  # noqa: E402

SETTINGS = {"label_delay": 10, "transit_delay": 3600, "delivery_delay": 86400}


def main() -> None:
    folder = tempfile.mkdtemp()
    db = os.path.join(folder, "store.sqlite3")
    app = create_app(Settings(db=db, validate_responses=True, **SETTINGS))
    client = app.test_client()
    auth = basic(DEFAULT_KEY, DEFAULT_SECRET)
    ids = [client.post("/api/v3/returns", json=RETURN_BODY, headers=auth).json["return_id"]]
    portal = "/api/v2/brand/stroopwafel-co/return-portal"
    found = client.get(f"{portal}/outgoing",
                       query_string={"postal_code": "3511 AZ", "identifier": "3SSCRT10493821"}).json
    bearer = {"Authorization": "Bearer " + found["access_token"]}
    for changes in ({},
                    {"refund": {"refund_type": {"code": "exchange"}, "message": "Size M please"},
                     "images": [{"filename": "dent.png", "file": "iVBORw0KGgo=", "product_id": "SW-HONEY-12",
                                 "description": "A dent"}]},
                    {"reason": None, "refund": None, "message": None,
                     "customs_information": {"customs_invoice_nr": "X-9"}}):
        ids.append(client.post(f"{portal}/incoming", json=portal_body(found, **changes), headers=bearer).json["return"])
    paid = "/api/v2/brand/dutch-design-living/return-portal"
    found = client.get(f"{paid}/outgoing", query_string={"postal_code": "75001", "identifier": "3SDDLV20817364"}).json
    body = portal_body(found, reason=11, service_point={"id": found["service_point"]["id"]}, refund=None,
                       products=[{"product_id": "DDL-VASE-03", "quantity": 1}])
    for outcome in (True, False, None):
        created = client.post(f"{paid}/incoming", json=body,
                              headers={"Authorization": "Bearer " + found["access_token"]})
        ids.append(created.json["return"])
        if outcome is not None:
            client.post(f"/__admin/returns/{ids[-1]}/payment", json={"paid": outcome})
    client.post("/__admin/clock/advance", json={"seconds": 10})
    bodies = {}
    for return_id in ids:
        for version in ("v3", "v2"):
            bodies[f"{version} {return_id}"] = client.get(f"/api/{version}/returns/{return_id}",
                                                          headers=auth).get_data(as_text=True)
    bodies["v2 list"] = client.get("/api/v2/returns", headers=auth).get_data(as_text=True)
    target = HERE / "store-0.2.sqlite3"
    target.unlink(missing_ok=True)
    conn = sqlite3.connect(db)
    conn.execute("VACUUM INTO ?", (str(target),))
    conn.close()
    conn = sqlite3.connect(target, isolation_level=None)  # small pages: a small file in the repository
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("PRAGMA page_size=512")
    conn.execute("VACUUM")
    conn.close()
    (HERE / "store-0.2-bodies.json").write_text(json.dumps({"settings": SETTINGS, "wall_micros": WALL_MICROS,
                                                            "bodies": bodies}, indent=1) + "\n")


if __name__ == "__main__":
    main()
