"""The demo page in a real headless Chromium (Debian's, through Selenium and chromedriver): a person types a
command and sees the photo; types a bad one and sees the private explanation; clicks a choice and sees that photo;
uses "Show CRM photo" from a message's ⋮ menu and sees the photo in that message's thread.

Skipped, loudly, only where Chromium or its driver is not installed; .ci/run installs both, so CI runs these.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.demo.browser import chromium, images_loaded, missing, send, wait_for
from bot.demo.process import DemoProcess
from tests.waiting import wait_until

WHY_NOT = missing()
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(WHY_NOT is not None, reason=f"BROWSER TESTS NOT RUN: {WHY_NOT}"),
]


@pytest.fixture
def page() -> Iterator[tuple[DemoProcess, Any]]:
    with DemoProcess() as demo, chromium() as driver:
        driver.get(demo.url + "/")
        yield demo, driver


def test_typing_a_command_shows_the_photo(page: tuple[DemoProcess, Any]) -> None:
    from selenium.webdriver.common.by import By

    demo, driver = page
    send(driver, "/crmphoto Contacts 1001", "#messages .event.photo img.photo")
    [img] = driver.find_elements(By.CSS_SELECTOR, "#messages img.photo")
    assert img.get_attribute("src").startswith(demo.url + "/demo/files/")
    images_loaded(driver)
    assert driver.execute_script("return arguments[0].naturalWidth", img) == 96
    caption = driver.find_element(By.CSS_SELECTOR, "#messages .event.photo .caption").text
    assert "Ada Lovelace" in caption and "Acme Corp" in caption


def test_typing_a_bad_command_shows_the_private_explanation(page: tuple[DemoProcess, Any]) -> None:
    from selenium.webdriver.common.by import By

    _, driver = page
    send(driver, "/crmphoto Widgets 7", "#messages .event.private .context")
    [reply] = [e for e in driver.find_elements(By.CSS_SELECTOR, "#messages .event.private") if "Code" in e.text]
    assert "Only visible to you" in reply.text and "UNKNOWN_MODULE" in reply.text and "Widgets" in reply.text
    assert driver.find_elements(By.CSS_SELECTOR, "#messages img.photo") == []


def test_clicking_a_choice_shares_that_photo(page: tuple[DemoProcess, Any]) -> None:
    from selenium.webdriver.common.by import By

    _, driver = page
    send(driver, "/crmphoto Jane Doe", "#messages button.choice")
    buttons = driver.find_elements(By.CSS_SELECTOR, "#messages button.choice")
    assert [b.text for b in buttons] == ["Share photo"] * 3
    buttons[2].click()
    wait_for(driver, "#messages .event.photo img.photo")
    assert "Initech" in driver.find_element(By.CSS_SELECTOR, "#messages .event.photo .caption").text
    assert driver.find_elements(By.CSS_SELECTOR, "#messages button.choice") == []  # the list was replaced


def test_a_narrow_window_puts_things_to_try_below_the_channel_and_still_works() -> None:
    """A phone or half a laptop screen: one column, nothing wider than the window, and the page still works."""
    from selenium.webdriver.common.by import By

    with DemoProcess() as demo, chromium(width=480, height=900) as driver:
        driver.get(demo.url + "/")
        wait_for(driver, "#try li")
        send(driver, "/crmphoto Contacts 1001", "#messages .event.photo img.photo")
        images_loaded(driver)
        viewport = driver.execute_script("return document.documentElement.clientWidth")
        assert viewport < 760  # the window really is narrow (Chromium may not go below about 500)
        assert driver.execute_script("return document.documentElement.scrollWidth") <= viewport  # no sideways scroll
        channel = driver.find_element(By.TAG_NAME, "main").rect
        things = driver.find_element(By.CSS_SELECTOR, "aside.help").rect
        assert things["y"] >= channel["y"] + channel["height"] - 1  # below the channel (to the pixel), not beside it
        assert things["width"] > viewport * 0.9 and channel["width"] > viewport * 0.9
        box = driver.find_element(By.ID, "box").rect
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport  # the message box fits
        [link] = driver.find_elements(By.LINK_TEXT, "Open in Zoho CRM")
        driver.get(link.get_attribute("href"))  # the local page, also narrow
        assert "Contacts 1001 (Ada Lovelace)" in driver.find_element(By.TAG_NAME, "main").text
        assert driver.execute_script("return document.documentElement.scrollWidth") <= viewport


def test_a_wide_window_keeps_things_to_try_beside_the_channel(page: tuple[DemoProcess, Any]) -> None:
    from selenium.webdriver.common.by import By

    _, driver = page
    wait_for(driver, "#try li")
    channel = driver.find_element(By.TAG_NAME, "main").rect
    things = driver.find_element(By.CSS_SELECTOR, "aside.help").rect
    assert things["x"] >= channel["x"] + channel["width"] and abs(things["y"] - channel["y"]) < 1


def test_the_language_picker_sets_the_stand_ins_slack_language(page: tuple[DemoProcess, Any]) -> None:
    """Picking 日本語 makes Slack's users.info answer ja-JP for the stand-in; a reload shows it picked."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    demo, driver = page
    wait_for(driver, "#language option")
    picker = Select(driver.find_element(By.ID, "language"))
    assert [o.text for o in picker.options] == ["English", "Deutsch", "Français", "Español", "Português (Brasil)",
                                                "日本語"]
    assert picker.first_selected_option.text == "English"
    picker.select_by_visible_text("日本語")

    def slack_says() -> str:
        return str(httpx.get(f"{demo.url}/demo/locale", timeout=5).json()["locale"])

    wait_until(lambda: slack_says() == "ja-JP", 15)
    driver.refresh()
    wait_for(driver, "#language option")
    assert Select(driver.find_element(By.ID, "language")).first_selected_option.get_attribute("value") == "ja-JP"
    send(driver, "/crmphoto Contacts 1001", "#messages .event.photo img.photo")  # and the next command works


