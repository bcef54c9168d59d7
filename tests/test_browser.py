"""In a real headless Chromium: the example portal on another origin, seed to label, then the inspector."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import browser_support
import pytest

from mock_server import Settings, create_app
from mock_server.config import resource_dir

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(browser_support.missing() is not None, reason=browser_support.missing() or "")]

EXAMPLE = resource_dir("examples") / "return-portal"
TRACKING, POSTAL = "3SSCRT10493821", "3511 AZ"
AUTH = "Basic dGVzdF9hcGlfa2V5X3N0cm9vcHdhZmVsOnRlc3RfYXBpX3NlY3JldF9zdHJvb3B3YWZlbA=="


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[str]:
    app = create_app(Settings(db=str(tmp_path / "store.sqlite3"), validate_responses=True, label_delay=10))
    with browser_support.serve_app(app) as url:
        yield url


@pytest.fixture
def shop() -> Iterator[str]:
    """The example portal's folder on a plain file server: another origin than the fake."""
    with browser_support.serve_folder(EXAMPLE) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with browser_support.chromium() as driver:
        yield driver


def call(url: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def wait_for(driver: Any, condition: Any, timeout: float = 15) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition)


def by_id(driver: Any, name: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, name)


def test_example_portal_from_another_origin_to_the_label_then_the_inspector(browser, fake: str, shop: str) -> None:
    """Settings, lookup, service points, create, polling and the PDF cross-origin; the inspector shows the return."""
    from selenium.webdriver.common.by import By

    assert shop.split(":")[1] != fake.split(":")[1]  # different host name, different port
    browser.get(f"{shop}/index.html?api={fake}&brand=stroopwafel-co&lang=nl-NL&poll=200")
    wait_for(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "settings")
    assert by_id(browser, "brand-name").text == "Stroopwafel & Co returns"
    brand = browser.execute_script("return getComputedStyle(document.documentElement).getPropertyValue('--brand')")
    assert brand.strip().lower() == "#b5651d"

    by_id(browser, "postal-code").send_keys(POSTAL)
    by_id(browser, "identifier").send_keys(TRACKING)
    by_id(browser, "lookup-button").click()
    wait_for(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "points")
    assert by_id(browser, "message").get_attribute("hidden") is not None, by_id(browser, "message").text

    reasons = [o.text for o in browser.find_elements(By.CSS_SELECTOR, "#reason option")]
    assert "Verkeerde maat besteld" in reasons  # translated by the settings call
    refunds = [e.get_attribute("value") for e in browser.find_elements(By.CSS_SELECTOR, "input[name=refund]")]
    assert refunds == ["money", "exchange", "credit"]
    points = browser.find_elements(By.CSS_SELECTOR, "#service-points li")
    assert len(points) > 1  # the service point search answered cross-origin, not only the lookup's nearest
    distances = browser.execute_script(
        "return [...document.querySelectorAll('#service-points .distance')].map(e => e.textContent)")
    metres = [float(d.split()[0]) * (1000 if d.endswith("km") else 1) for d in distances]
    assert metres == sorted(metres)
    assert len(points[0].find_elements(By.CSS_SELECTOR, "dl.hours dt")) == 7
    chosen = points[1].find_element(By.CSS_SELECTOR, "input[name=service_point]")
    chosen.click()
    point_id = int(chosen.get_attribute("value"))
    reason = browser.find_element(By.CSS_SELECTOR, "#reason option[value='26']")
    reason.click()

    by_id(browser, "create-button").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "status").get_attribute("data-state") == "announcing")
    return_id = int(by_id(browser, "return-id").text)

    call(f"{fake}/__admin/clock/advance", {"seconds": 11})
    wait_for(browser, lambda d: d.find_element(By.ID, "status").get_attribute("data-state") in ("ready", "failed"))
    assert by_id(browser, "status").get_attribute("data-state") == "ready", by_id(browser, "status").text
    download = by_id(browser, "download")
    assert download.get_attribute("data-type") == "application/pdf"
    assert int(download.get_attribute("data-bytes")) > 1000
    assert download.get_attribute("download") == f"return-label-{return_id}.pdf"  # an exposed header
    assert by_id(browser, "tracking").text.startswith("Tracking number: ")

    stored = call(f"{fake}/api/v3/returns/{return_id}", headers={"Authorization": AUTH})
    assert stored["delivery_option"] == "drop_off_point"
    assert stored["status"] != "cancelled" and stored["tracking_number"]

    browser.get(f"{fake}/__admin/ui")
    assert browser.title
    row = browser.find_element(By.CSS_SELECTOR, f"tr[data-return-id='{return_id}']")
    assert "ready-to-send" in row.text
    row.find_element(By.LINK_TEXT, str(return_id)).click()
    timeline = by_id(browser, "timeline").text
    assert "announcing" in timeline and "ready-to-send" in timeline
    assert by_id(browser, "service-point").text == str(point_id)  # the second-nearest point, as chosen
    assert by_id(browser, "label-link").get_attribute("href").endswith(f"/__admin/ui/returns/{return_id}/label.pdf")

    browser.get(f"{fake}/__admin/ui/requests")
    journal = by_id(browser, "journal").text
    assert "return-portal/incoming" in journal and "OPTIONS" in journal  # the browser's preflight


