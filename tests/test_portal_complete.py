"""The Return portal's complete answers: branding and layout, served logos and images, the lookup's
carrier logos and national carrier, images and customs data on returns, the customer payment page,
and the liberal inputs production accepts (reason null, loose language tags, numeric product ids)."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from conftest import UPSTREAM
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from test_portal import BRAND, PORTAL, POSTAL, TRACKING, bearer, create, lookup, portal_body

PAID_BRAND = "dutch-design-living"
PAID_PORTAL = f"/api/v2/brand/{PAID_BRAND}/return-portal"


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, after checking its signature and header chunk's CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    header = data[16:29]
    assert struct.unpack(">I", data[29:33])[0] == zlib.crc32(b"IHDR" + header) & 0xFFFFFFFF
    return struct.unpack(">II", header[:8])


def decoded_pixels(data: bytes) -> bytes:
    """The raw scanlines of a PNG (all IDAT chunks inflated): proves the image data is real."""
    offset, idat = 8, b""
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if kind == b"IDAT":
            idat += data[offset + 8:offset + 8 + length]
        offset += 12 + length
    return zlib.decompress(idat)


def fetch_png(client, url: str) -> tuple[int, int]:
    answer = client.get(path_of(url))
    assert answer.status_code == 200, (url, answer.data[:200])
    assert answer.mimetype == "image/png"
    width, height = png_size(answer.data)
    assert len(decoded_pixels(answer.data)) == height * (1 + 3 * width)
    return width, height


# -- settings ------------------------------------------------------------------------------


def test_settings_carry_layout_branding_and_full_brand(client) -> None:
    """Settings show layout, branded header/footer flags and the brand's full documented look."""
    portal = client.get(PORTAL).json["portal"]
    assert portal["enable_branded_header"] is True and portal["enable_branded_footer"] is True
    assert portal["layout"] == {"type": "standard", "helper_text": "Include the # if your order number has one",
                                "background_image": None}
    brand = portal["brand"]
    assert brand["secondary_color"] == "#F3E5AB"
    assert brand["notify_reply_to_email"] == "klantenservice@stroopwafel.example"
    assert brand["notify_bcc_email"] == "returns-archive@stroopwafel.example"
    assert brand["hide_powered_by"] is False and brand["google_analytics_id"] == "G-STRP00W4F1"
    assert brand["features"] == {"tracking_page": True, "tracking_email": True, "tracking_sms": False,
                                 "tracking_whatsapp": False, "returns_portal": True}
    header = brand["customization_settings"]["header"]
    assert header["faq_url"] == "https://stroopwafel.example/faq" and header["background_color"] == "#B5651D"
    assert set(header) == {"faq_url", "contact_url", "shop_url", "font_color", "homepage_url", "background_color"}
    assert brand["overlay_logo"] == {} and brand["overlay_thumb"] == {}
    assert brand["screen_logo"]["url"].startswith("http://localhost/media/brands/stroopwafel-co/")
    assert isinstance(brand["screen_thumb"], str) and isinstance(brand["print_thumb"], str)
    assert all(c["logo"]["full"] and c["logo"]["icon"] for c in portal["carriers"])


def test_brand_logos_and_background_are_real_images(client) -> None:
    """Every logo, thumbnail and background URL of the settings serves a decodable PNG; missing ones 404."""
    brand = client.get(PORTAL).json["portal"]["brand"]
    assert fetch_png(client, brand["screen_logo"]["url"]) == (240, 80)
    assert fetch_png(client, brand["print_logo"]["url"]) == (480, 160)
    assert fetch_png(client, brand["screen_thumb"])[0] < 240
    assert client.get("/media/brands/stroopwafel-co/overlay_logo.png").status_code == 404
    assert client.get("/media/brands/stroopwafel-co/secret.png").status_code == 404
    assert client.get("/media/brands/nobody/screen_logo.png").status_code == 404
    paid = client.get(PAID_PORTAL).json["portal"]
    assert paid["enable_branded_footer"] is False and paid["layout"]["type"] == "image"
    assert fetch_png(client, paid["layout"]["background_image"]) == (640, 360)
    assert fetch_png(client, paid["brand"]["overlay_logo"]["url"]) == (160, 160)
    assert paid["brand"]["customization_settings"]["footer"] is None
    plain = client.get("/api/v2/brand/boulangerie-lumiere/return-portal").json["portal"]["brand"]
    assert plain["screen_logo"] == {} and plain["secondary_color"] is None


