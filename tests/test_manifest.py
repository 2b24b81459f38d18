"""`python -m bot manifest`: the Slack app manifest for an address and a Zoho data centre.

Every output is read back with a real YAML parser and checked against Slack's own manifest schema
(tests/reference/slack-manifest-schema-1.0.0.json); the YAML, the JSON and the create-app link must be one manifest.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot import __main__ as entry
from bot import datacentres, manifest, scopes

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "tests" / "reference" / "slack-manifest-schema-1.0.0.json").read_text(encoding="utf-8"))
MODES = [  # (flags, address the manifest is for or None for Socket Mode, require_crm_user)
    (["--url", "https://crmphoto-9f2c.herokuapp.com"], "https://crmphoto-9f2c.herokuapp.com", False),
    (["--socket-mode"], None, False),
    (["--url", "https://bots.example.org", "--require-crm-user"], "https://bots.example.org", True),
    (["--socket-mode", "--require-crm-user"], None, True),
]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = entry.main(["manifest", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def request_urls(data: dict[str, Any]) -> list[str]:
    """Every URL the manifest tells Slack to send requests to."""
    return ([c["url"] for c in data["features"]["slash_commands"] if "url" in c]
            + [data["settings"][part]["request_url"] for part in ("event_subscriptions", "interactivity")
               if "request_url" in data["settings"][part]])


def from_link(link: str) -> dict[str, Any]:
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "api.slack.com", "/apps")
    query = parse_qs(parts.query, strict_parsing=True)
    assert query["new_app"] == ["1"] and len(query["manifest_json"]) == 1
    return json.loads(query["manifest_json"][0])


@pytest.mark.parametrize(("flags", "address", "require_crm_user"), MODES)
def test_every_manifest_has_the_message_shortcut_and_no_scope_for_it(capsys: pytest.CaptureFixture[str],
                                                                     flags: list[str], address: str | None,
                                                                     require_crm_user: bool) -> None:
    import inspect

    from bot.fakes import harness

    status, out, _ = cli(capsys, *flags, "--json")
    assert status == 0
    data = json.loads(out)
    [shortcut] = data["features"]["shortcuts"]
    assert {k: shortcut[k] for k in ("name", "type", "callback_id")} == \
        {"name": "Show CRM photo", "type": "message", "callback_id": "crmphoto_message"}
    assert shortcut["description"] and manifest.SHORTCUT_ID == "crmphoto_message"
    assert inspect.signature(harness.message_shortcut_body).parameters["callback_id"].default == manifest.SHORTCUT_ID
    expected = [*scopes.SLACK_BOT_SCOPES, *([scopes.SLACK_CRM_USER_SCOPE] if require_crm_user else [])]
    assert data["oauth_config"]["scopes"]["bot"] == expected  # "commands" covers shortcuts: nothing new to grant
    assert data["settings"]["interactivity"]["is_enabled"] is True  # shortcuts arrive as interactions


def test_checked_in_manifest_is_the_commands_output_for_placeholders(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli(capsys, "--url", manifest.PLACEHOLDER_URL, "--dc", "us")
    assert status == 0
    assert (ROOT / "manifest.yml").read_text(encoding="utf-8") == out
    assert out.startswith(f"# Slack app manifest for crmphoto, made by: python -m bot manifest --url "
                          f"{manifest.PLACEHOLDER_URL} --dc us\n")


@pytest.mark.parametrize("typed", ["https://crmphoto-9f2c.herokuapp.com", "https://crmphoto-9f2c.herokuapp.com/",
                                   "https://crmphoto-9f2c.herokuapp.com/slack/events",
                                   "  https://crmphoto-9f2c.herokuapp.com/slack/events/ "])
def test_every_request_url_is_the_address_slash_slack_events(capsys: pytest.CaptureFixture[str], typed: str) -> None:
    status, out, _ = cli(capsys, "--url", typed, "--json")
    assert status == 0
    data = json.loads(out)
    assert request_urls(data) == ["https://crmphoto-9f2c.herokuapp.com/slack/events"] * 3
    assert data["settings"]["socket_mode_enabled"] is False


def test_an_address_behind_a_path_keeps_its_path(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli(capsys, "--url", "https://gateway.example.org:8443/crmphoto", "--json")
    assert status == 0
    assert request_urls(json.loads(out)) == ["https://gateway.example.org:8443/crmphoto/slack/events"] * 3


@pytest.mark.parametrize("dc", datacentres.DATA_CENTRES, ids=lambda dc: dc.key)
def test_each_data_centre_unfurls_its_own_crm_host(capsys: pytest.CaptureFixture[str],
                                                   dc: datacentres.DataCentre) -> None:
    status, out, _ = cli(capsys, "--url", "https://a.example", "--dc", dc.key)
    assert status == 0
    data = yaml.safe_load(out)
    assert data["features"]["unfurl_domains"] == [dc.crm_web_host]
    assert f"--dc {dc.key}" in out.splitlines()[0]


def test_dc_also_takes_the_crm_address_from_the_browser(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli(capsys, "--url", "https://a.example", "--dc", "https://crm.zoho.com.au/crm/org7/tab/Home")
    assert status == 0
    assert yaml.safe_load(out)["features"]["unfurl_domains"] == ["crm.zoho.com.au"]


def test_without_dc_the_us_host_unfurls(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli(capsys, "--url", "https://a.example")
    assert status == 0
    assert yaml.safe_load(out)["features"]["unfurl_domains"] == ["crm.zoho.com"]


@pytest.mark.parametrize(("flags", "address", "crm_user"), MODES)
def test_yaml_json_and_link_are_one_manifest(capsys: pytest.CaptureFixture[str], flags: list[str],
                                             address: str | None, crm_user: bool) -> None:
    outputs = {}
    for shape in ([], ["--json"], ["--link"]):
        status, out, err = cli(capsys, *flags, "--dc", "eu", *shape)
        assert status == 0 and err == ""
        outputs[tuple(shape)] = out
    from_yaml = yaml.safe_load(outputs[()])
    link = outputs[("--link",)]
    assert link.count("\n") == 1 and link.startswith(manifest.CREATE_APP_LINK)
    assert " " not in link.strip()
    assert from_yaml == json.loads(outputs[("--json",)]) == from_link(link.strip())
    assert from_yaml == manifest.build(address, datacentres.BY_KEY["eu"], crm_user)


@pytest.mark.parametrize(("flags", "address", "crm_user"), MODES)
@pytest.mark.parametrize("dc", datacentres.DATA_CENTRES, ids=lambda dc: dc.key)
def test_every_manifest_is_valid_for_slack(flags: list[str], address: str | None, crm_user: bool,
                                           dc: datacentres.DataCentre) -> None:
    jsonschema.validate(manifest.build(address, dc, crm_user), SCHEMA)


def test_socket_mode_has_no_request_urls_and_keeps_the_rest(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli(capsys, "--socket-mode", "--dc", "in")
    assert status == 0
    data = yaml.safe_load(out)
    assert request_urls(data) == []
    assert "/slack/events" not in out and "http" not in json.dumps(data)
    assert data["settings"]["socket_mode_enabled"] is True
    assert data["settings"]["interactivity"] == {"is_enabled": True}
    assert data["settings"]["event_subscriptions"] == {"bot_events": list(manifest.BOT_EVENTS)}
    http = manifest.build("https://a.example", datacentres.BY_KEY["in"])
    assert data["oauth_config"] == http["oauth_config"]
    assert data["features"]["unfurl_domains"] == http["features"]["unfurl_domains"] == ["crm.zoho.in"]


def test_require_crm_user_adds_the_email_scope_only_then(capsys: pytest.CaptureFixture[str]) -> None:
    plain = yaml.safe_load(cli(capsys, "--url", "https://a.example")[1])
    strict = yaml.safe_load(cli(capsys, "--url", "https://a.example", "--require-crm-user")[1])
    assert plain["oauth_config"]["scopes"]["bot"] == list(scopes.SLACK_BOT_SCOPES)
    assert strict["oauth_config"]["scopes"]["bot"] == [*scopes.SLACK_BOT_SCOPES, scopes.SLACK_CRM_USER_SCOPE]


def test_the_events_are_the_ones_the_bot_listens_to() -> None:
    source = (ROOT / "bot" / "slack" / "listeners.py").read_text(encoding="utf-8")
    assert set(re.findall(r'app\.event\("([a-z_]+)"\)', source)) == set(manifest.BOT_EVENTS)


def test_every_scope_and_event_says_why_in_a_comment(capsys: pytest.CaptureFixture[str]) -> None:
    out = cli(capsys, "--url", "https://a.example", "--require-crm-user")[1]
    for name in (*scopes.SLACK_BOT_SCOPES, scopes.SLACK_CRM_USER_SCOPE, *manifest.BOT_EVENTS):
        [line] = [line for line in out.splitlines() if line.strip().startswith(f"- {name} ")]
        assert re.search(r"#\s+\S", line), f"{name} has no comment"


def test_usage_hint_teaches_every_way_to_find_someone() -> None:
    hint = manifest.build(None, datacentres.DEFAULT)["features"]["slash_commands"][0]["usage_hint"]
    for way in ("email", "phone", "name", "module", "record id", "link"):
        assert way in hint, way


@pytest.mark.parametrize("typed", ["http://a.example", "a.example", "https://", "https://a.example/?x=1",
                                   "https://a.example/#top", "ftp://a.example", "https://a example.org",
                                   "https://user:pw@a.example", "https://a.example:http", "https://[a.example"])
def test_an_address_slack_cannot_use_is_bad_usage(capsys: pytest.CaptureFixture[str], typed: str) -> None:
    status, out, err = cli(capsys, "--url", typed)
    assert (status, out) == (2, "")
    assert "not an address Slack can send requests to" in err and "https://" in err


@pytest.mark.parametrize("args", [[], ["--url", "https://a.example", "--socket-mode"], ["--url", "https://a.example",
                                  "--dc", "mars"], ["--url", "https://a.example", "--json", "--link"]])
def test_bad_usage_exits_2_and_prints_no_manifest(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    status, out, err = cli(capsys, *args)
    assert (status, out) == (2, "")
    assert "usage: python -m bot manifest" in err


def test_bad_data_centre_names_the_keys(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = cli(capsys, "--url", "https://a.example", "--dc", "mars")
    assert "'mars' is not a Zoho data centre" in err and "us, eu, in, au, jp, cn, ca, sa, uk" in err


@given(st.text(max_size=60))
def test_any_text_survives_the_yaml_writer(text: str) -> None:
    assert yaml.safe_load(f"key: {manifest.scalar(text)}\n") == {"key": text}


@pytest.mark.parametrize("text", ["yes", "No", "true", "null", "~", "on", "a: b", "a #b", "#c", "- x", "[x]", "'q'",
                                  "1.5", "0x1f", "2024-01-01", "", " lead", "trail ", "ok, fine"])
def test_yaml_words_and_symbols_stay_strings(text: str) -> None:
    assert yaml.safe_load(f"key: {manifest.scalar(text)}\n") == {"key": text}


def test_data_centres_from_keys_and_addresses() -> None:
    found = {typed: getattr(datacentres.find(typed), "key", None) for typed in (
        "eu", " JP ", "https://crm.zoho.com.au/crm/org1/tab/Home", "crm.zoho.com", "crm.zohocloud.ca",
        "https://one.zoho.com.cn", "https://crm.zoho.eu:443/", "crm.zoho.comm", "zoho", "", "[x")}
    assert found == {"eu": "eu", " JP ": "jp", "https://crm.zoho.com.au/crm/org1/tab/Home": "au",
                     "crm.zoho.com": "us", "crm.zohocloud.ca": "ca", "https://one.zoho.com.cn": "cn",
                     "https://crm.zoho.eu:443/": "eu", "crm.zoho.comm": None, "zoho": None, "": None, "[x": None}
    assert {dc.key: dc.api_console for dc in datacentres.DATA_CENTRES}["ca"] == "https://api-console.zohocloud.ca"
    assert datacentres.BY_KEY["au"].api_console == "https://api-console.zoho.com.au"