def test_a_page_elsewhere_reads_the_portal_but_not_the_admin_or_basic_auth_apis(browser, fake: str, shop: str) -> None:
    """From another origin, fetch() reads portal settings; the admin API and Returns v3 stay closed to it."""
    browser.get(f"{shop}/index.html?api={fake}")
    script = """
        const done = arguments[arguments.length - 1];
        const attempt = (url, options) => fetch(url, options).then(r => r.status).catch(e => 'blocked: ' + e.name);
        Promise.all([
          attempt(arguments[0] + '/api/v2/brand/stroopwafel-co/return-portal'),
          attempt(arguments[0] + '/__admin/health'),
          attempt(arguments[0] + '/__admin/reset', {method: 'POST', mode: 'no-cors', body: '{}'}),
          attempt(arguments[0] + '/api/v3/returns/1', {headers: {Authorization: arguments[1]}}),
        ]).then(done);
    """
    portal, admin, reset, returns = browser.execute_async_script(script, fake, AUTH)
    assert portal == 200
    assert str(admin).startswith("blocked")
    assert reset == 0  # an opaque answer: the page learns nothing ...
    journal = call(f"{fake}/__admin/requests")["requests"]
    assert all(entry["path"] != "/__admin/reset" for entry in journal)
    assert str(returns).startswith("blocked")
    # ... and the reset was refused before it did anything: the clock and store are as they were.
    assert call(f"{fake}/__admin/health")["status"] == "ok"


def test_the_fake_serves_the_example_portal_itself(browser, fake: str) -> None:
    """At /__admin/examples/return-portal/ the example runs against the fake that serves it."""
    from selenium.webdriver.common.by import By

    browser.get(f"{fake}/__admin/examples/return-portal/")
    wait_for(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "settings")
    assert fake in by_id(browser, "api-info").text


def test_inspector_sign_in_with_the_admin_token(browser, tmp_path: Path) -> None:
    """With --admin-token, ?token= signs Chromium in; the cookie is invisible to scripts and opens every page."""
    from selenium.webdriver.common.by import By

    app = create_app(Settings(db=str(tmp_path / "locked.sqlite3"), admin_token="browser-token"))
    with browser_support.serve_app(app) as fake:
        browser.get(f"{fake}/__admin/ui")
        assert "authentication_failed" in browser.find_element(By.TAG_NAME, "body").text
        browser.get(f"{fake}/__admin/ui?token=browser-token")
        assert browser.current_url == f"{fake}/__admin/ui"
        assert browser.find_element(By.CSS_SELECTOR, "h1").text == "Newest returns"
        assert browser.execute_script("return document.cookie") == ""  # HttpOnly
        browser.get(f"{fake}/__admin/ui/requests")
        assert browser.find_element(By.CSS_SELECTOR, "h1").text.startswith("Requests")
        browser.delete_all_cookies()
