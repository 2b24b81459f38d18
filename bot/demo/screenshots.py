"""`python -m bot.demo.screenshots docs/`: the README's pictures of the demo, taken in a headless Chromium.

Writes `demo-photo.png` (a record's photo shared in the channel) and `demo-explanation.png` (a private
explanation) into the folder given. Starts its own `python -m bot demo` on a free port and stops it after.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.demo.browser import chromium, images_loaded, missing, send
from bot.demo.process import DemoProcess

SHOTS = {
    "demo-photo.png": ("/crmphoto ada@acme.example", "#messages img.photo"),
    "demo-explanation.png": ("/crmphoto Leads 2002", "#messages .event.private .context"),
}


def take(folder: Path) -> list[Path]:
    """One fresh demo and browser per picture, so each shows only its own exchange."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (text, wait_for) in SHOTS.items():
        with DemoProcess() as demo, chromium(1280, 860) as driver:
            driver.get(demo.url + "/")
            send(driver, text, wait_for)
            images_loaded(driver)
            path = folder / name
            driver.save_screenshot(str(path))
            written.append(path)
    return written


def main(argv: list[str]) -> int:
    why = missing()
    if why:
        print(f"cannot take screenshots: {why}", file=sys.stderr)
        return 1
    for path in take(Path(argv[0] if argv else "docs")):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