def test_carrier_logos_are_served(client) -> None:
    """Each carrier logo (full and icon) is a PNG the fake serves; unknown carriers are 404."""
    for carrier in client.get(PORTAL).json["portal"]["carriers"]:
        assert fetch_png(client, carrier["logo"]["full"]) == (200, 60)
        assert fetch_png(client, carrier["logo"]["icon"]) == (48, 48)
    for path in ("/media/carriers/nope/full.png", "/media/returns/null/images/1.png", "/payments/nowhere"):
        missing = client.get(path)
        assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found", path


@pytest.mark.parametrize("asked, answered", [
    ("nl-NL", "nl-NL"), ("nl-nl", "nl-NL"), ("NL-nl", "nl-NL"), ("nl", "nl-NL"), ("NL", "nl-NL"),
    ("en-us", "en-US"), ("en", "en-GB"), ("de", "de-DE"), ("de-AT", "de-DE"), ("fr_FR", "fr-FR"),
])
def test_language_matching(client, asked: str, answered: str) -> None:
    """Languages match case-insensitively; a bare or regional tag maps to the closest configured one."""
    portal = client.get(PORTAL, query_string={"language": asked}).json["portal"]
    assert portal["language"] == answered
    if answered == "nl-NL":
        assert portal["reasons"][-1]["description"] == "Verkeerde maat besteld"


def test_unknown_language_is_a_precise_400(client) -> None:
    """A language the portal does not have answers 400 naming the parameter and the choices."""
    answer = client.get(PORTAL, query_string={"language": "pt-BR"})
    assert answer.status_code == 400
    assert answer.json["error"]["code"] == "invalid_choice"
    assert answer.json["error"]["message"].startswith("language: ") and "nl-NL" in answer.json["error"]["message"]


# -- lookup --------------------------------------------------------------------------------


def test_lookup_has_carrier_logos_and_national_carrier(client) -> None:
    """The lookup's carriers carry logos; national_carrier and its contact are the customer's postal carrier."""
    found = lookup(client).json
    for holder in (found, found["data"]):
        assert [c["code"] for c in holder["carriers"]] == ["postnl", "dhl", "dpd"]
        assert all(set(c["logo"]) == {"full", "icon"} for c in holder["carriers"])
        national = holder["national_carrier"]
        assert national["name"] == "PostNL" and national["drop_off_finder"].startswith("https://")
        assert set(national["logo"]) == {"full", "icon"}
        assert holder["national_carrier_contact"].startswith("https://")
    fetch_png(client, found["national_carrier"]["logo"]["full"])
    belgian = lookup(client, "JVGL06290940002316812", "2000").json
    assert belgian["national_carrier"]["name"] == "bpost"


def test_lookup_omit_service_points(client) -> None:
    """omit_service_points=true leaves out service_point, labelless_service_point and shop_distances."""
    full = lookup(client).json
    assert full["service_point"] is not None and full["shop_distances"]
    for value in ("true", "1", "True"):
        answer = client.get(f"{PORTAL}/outgoing", query_string={"postal_code": POSTAL, "identifier": TRACKING,
                                                                 "omit_service_points": value})
        assert answer.status_code == 200
        for holder in (answer.json, answer.json["data"]):
            for name in ("service_point", "labelless_service_point", "shop_distances"):
                assert name not in holder
            assert holder["parcel"]["id"] == full["parcel"]["id"] and holder["products"]
        assert answer.json["access_token"]
    kept = client.get(f"{PORTAL}/outgoing", query_string={"postal_code": POSTAL, "identifier": TRACKING,
                                                           "omit_service_points": "false"}).json
    assert kept["service_point"]["id"] == full["service_point"]["id"]
    bad = client.get(f"{PORTAL}/outgoing", query_string={"postal_code": POSTAL, "identifier": TRACKING,
                                                          "omit_service_points": "maybe"})
    assert bad.status_code == 400 and "omit_service_points" in bad.json["error"]["message"]


