"""The admin command line, `python -m bot photo Module ID`, run as a real process against a FakeZoho."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.fakes import zoho as fz
from bot.fakes.zoho import FakeZoho, Record
from tests.conftest import SECRETS

ROOT = Path(__file__).resolve().parents[1]
PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 16 + b"\xff\xd9"


def cli_env(fake: FakeZoho, **overrides: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ZOHO_", "ALLOWED_"))}
    env.update({
        "ZOHO_CLIENT_ID": fz.CLIENT_ID,
        "ZOHO_CLIENT_SECRET": fz.CLIENT_SECRET,
        "ZOHO_REFRESH_TOKEN": fz.REFRESH_TOKEN,
        "ZOHO_ACCOUNTS_URL": fake.url,
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
    })
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bot", "photo", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False,
    )


def assert_no_secrets(result: subprocess.CompletedProcess[str], *extra: str) -> None:
    output = result.stdout + result.stderr
    for secret in (*SECRETS, *extra):
        assert secret not in output, f"{secret!r} leaked:\n{output}"


def test_success_writes_the_exact_bytes(fake_zoho: FakeZoho, tmp_path: Path) -> None:
    fake_zoho.add_record("Contacts", "12345", Record(content=PHOTO))
    result = run(tmp_path, cli_env(fake_zoho), "Contacts", "12345", "-o", "out.jpg")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.jpg").read_bytes() == PHOTO
    assert "out.jpg" in result.stdout and str(len(PHOTO)) in result.stdout
    assert fake_zoho.photo_calls() == 1
    assert_no_secrets(result)


def test_record_link_and_lower_case_module(fake_zoho: FakeZoho, tmp_path: Path) -> None:
    fake_zoho.add_record("Contacts", "12345", Record(content=PHOTO))
    env = cli_env(fake_zoho)
    link = run(tmp_path, env, "https://crm.zoho.com/crm/org1/tab/Contacts/12345", "-o", "a.jpg")
    typed = run(tmp_path, env, "contact", "12345", "-o", "b.jpg")
    assert (link.returncode, typed.returncode) == (0, 0), link.stderr + typed.stderr
    assert (tmp_path / "a.jpg").read_bytes() == PHOTO == (tmp_path / "b.jpg").read_bytes()


def test_zoho_error_is_explained_on_stderr(fake_zoho: FakeZoho, tmp_path: Path) -> None:
    fake_zoho.add_record("Contacts", "12345", Record(error="NO_PERMISSION"))
    result = run(tmp_path, cli_env(fake_zoho), "Contacts", "12345", "-o", "out.jpg")
    assert result.returncode == 1
    assert "isn't allowed to download images" in result.stderr
    assert "Contacts 12345" in result.stderr
    assert "NO_PERMISSION" in result.stderr
    assert "*" not in result.stderr  # mrkdwn stripped for the terminal
    assert "Traceback" not in result.stderr
    assert "✗ NO_PERMISSION" in result.stderr and "  fix:" in result.stderr and "HTTP None" not in result.stderr
    assert not (tmp_path / "out.jpg").exists()
    assert result.stdout == ""


def test_no_photo_exits_1(fake_zoho: FakeZoho, tmp_path: Path) -> None:
    fake_zoho.add_record("Contacts", "12345", Record(content=None))
    result = run(tmp_path, cli_env(fake_zoho), "Contacts", "12345", "-o", "out.jpg")
    assert result.returncode == 1
    assert "has no photo" in result.stderr and "NO_PHOTO" in result.stderr
    assert not (tmp_path / "out.jpg").exists()
    assert fake_zoho.photo_calls() == 1


def test_unknown_module_exits_1_without_a_photo_call(fake_zoho: FakeZoho, tmp_path: Path) -> None:
    result = run(tmp_path, cli_env(fake_zoho), "Contcts", "12345")
    assert result.returncode == 1
    assert "UNKNOWN_MODULE" in result.stderr and "Did you mean Contacts?" in result.stderr
    assert fake_zoho.photo_calls() == 0


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (("Contacts", "abc"), "abc isn't a record id"),
        (("Contacts", "12a"), "12a isn't a record id"),
        (("12345",), "Which module is record 12345 in?"),
        (("https://evil.com/crm/tab/Contacts/1",), "doesn't look like a Zoho CRM record link"),
        # A terminal is not Slack: what is typed there is read as it is, never as Slack's escapes or wrapping.
        (("Contacts", "<ID>"), "<ID> is a placeholder"),
        (("Contacts", "12&lt;3"), "12&lt;3 isn't a record id"),
    ],
)
def test_bad_input_exits_2_with_a_hint_and_no_zoho_request(
    fake_zoho: FakeZoho, tmp_path: Path, args: tuple[str, ...], hint: str
) -> None:
    result = run(tmp_path, cli_env(fake_zoho), *args)
    assert result.returncode == 2
    assert hint in result.stderr
    assert fake_zoho.seen == [] and fake_zoho.token_requests == 0


def test_missing_config_exits_2_naming_every_missing_variable(fake_zoho: FakeZoho, tmp_path: Path) -> None:
    env = cli_env(fake_zoho, ZOHO_CLIENT_ID=None, ZOHO_CLIENT_SECRET=None, ZOHO_REFRESH_TOKEN=None)
    result = run(tmp_path, env, "Contacts", "12345")
    assert result.returncode == 2
    for name in ("ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN"):
        assert name in result.stderr
    assert "Traceback" not in result.stderr
    assert fake_zoho.seen == [] and fake_zoho.token_requests == 0


def test_one_missing_variable_is_the_only_one_named(fake_zoho: FakeZoho, tmp_path: Path) -> None:
    result = run(tmp_path, cli_env(fake_zoho, ZOHO_REFRESH_TOKEN=None), "Contacts", "12345")
    assert result.returncode == 2
    assert "ZOHO_REFRESH_TOKEN" in result.stderr
    assert "ZOHO_CLIENT_ID is missing" not in result.stderr
    assert_no_secrets(result)


@pytest.mark.parametrize("record", [Record(content=PHOTO), Record(error="NO_PERMISSION"), Record(content=None)])
def test_secrets_never_printed_even_verbose(fake_zoho: FakeZoho, tmp_path: Path, record: Record) -> None:
    fake_zoho.add_record("Contacts", "12345", record)
    result = run(tmp_path, cli_env(fake_zoho), "Contacts", "12345", "-o", "out.jpg", "-v")
    assert "zoho token: refreshed" in result.stderr  # -v really logs the Zoho calls, each one
    assert "GET " in result.stderr and "/crm/v8/Contacts/12345/photo" in result.stderr
    assert fake_zoho.tokens_issued == 1
    assert_no_secrets(result)


def test_wrong_refresh_token_is_explained_without_printing_it(fake_zoho: FakeZoho, tmp_path: Path) -> None:
    wrong = "1000.wrong-refresh-token-0123456789abcdef"
    result = run(tmp_path, cli_env(fake_zoho, ZOHO_REFRESH_TOKEN=wrong), "Contacts", "12345", "-v")
    assert result.returncode == 1
    assert "INVALID_REFRESH_TOKEN" in result.stderr
    assert_no_secrets(result, wrong)


def test_output_directory_uses_zohos_file_name(fake_zoho: FakeZoho, tmp_path: Path) -> None:
    fake_zoho.add_record("Contacts", "12345", Record(content=PHOTO, disposition='attachment; filename="jane doe.jpg"'))
    (tmp_path / "photos").mkdir()
    result = run(tmp_path, cli_env(fake_zoho), "Contacts", "12345", "-o", "photos")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "photos" / "jane doe.jpg").read_bytes() == PHOTO
    assert list((tmp_path / "photos").iterdir()) == [tmp_path / "photos" / "jane doe.jpg"]


def test_output_directory_without_zoho_name_uses_module_and_id(fake_zoho: FakeZoho, tmp_path: Path) -> None:
    fake_zoho.add_record("Contacts", "12345", Record(content=b"\x89PNG\r\n\x1a\n" + PHOTO, content_type="image/png"))
    (tmp_path / "photos").mkdir()
    result = run(tmp_path, cli_env(fake_zoho), "Contacts", "12345", "-o", "photos")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "photos" / "Contacts-12345.png").read_bytes() == b"\x89PNG\r\n\x1a\n" + PHOTO


def test_unwritable_output_is_save_failed(fake_zoho: FakeZoho, tmp_path: Path) -> None:
    fake_zoho.add_record("Contacts", "12345", Record(content=PHOTO))
    result = run(tmp_path, cli_env(fake_zoho), "Contacts", "12345", "-o", "missing/dir/out.jpg")
    assert result.returncode == 1
    assert "SAVE_FAILED" in result.stderr and "couldn't be saved" in result.stderr
    assert "Traceback" not in result.stderr


def test_existing_file_is_never_overwritten_without_force(fake_zoho: FakeZoho, tmp_path: Path) -> None:
    fake_zoho.add_record("Contacts", "12345", Record(content=PHOTO))
    (tmp_path / "out.jpg").write_bytes(b"precious")
    result = run(tmp_path, cli_env(fake_zoho), "Contacts", "12345", "-o", "out.jpg")
    assert result.returncode == 1
    assert "FILE_EXISTS" in result.stderr and "--force" in result.stderr and "out.jpg" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert (tmp_path / "out.jpg").read_bytes() == b"precious"
    assert fake_zoho.photo_calls() == 1


def test_existing_file_in_an_output_directory_is_not_overwritten(fake_zoho: FakeZoho, tmp_path: Path) -> None:
    fake_zoho.add_record("Contacts", "12345", Record(content=PHOTO, disposition='attachment; filename="jane.jpg"'))
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "jane.jpg").write_bytes(b"precious")
    result = run(tmp_path, cli_env(fake_zoho), "Contacts", "12345", "-o", "photos")
    assert result.returncode == 1 and "FILE_EXISTS" in result.stderr
    assert (tmp_path / "photos" / "jane.jpg").read_bytes() == b"precious"


@pytest.mark.parametrize("flag", ["--force", "-f"])
def test_force_overwrites_and_leaves_no_temporary_file(fake_zoho: FakeZoho, tmp_path: Path, flag: str) -> None:
    fake_zoho.add_record("Contacts", "12345", Record(content=PHOTO))
    (tmp_path / "out.jpg").write_bytes(b"old")
    (tmp_path / "out.jpg").chmod(0o640)
    result = run(tmp_path, cli_env(fake_zoho), "Contacts", "12345", "-o", "out.jpg", flag)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.jpg").read_bytes() == PHOTO
    assert (tmp_path / "out.jpg").stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jpg"]


def test_force_without_an_existing_file_writes_it(fake_zoho: FakeZoho, tmp_path: Path) -> None:
    fake_zoho.add_record("Contacts", "12345", Record(content=PHOTO))
    result = run(tmp_path, cli_env(fake_zoho), "Contacts", "12345", "-o", "new.jpg", "--force")
    plain = run(tmp_path, cli_env(fake_zoho), "Contacts", "12345", "-o", "plain.jpg")
    assert (result.returncode, plain.returncode) == (0, 0), result.stderr + plain.stderr
    assert (tmp_path / "new.jpg").read_bytes() == PHOTO
    assert (tmp_path / "new.jpg").stat().st_mode == (tmp_path / "plain.jpg").stat().st_mode