def test_show_crm_photo_on_a_posted_message_puts_the_photo_in_its_thread(page: tuple[DemoProcess, Any]) -> None:
    """Post a plain message, open its ⋮ menu, pick Show CRM photo: the photo appears under it, "1 reply"."""
    from selenium.webdriver.common.by import By

    _, driver = page
    wait_for(driver, "#messages .event.message")  # the sample's ready messages
    ready = len(driver.find_elements(By.CSS_SELECTOR, "#messages > .event.message"))
    send(driver, "Can someone call ada@acme.example back?", "#messages .event.message")
    wait_until(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#messages > .event.message")) == ready + 1, 15)
    mine = driver.find_elements(By.CSS_SELECTOR, "#messages > .event.message")[-1]
    assert "ada@acme.example" in mine.find_element(By.CSS_SELECTOR, ".body").text
    menu = mine.find_element(By.CSS_SELECTOR, ".menu")
    assert not menu.is_displayed()
    mine.find_element(By.CSS_SELECTOR, "button.more").click()
    item = menu.find_element(By.CSS_SELECTOR, "button.shortcut")
    assert menu.is_displayed() and "Show CRM photo" in item.text
    item.click()
    wait_for(driver, "#messages .event.message .thread .event.photo img.photo")
    images_loaded(driver)
    assert not menu.is_displayed()
    thread = mine.find_element(By.CSS_SELECTOR, ".thread")
    assert thread.find_element(By.CSS_SELECTOR, ".count").text == "1 reply"
    assert "Ada Lovelace" in thread.find_element(By.CSS_SELECTOR, ".event.photo .caption").text
    assert driver.find_elements(By.CSS_SELECTOR, "#messages > .event.photo") == []  # not in the channel itself
    [looking] = [e for e in driver.find_elements(By.CSS_SELECTOR, "#messages > .event.private") if "ada@" in e.text]
    assert "Only visible to you" in looking.text
