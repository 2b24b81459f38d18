"""`python -m bot`'s command line: modes as subcommands, `serve` by default, bad usage refused with exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot import __main__ as entry

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def no_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No Slack/Zoho settings and no .env: whatever mode runs, it cannot reach anything real."""
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "ZOHO_CLIENT_ID",
                 "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_help_lists_the_modes_and_the_settings_each_needs(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "serve" in out and "photo" in out
    serve_part, photo_part = out.split("photo settings")
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "ZOHO_CLIENT_ID",
                 "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN"):
        assert name in serve_part
    for name in ("ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN"):
        assert name in photo_part
    assert "SLACK_" not in photo_part


@pytest.mark.parametrize("argv", [["help"], ["serve", "--help"]])
def test_other_help_forms_exit_0(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.main(argv) == 0
    assert "SLACK_BOT_TOKEN" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["photo", "help"], ["photo", "--help"], ["photo", "-h"]])
def test_photo_help_exits_0_with_the_photo_usage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.main(argv) == 0
    out = capsys.readouterr().out
    assert "usage: python -m bot photo" in out and "--output" in out


@pytest.mark.parametrize("argv", [["bogus"], ["--verbose"], ["serve", "extra"], ["serve", "--port", "80"],
                                  ["--x", "photo", "Contacts", "1"]])
def test_unknown_arguments_are_refused_with_the_usage(
    argv: list[str], capsys: pytest.CaptureFixture[str], no_settings: None
) -> None:
    assert entry.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m bot") and "error:" in err
    assert "cannot start" not in err  # refused before trying to serve


@pytest.mark.parametrize("argv", [[], ["serve"]])
def test_serve_is_the_default_mode(argv: list[str], capsys: pytest.CaptureFixture[str], no_settings: None) -> None:
    assert entry.main(argv) == 2  # it went on to load the (missing) settings
    assert "SLACK_BOT_TOKEN is missing" in capsys.readouterr().err


def test_photo_arguments_reach_the_photo_command(capsys: pytest.CaptureFixture[str], no_settings: None) -> None:
    assert entry.main(["photo", "Contacts", "123", "-o", "out.jpg"]) == 2  # parsed, then stopped on settings
    err = capsys.readouterr().err
    assert "ZOHO_CLIENT_ID is missing" in err and "SLACK_" not in err


def test_the_real_process_refuses_an_unknown_option(tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bot", "--no-such-option"], cwd=tmp_path, capture_output=True, text=True,
        timeout=60, check=False, env={"PATH": "", "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 2
    assert "usage: python -m bot" in result.stderr and "--no-such-option" in result.stderr
    assert "Traceback" not in result.stderr
