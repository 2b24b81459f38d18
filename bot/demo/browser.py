"""A headless Debian Chromium driven by Selenium, for the demo's browser tests and its screenshots.

Selenium talks to Debian's `/usr/bin/chromedriver`, which apt keeps at the browser's own version, so nothing
is downloaded (Selenium Manager is not asked when both paths are given). Needs the `dev` extra (selenium).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync")


def missing() -> str | None:
    """Why no browser can be started here, or None when Chromium, its driver and Selenium are all present."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(path) is None:
            return f"{path} is not installed (apt-get install -y chromium chromium-driver; .ci/run does it)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


@contextmanager
def chromium(width: int = 1280, height: int = 800) -> Iterator[WebDriver]:
    """A fresh headless Chromium with its own throw-away profile, closed afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="crmphoto-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
        try:
            yield driver
        finally:
            driver.quit()


def wait_for(driver: WebDriver, selector: str, timeout: float = 15) -> None:
    """Wait until an element matching the CSS `selector` is on the page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, selector)))


def send(driver: WebDriver, text: str, then: str, timeout: float = 15) -> None:
    """Type `text` in the page's message box, press Enter, and wait for `then` (a CSS selector) to appear."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.find_element(By.ID, "box").send_keys(text, Keys.ENTER)
    wait_for(driver, then, timeout)


def images_loaded(driver: WebDriver, timeout: float = 15) -> None:
    """Wait until every <img> on the page has finished loading and decoded to a real picture."""
    from selenium.webdriver.support.ui import WebDriverWait

    script = "return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"
    WebDriverWait(driver, timeout).until(lambda d: d.execute_script(script))