# -- images, customs, shipping method ------------------------------------------------------

IMAGES = [{"filename": "1dca5757ed2a47dd89ddc99ce308e6b4.webp", "product_id": "SW-HONEY-12",
           "description": "Box arrived crushed"},
          {"filename": "ed013a200348477bb2c79fc27bb33dc8.webp", "product_id": None, "description": None}]
CUSTOMS = {"customs_invoice_nr": "INV-2026-77", "export_type": "private", "export_reason": "returned_goods",
           "invoice_date": "2026-11-20", "general_notes": "Unused goods"}


@pytest.fixture(scope="module")
def upstream_v3() -> Any:
    path = UPSTREAM / "sendcloud-v3-returns-openapi.yml"
    if not path.exists():
        pytest.skip("the upstream reference files are not beside the project")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _upstream_errors(document: Any, pointer: str, instance: Any) -> list[str]:
    uri = "https://upstream.invalid/doc"
    registry = Registry().with_resource(uri, Resource.from_contents(document, default_specification=DRAFT202012))
    validator = Draft202012Validator({"$ref": f"{uri}#{pointer}"}, registry=registry,
                                     format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{list(e.absolute_path)}: {e.message[:160]}" for e in validator.iter_errors(instance)]


def test_images_and_customs_are_stored_and_shown(client, auth, upstream_v3) -> None:
    """images[] and customs_information are kept and shown in the v3 and v2 Return; the images are served."""
    found = lookup(client).json
    created = create(client, found, images=IMAGES, customs_information=CUSTOMS)
    assert created.status_code == 201, created.json
    rid = created.json["return"]
    v3 = client.get(f"/api/v3/returns/{rid}", headers=auth).json
    assert [(i["product_id"], i["description"]) for i in v3["images"]] == [
        ("SW-HONEY-12", "Box arrived crushed"), (None, None)]
    assert v3["customs_information"]["invoice_number"] == "INV-2026-77"
    assert v3["customs_information"]["export_type"] == "private"
    assert v3["customs_information"]["export_reason"] == "returned_goods"
    assert v3["customs_information"]["invoice_date"] == "2026-11-20"
    assert v3["customs_invoice_nr"] == "INV-2026-77"
    assert _upstream_errors(upstream_v3, "/components/schemas/Return", v3) == []
    for image in v3["images"]:
        assert fetch_png(client, image["uploaded_image"]) == (320, 240)
        assert fetch_png(client, image["thumbnail_image"]) == (96, 72)
    assert client.get(f"/media/returns/{rid}/images/3.png").status_code == 404
    assert client.get(f"/media/returns/{rid}/images/0.png").status_code == 404
    v2 = client.get(f"/api/v2/returns/{rid}", headers=auth).json
    assert [i["uploaded_image"] for i in v2["images"]] == [i["uploaded_image"] for i in v3["images"]]
    assert v2["images"][0]["thumbnail_image"].endswith("/images/1_thumbnail.png")
    merged = UPSTREAM / "sendcloud-v2-openapi-merged.json"
    if merged.exists():
        # The merged v2 file lost its null unions: check the images, whose members are all given.
        v2_images = {**json.loads(merged.read_text(encoding="utf-8"))["components"]["schemas"]["Return"]
                     ["properties"]["images"]}
        assert _upstream_errors({"images": v2_images}, "/images", v2["images"][:1]) == []
    listed = client.get("/api/v2/returns", headers=auth).json["returns"]
    assert next(r for r in listed if r["id"] == rid)["images"] == v2["images"]


def test_image_urls_follow_the_host_the_client_used(client, auth) -> None:
    """Image URLs are built from the caller's own host, like every other URL of the fake."""
    rid = create(client, lookup(client).json, images=IMAGES[:1]).json["return"]
    elsewhere = client.get(f"/api/v3/returns/{rid}", headers=auth, base_url="http://fake.test:9000").json
    assert elsewhere["images"][0]["uploaded_image"].startswith("http://fake.test:9000/media/returns/")
    v2 = client.get(f"/api/v2/returns/{rid}", headers=auth, base_url="http://fake.test:9000").json
    assert v2["images"][0]["uploaded_image"].startswith("http://fake.test:9000/media/returns/")


@pytest.mark.parametrize("changes, where", [
    ({"images": [{"filename": f"{n}.png"} for n in range(11)]}, "images"),
    ({"images": [{"product_id": "SW-TIN"}]}, "images.0.filename"),
    ({"images": [{"filename": "a.png", "product_id": "NOT-SHIPPED"}]}, "images.0.product_id"),
    ({"customs_information": {"export_type": "smuggled"}}, "customs_information.export_type"),
    ({"customs_information": {"export_type": "private"}}, "customs_information.customs_invoice_nr"),
])
def test_images_and_customs_refusals(client, changes: dict[str, Any], where: str) -> None:
    """More than 10 images, an image without a file name or of another product, bad customs: 400 naming the field."""
    answer = create(client, lookup(client).json, **changes)
    assert answer.status_code == 400, answer.json
    assert where in answer.json["error"]["message"]


def test_portal_return_carries_return_shipping_method(client, auth) -> None:
    """The v2 incoming parcel of a portal return names the return shipping method of its carrier."""
    found = lookup(client).json
    rid = create(client, found, selected_carrier_code="dhl", service_point=None,
                 delivery_option="in_store").json["return"]
    v2 = client.get(f"/api/v2/returns/{rid}", headers=auth).json
    assert v2["incoming_parcel_data"]["shipping_method"] == 1163
    assert found["shipping_method_ids"] == [2406, 1163, 4417]


# -- paid returns --------------------------------------------------------------------------


def paid_return(client) -> dict[str, Any]:
    found = lookup(client, "3SDDLV20817364", "75001", PAID_BRAND).json
    body = portal_body(found, reason=11, service_point={"id": found["service_point"]["id"]},
                       products=[{"product_id": "DDL-VASE-03", "quantity": 1}])
    created = client.post(f"{PAID_PORTAL}/incoming", json=body, headers=bearer(found["access_token"]))
    assert created.status_code == 201, created.json
    return created.json


def test_unpaid_portal_has_no_payment_url(client) -> None:
    """A portal without paid returns answers create without a payment_url."""
    assert "payment_url" not in create(client, lookup(client).json).json


def test_payment_page_pay_settles_like_the_admin_call(client, auth, advance) -> None:
    """The payment_url page shows the fee; choosing pay starts the label, exactly as the admin call does."""
    created = paid_return(client)
    url = created["payment_url"]
    assert urlsplit(url).path == "/payments/checkout" and not urlsplit(url).path.startswith("/__admin")
    page = client.get(path_of(url))
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "4.95 EUR" in text and 'data-status="awaiting_payment"' in text and "outcome=pay" in text
    assert client.get(created["poller_url"]).json["status"] == "awaiting_payment"
    paid = client.post(path_of(url) + "&outcome=pay", data={"outcome": "pay"})
    assert paid.status_code == 200 and 'data-status="open"' in paid.get_data(as_text=True)
    assert "outcome=" not in paid.get_data(as_text=True)
    v3 = client.get(f"/api/v3/returns/{created['return']}", headers=auth).json
    assert v3["status"] == "open" and v3["return_fee"] == {"value": 4.95, "currency": "EUR"}
    v2 = client.get(f"/api/v2/returns/{created['return']}", headers=auth).json
    assert (v2["return_fee"], v2["return_fee_currency"]) == (4.95, "EUR")
    assert client.get(created["poller_url"]).status_code == 202
    advance(10)
    assert client.get(created["poller_url"]).status_code == 200
    again = client.post(path_of(url) + "&outcome=fail")
    assert again.status_code == 409
    assert client.post(f"/__admin/returns/{created['return']}/payment", json={"paid": True}).status_code == 409


def test_payment_page_fail(client, auth) -> None:
    """Choosing fail marks the payment failed: the poller answers 402, the Return says payment_failed."""
    created = paid_return(client)
    failed = client.post(path_of(created["payment_url"]) + "&outcome=fail")
    assert failed.status_code == 200 and 'data-status="payment_failed"' in failed.get_data(as_text=True)
    assert client.get(created["poller_url"]).status_code == 402
    assert client.get(f"/api/v3/returns/{created['return']}", headers=auth).json["status"] == "payment_failed"
    assert 'data-status="payment_failed"' in client.get(path_of(created["payment_url"])).get_data(as_text=True)


def test_payment_page_refuses_other_tokens(client) -> None:
    """The page needs its own token: none, a tampered one or another purpose's token is refused."""
    created = paid_return(client)
    assert client.get("/payments/checkout").status_code == 400
    assert client.get("/payments/checkout?token=abc").status_code == 401
    poller_token = urlsplit(created["poller_url"]).query.split("token=")[1]
    assert client.get(f"/payments/checkout?token={poller_token}").status_code == 403
    url = path_of(created["payment_url"])
    assert client.post(url + "&outcome=maybe").status_code == 400
    assert client.post(url).status_code == 400


def test_payment_page_works_over_a_real_browser_form(client) -> None:
    """The page's form posts back to itself: following its action with the button's value settles the payment."""
    created = paid_return(client)
    html = client.get(path_of(created["payment_url"])).get_data(as_text=True)
    action = html.split('<form method="post" action="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    answer = client.post("/payments/" + action, data={"outcome": "pay"},
                         content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200 and 'data-status="open"' in answer.get_data(as_text=True)


# -- liberal input ---------------------------------------------------------------------------


def test_reason_null_when_every_product_has_a_return_reason(client, auth) -> None:
    """reason: null (or absent) is accepted when each product names its return_reason; the items keep theirs."""
    found = lookup(client).json
    products = [{"product_id": "SW-HONEY-12", "quantity": 1, "return_reason": 21},
                {"product_id": "SW-TIN", "quantity": 1, "return_reason": 26}]
    created = create(client, found, reason=None, products=products)
    assert created.status_code == 201, created.json
    v3 = client.get(f"/api/v3/returns/{created.json['return']}", headers=auth).json
    assert [i["return_reason_id"] for i in v3["parcel_items"]] == ["21", "26"]
    v2 = client.get(f"/api/v2/returns/{created.json['return']}", headers=auth).json
    assert v2["reason"] is None
    body = portal_body(found, products=products)
    del body["reason"]
    absent = client.post(f"{PORTAL}/incoming", json=body, headers=bearer(found["access_token"]))
    assert absent.status_code == 201, absent.json


def test_reason_null_needs_every_product_reason(client) -> None:
    """reason: null with a product lacking return_reason is a 400 naming reason."""
    products = [{"product_id": "SW-HONEY-12", "quantity": 1, "return_reason": 21},
                {"product_id": "SW-TIN", "quantity": 1}]
    answer = create(client, lookup(client).json, reason=None, products=products)
    assert answer.status_code == 400 and answer.json["error"]["message"].startswith("reason: ")


def numeric_lookup(client) -> dict[str, Any]:
    found = lookup(client, "10512", "1016CE").json
    assert [p["id"] for p in found["products"]] == ["1234", "5678"]
    return found


def test_fixtures_have_parcels_with_numeric_product_ids(client, auth) -> None:
    """Shops that number their products: the lookup lists them as strings and a return for "1234" works."""
    found = numeric_lookup(client)
    body = portal_body(found, products=[{"product_id": "1234", "quantity": 2, "return_reason": 26}],
                       incoming_parcel={"from_name": "Emma Bakker", "from_address_1": "Herengracht",
                                        "from_house_number": "300", "from_city": "Amsterdam",
                                        "from_postal_code": "1016 CE", "from_country": "NL"})
    created = client.post(f"{PORTAL}/incoming", json=body, headers=bearer(found["access_token"]))
    assert created.status_code == 201, created.json
    v3 = client.get(f"/api/v3/returns/{created.json['return']}", headers=auth).json
    assert v3["parcel_items"][0]["product_id"] == "1234" and v3["parcel_items"][0]["quantity"] == 2


def test_settings_and_lookup_match_their_schemas_in_every_fixture_brand(app, client) -> None:
    """Every fixture brand's settings and lookup validate against the served schemas (response validation on)."""
    assert app.extensions["sendcloud_mock"].settings.validate_responses
    for domain in (BRAND, PAID_BRAND, "boulangerie-lumiere"):
        assert client.get(f"/api/v2/brand/{domain}/return-portal?language=fr").status_code == 200
    for identifier, postal, domain in ((TRACKING, POSTAL, BRAND), ("3SDDLV20817364", "75001", PAID_BRAND),
                                       ("8R00412345678", "33000", "boulangerie-lumiere"),
                                       ("88250", "10117", PAID_BRAND)):
        assert lookup(client, identifier, postal, domain).status_code == 200


def test_portal_customs_fields_follow_the_common_customs_schema() -> None:
    """The portal's customs_information accepts exactly the v3 customs fields, plus customs_invoice_nr."""
    from mock_server.config import resource_dir

    folder = resource_dir("schemas")
    common = json.loads((folder / "common" / "customs-information.json").read_text())["properties"]
    portal = json.loads((folder / "return-portal" / "incoming-request.json").read_text())
    accepted = portal["properties"]["customs_information"]["properties"]
    assert set(accepted) == set(common) | {"customs_invoice_nr"}
    for name, schema in common.items():
        assert json.dumps(accepted[name]).replace("../common/", "") == json.dumps(schema), name
def test_numeric_product_id_matches_its_string_product(client, auth) -> None:
    """"product_id": 1234 (a JSON number, as many shop plugins send) is product "1234", end to end."""
    found = numeric_lookup(client)
    body = portal_body(found, reason=None,
                       products=[{"product_id": 1234, "quantity": 1, "return_reason": 26, "value": "6.95"}],
                       images=[{"filename": "crack.png", "product_id": 1234}],
                       incoming_parcel={"from_name": "Emma Bakker", "from_address_1": "Herengracht",
                                        "from_house_number": "300", "from_city": "Amsterdam",
                                        "from_postal_code": "1016 CE", "from_country": "NL"})
    created = client.post(f"{PORTAL}/incoming", data=json.dumps(body), content_type="application/json",
                          headers=bearer(found["access_token"]))
    assert created.status_code == 201, created.json
    v3 = client.get(f"/api/v3/returns/{created.json['return']}", headers=auth).json
    assert v3["parcel_items"][0]["product_id"] == "1234"
    assert v3["images"][0]["product_id"] == "1234"


def test_odoo_style_create_body(client, auth) -> None:
    """The body an Odoo module sends (reason null, string values, the lookup's service point, empty strings) works."""
    found = lookup(client).json
    body = {
        "outgoing_parcel": found["data"]["parcel"]["id"],
        "products": [{"product_id": "SW-HONEY-12", "quantity": 1, "description": "Stroopwafels honey, box of 12",
                      "value": "9.95", "return_reason": 26, "return_message": "Too sweet"}],
        "incoming_parcel": {"collo_count": 1, "from_address_1": "Oudegracht 158", "from_address_2": "",
                            "from_city": "Utrecht", "from_company_name": None, "from_country": "NL",
                            "from_email": "sanne.devries@example.nl", "from_house_number": "158",
                            "from_name": "Sanne de Vries", "from_postal_code": "3511 AZ",
                            "from_telephone": "+31612345678"},
        "refund": {"refund_type": {"code": "money"}, "message": ""},
        "reason": None,
        "delivery_option": "drop_off_point",
        "service_point": found["data"]["service_point"],
        "message": "",
    }
    created = client.post(f"{PORTAL}/incoming", json=body, headers=bearer(found["access_token"]))
    assert created.status_code == 201, created.json
    assert client.get(f"/api/v2/returns/{created.json['return']}", headers=auth).status_code == 200


