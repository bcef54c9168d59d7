"""Make the README's screenshots of the example return portal and the inspector page.

    python tools/screenshots.py [--out docs/screenshots]

Uses the browser tests' Chromium setup (tests/browser_support.py: Debian's chromium and
chromium-driver, nothing downloaded): a fresh fake with the bundled fixtures, the example
portal served from another origin, one return made through it to its label, then the
inspector. The tests never write these files; only this script does.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import browser_support  # noqa: E402 - found through the sys.path line above

from mock_server import Settings, create_app  # noqa: E402 - the checkout, not an installed copy


def post(url: str, body: dict) -> None:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).close()


def wait(driver, condition, timeout: float = 20) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition)


def full_page(driver, path: Path, width: int = 1100) -> None:
    """A screenshot of the whole page height (capped), not only the window."""
    height = driver.execute_script("return Math.min(document.documentElement.scrollHeight, 2400)")
    driver.set_window_size(width, max(600, height + 20))
    time.sleep(0.2)
    driver.save_screenshot(str(path))
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    reason = browser_support.missing()
    if reason:
        print(f"cannot make screenshots: {reason}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    from selenium.webdriver.common.by import By

    with tempfile.TemporaryDirectory() as scratch:
        app = create_app(Settings(db=str(Path(scratch) / "store.sqlite3"), label_delay=10, jwt_secret="screenshots"))
        portal_dir = ROOT / "examples" / "return-portal"
        with browser_support.serve_app(app) as fake, browser_support.serve_folder(portal_dir) as shop, \
                browser_support.chromium(1100, 900) as driver:
            post(f"{fake}/__admin/clock/freeze", {"frozen": True})
            driver.get(f"{shop}/index.html?api={fake}&brand=stroopwafel-co&lang=en-GB&poll=200")
            wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "settings")
            driver.find_element(By.ID, "postal-code").send_keys("3511 AZ")
            driver.find_element(By.ID, "identifier").send_keys("3SSCRT10493821")
            driver.find_element(By.ID, "lookup-button").click()
            wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "points")
            driver.find_element(By.CSS_SELECTOR, "#reason option[value='26']").click()
            full_page(driver, args.out / "return-portal-choices.png")
            driver.find_element(By.ID, "create-button").click()
            wait(driver, lambda d: d.find_element(By.ID, "status").get_attribute("data-state") == "announcing")
            post(f"{fake}/__admin/clock/advance", {"seconds": 11})
            wait(driver, lambda d: d.find_element(By.ID, "status").get_attribute("data-state") == "ready")
            driver.set_window_size(1100, 600)
            driver.save_screenshot(str(args.out / "return-portal-label.png"))
            print("wrote return-portal-label.png")
            return_id = driver.find_element(By.ID, "return-id").text

            # A few more returns through the API, so the inspector has something to list.
            auth = "Basic dGVzdF9hcGlfa2V5X3N0cm9vcHdhZmVsOnRlc3RfYXBpX3NlY3JldF9zdHJvb3B3YWZlbA=="
            body = json.loads((ROOT / "tools" / "screenshot_return.json").read_text())
            for _ in range(2):
                request = urllib.request.Request(f"{fake}/api/v3/returns", data=json.dumps(body).encode(),
                                                 headers={"Content-Type": "application/json", "Authorization": auth})
                urllib.request.urlopen(request, timeout=10).close()
            post(f"{fake}/__admin/clock/advance", {"seconds": 4000})
            driver.get(f"{fake}/__admin/ui")
            full_page(driver, args.out / "inspector-returns.png", width=1280)
            driver.get(f"{fake}/__admin/ui/returns/{return_id}")
            full_page(driver, args.out / "inspector-return.png", width=1280)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
