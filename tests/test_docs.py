"""The README and the deployment files must say what the code does.

Each test compares a document with the code it describes (the error CATALOGUE, the settings read by
bot/config.py, the slash command, the CI script), so neither can change without the other.
"""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from dotenv import dotenv_values

from bot import config, datacentres, messages, scopes
from bot.config import ConfigError, load_settings
from bot.records import SearchKind

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CONFIG_SOURCE = ROOT / "bot" / "config.py"

FIXER_LABELS = {messages.Fixer.YOU: "you", messages.Fixer.ADMIN: "admin", messages.Fixer.CRM_USER: "CRM user"}
ERRORS_HEADER = ["Code", "What the user sees", "Who fixes it", "What to do"]
MANIFEST_SCOPES = {
    "commands", "chat:write", "files:write", "channels:join", "im:write", "users:read", "usergroups:read",
    "links:read", "links:write", "channels:read", "groups:read", "im:read", "mpim:read",
}
MAX_UNFURL_DOMAINS = 5  # the manifest schema's maxItems for features.unfurl_domains
PLATFORM_SET = {"PORT"}  # Heroku sets it for every web dyno; app.json must not ask for it
DUMMY_REQUIRED = {
    "SLACK_BOT_TOKEN": "xoxb-dummy",
    "SLACK_SIGNING_SECRET": "dummy-signing-secret",
    "ZOHO_CLIENT_ID": "dummy-client-id",
    "ZOHO_CLIENT_SECRET": "dummy-client-secret",
    "ZOHO_REFRESH_TOKEN": "dummy-refresh-token",
}


# --- Reading the documents ---------------------------------------------------------------------------

def section(markdown: str, heading: str) -> str:
    """The text under `## heading` (or deeper), up to the next heading of the same or a higher level."""
    match = re.search(rf"^(#+) {re.escape(heading)}[ \t]*$", markdown, re.MULTILINE)
    assert match, f"README has no heading {heading!r}"
    level = len(match.group(1))
    rest = markdown[match.end():]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


def table_rows(text: str) -> list[list[str]]:
    """Markdown table rows (header first, separator dropped), cells stripped of spaces and backticks."""
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("|"):
            continue
        cells = [c.strip().strip("`").strip() for c in line.strip("|").split("|")]
        if all(re.fullmatch(r":?-+:?", c) for c in cells):
            continue
        rows.append(cells)
    return rows


def fenced_blocks(text: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"^```[a-z]*\n(.*?)^```", text, re.MULTILINE | re.DOTALL)]


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def app_json() -> dict[str, Any]:
    return json.loads((ROOT / "app.json").read_text(encoding="utf-8"))


# --- What bot/config.py reads ------------------------------------------------------------------------

def names_in_config_source() -> set[str]:
    """Names a call in bot/config.py reads: `env.get("NAME"`, `required("NAME"`, `_flag(env, "NAME"`, …"""
    source = CONFIG_SOURCE.read_text(encoding="utf-8")
    return set(re.findall(r"[\w.]+\(\s*(?:env\s*,\s*)?\"([A-Z][A-Z0-9_]*)\"", source))


class RecordingEnv(Mapping[str, str]):
    """An empty environment that remembers every name the settings code looks up."""

    def __init__(self) -> None:
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return default

    def __contains__(self, key: object) -> bool:
        self.asked.add(str(key))
        return False

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


@pytest.fixture(scope="module")
def config_names() -> set[str]:
    """Every setting bot/config.py reads, found in its source and confirmed by running it."""
    recorder = RecordingEnv()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(config, "read_environment", lambda env=None, dotenv_path=".env": recorder)
        for load in (config.load_settings, config.load_zoho_settings):
            with pytest.raises(ConfigError):
                load()
    from_source = names_in_config_source()
    assert from_source == recorder.asked, "the source regex and the settings actually read disagree"
    assert {"SLACK_BOT_TOKEN", "ZOHO_REFRESH_TOKEN", "PORT"} <= from_source
    return from_source


def missing_when_empty() -> set[str]:
    """The settings the bot refuses to start without (HTTP mode), as its own error message names them."""
    with pytest.raises(ConfigError) as info:
        load_settings(env={})
    return {m.group(1) for p in info.value.problems if (m := re.match(r"([A-Z][A-Z0-9_]+) is missing", p))}


def test_required_settings_are_the_five_credentials() -> None:
    assert missing_when_empty() == set(DUMMY_REQUIRED)
    load_settings(env=DUMMY_REQUIRED)  # and those five are enough


# --- (a) The error table and the catalogue -----------------------------------------------------------

def test_every_fixer_has_a_label() -> None:
    assert set(FIXER_LABELS) == set(messages.Fixer)


def doc(name: str) -> str:
    return (ROOT / "docs" / name).read_text(encoding="utf-8")


def test_error_table_matches_catalogue() -> None:
    rows = table_rows(section(doc("errors.md"), "What the errors mean"))
    assert rows and rows[0] == ERRORS_HEADER
    body = rows[1:]
    assert all(len(r) == len(ERRORS_HEADER) for r in body), "every row has the four columns"
    assert all(r[1] and r[3] for r in body), "every row says what the user sees and what to do"
    codes = [r[0] for r in body]
    assert len(codes) == len(set(codes)), "a code appears twice in the table"
    assert set(codes) - set(messages.CATALOGUE) == set(), "the table lists codes the catalogue doesn't have"
    assert set(messages.CATALOGUE) - set(codes) == set(), "catalogue codes missing from the README table"
    who = {r[0]: r[2] for r in body}
    for code, (_what, _todo, fixer) in messages.CATALOGUE.items():
        assert who[code] == FIXER_LABELS[fixer], f"{code}: README says {who[code]!r}, catalogue says {fixer}"


def test_errors_section_is_linked_from_config_hint() -> None:
    """ConfigError tells admins which document lists the settings; it must exist and list them."""
    match = re.search(r"(docs/[a-z]+\.md)", config.README_HINT)
    assert match
    assert section((ROOT / match.group(1)).read_text(encoding="utf-8"), "Configuration").strip()


# --- (b) The Slack app manifest ----------------------------------------------------------------------

def test_manifest_has_the_command_and_scopes(manifest: dict[str, Any]) -> None:
    assert manifest["display_information"]["name"] == "crmphoto"
    assert manifest["features"]["bot_user"] == {"display_name": "crmphoto", "always_online": True}
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [messages.COMMAND]
    command = commands[0]
    assert command["url"].startswith("https://") and command["url"].endswith("/slack/events")
    assert command["description"] and command["usage_hint"]
    assert command["should_escape"] is False
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == MANIFEST_SCOPES
    assert len(manifest["oauth_config"]["scopes"]["bot"]) == len(MANIFEST_SCOPES)
    settings = manifest["settings"]
    assert settings["interactivity"] == {"is_enabled": True, "request_url": command["url"]}
    assert settings["socket_mode_enabled"] is False  # HTTP mode, as the Procfile's web process serves
    assert settings["org_deploy_enabled"] is False and settings["token_rotation_enabled"] is False


def test_package_scope_list_is_the_manifests(manifest: dict[str, Any]) -> None:
    """`python -m bot doctor` checks against bot/scopes.py (an installed bot has no manifest.yml): same scopes."""
    asked = manifest["oauth_config"]["scopes"]["bot"]
    assert sorted(scopes.SLACK_BOT_SCOPES) == sorted(asked)
    assert len(set(scopes.SLACK_BOT_SCOPES)) == len(scopes.SLACK_BOT_SCOPES)


def test_manifest_unfurls_zoho_record_links(manifest: dict[str, Any]) -> None:
    url = manifest["features"]["slash_commands"][0]["url"]
    events = ["link_shared", "channel_shared", "channel_unshared"]
    assert manifest["settings"]["event_subscriptions"] == {"request_url": url, "bot_events": events}
    domains = manifest["features"]["unfurl_domains"]
    assert domains == [datacentres.DEFAULT.crm_web_host]
    assert len(domains) <= MAX_UNFURL_DOMAINS
    links = section(doc("slack.md"), "Record links in conversations")
    for dc in datacentres.DATA_CENTRES:
        assert f"`{dc.crm_web_host}`" in links, f"README doesn't say which host to add for {dc.key}"


def test_docs_explain_every_manifest_scope(manifest: dict[str, Any]) -> None:
    rows = table_rows(section(doc("slack.md"), "Slack: creating the app"))
    assert rows[0][0] == "Scope"
    assert {r[0] for r in rows[1:]} == set(manifest["oauth_config"]["scopes"]["bot"])
    assert all(r[1] for r in rows[1:])


# --- (c) app.json and the settings -------------------------------------------------------------------

def test_app_json_env_is_every_setting(app_json: dict[str, Any], config_names: set[str]) -> None:
    assert set(app_json["env"]) == config_names - PLATFORM_SET
    for name, spec in app_json["env"].items():
        assert spec.get("description"), f"{name} has no description"


def test_app_json_requires_exactly_the_credentials(app_json: dict[str, Any]) -> None:
    required = missing_when_empty()
    for name, spec in app_json["env"].items():
        assert spec.get("required") is (name in required), f"{name}: required should be {name in required}"
        if name in required:
            assert "value" not in spec, f"{name} is a secret: no default value in app.json"


def test_app_json_defaults_are_the_code_defaults(app_json: dict[str, Any]) -> None:
    values = {name: spec["value"] for name, spec in app_json["env"].items() if "value" in spec}
    assert values, "app.json should show the defaults"
    assert load_settings(env={**DUMMY_REQUIRED, **values}) == load_settings(env=DUMMY_REQUIRED)


def test_app_json_runs_the_procfile(app_json: dict[str, Any]) -> None:
    procfile = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip()
    )
    assert {k: v.strip() for k, v in procfile.items()} == {"web": "python -m bot"}
    assert set(app_json["formation"]) == set(procfile)
    assert app_json["formation"]["web"]["quantity"] >= 1
    assert [b["url"] for b in app_json["buildpacks"]] == ["heroku/python"]


# --- (d) .env.example and the README's configuration table -------------------------------------------

def test_env_example_lists_every_setting(config_names: set[str]) -> None:
    path = ROOT / ".env.example"
    names = re.findall(r"^([A-Z][A-Z0-9_]*)=", path.read_text(encoding="utf-8"), re.MULTILINE)
    assert len(names) == len(set(names)), "a setting appears twice in .env.example"
    assert set(names) == config_names


def test_env_example_as_copied_only_lacks_credentials() -> None:
    values = {k: v or "" for k, v in dotenv_values(ROOT / ".env.example").items()}
    assert not any(v for k, v in values.items() if k in DUMMY_REQUIRED), "credentials must be left blank"
    with pytest.raises(ConfigError) as info:
        load_settings(env=values)
    assert all(" is missing" in p for p in info.value.problems), info.value.problems
    assert load_settings(env={**values, **DUMMY_REQUIRED}) == load_settings(env=DUMMY_REQUIRED)


def test_configuration_table_lists_every_setting(config_names: set[str]) -> None:
    rows = table_rows(section(doc("configuration.md"), "Configuration"))
    assert rows[0][:2] == ["Variable", "Required"]
    documented = {r[0]: r[1] for r in rows[1:]}
    assert set(documented) == config_names
    for name in missing_when_empty():
        assert documented[name] in ("yes", "in HTTP mode"), f"README should say {name} is required"
    for name in config_names - missing_when_empty():
        assert documented[name] == "no", f"README should say {name} is optional"


def test_docs_data_centres_match_config() -> None:
    rows = table_rows(section(doc("zoho.md"), "1. Find your data centre"))
    assert rows[0][0] == "ZOHO_DC"
    table = {r[0].split("`")[0].split()[0]: (r[1], r[2]) for r in rows[1:]}
    assert table == config.DATA_CENTRES


# --- (e) The quick start and .ci/run ---------------------------------------------------------------

def try_it_lines(readme: str) -> list[str]:
    """The lines of "Try it in one minute"'s one code block: the install line, then the demo."""
    blocks = fenced_blocks(section(readme, "Try it in one minute"))
    assert len(blocks) == 1, "one code block to try it"
    return [line.strip() for line in blocks[0].strip().splitlines()]


def readme_test_command(readme: str) -> str:
    """The one line of "Run the tests": set up, then pytest."""
    blocks = fenced_blocks(section(readme, "Run the tests"))
    assert len(blocks) == 1 and len(blocks[0].strip().splitlines()) == 1, "one command, on one line, to test it"
    return blocks[0].strip()


def test_quick_start_commands(readme: str) -> None:
    install, demo = try_it_lines(readme)
    test = readme_test_command(readme).split(" && ")
    assert install.split(" && ") == test[:-1], "trying it and testing it set up the environment the same way"
    assert "pip install -e '.[dev]'" in test
    assert test[-1] == "pytest"
    assert demo == "python -m bot demo"


def test_ci_runs_the_readme_test_command(readme: str) -> None:
    script = ROOT / ".ci" / "run"
    assert script.stat().st_mode & stat.S_IXUSR, ".ci/run must be executable"
    text = script.read_text(encoding="utf-8")
    assert "set -euo pipefail" in text
    test = readme_test_command(readme).split(" && ")
    venv, install, pytest_step = test[0], test[2], test[-1]
    assert venv.startswith("python3 -m venv") and re.search(r"^run \"\$PYTHON\" -m venv ", text, re.MULTILINE)
    assert 'PYTHON="${PYTHON:-python3}"' in text
    assert re.search(rf"^run {re.escape(install)}$", text, re.MULTILINE), f"{install!r} not run by .ci/run"
    assert re.search(rf"^run {re.escape(pytest_step)}\b", text, re.MULTILINE), "pytest not run by .ci/run"
    assert re.search(r"^run ruff check \.$", text, re.MULTILINE)
    assert re.search(r"\"\$status\" -eq 5", text), "no tests collected must fail CI"


def test_docs_hold_no_real_looking_tokens() -> None:
    """Dummy values only: nothing shaped like a live Slack token or Zoho grant/refresh token."""
    live_token = re.compile(r"xox[abp]-\d+-|xapp-\d-|1000\.[0-9a-f]{32}")
    for name in ("README.md", "app.json", ".env.example", "manifest.yml", *(f"docs/{p.name}" for p in
                                                                              (ROOT / "docs").glob("*.md"))):
        text = (ROOT / name).read_text(encoding="utf-8")
        assert not live_token.search(text), f"{name} contains something that looks like a real token"



# --- (f) The path to a first photo (issue 17) ----------------------------------------------------------------------

HEROKU_PATH = "From zero to a first photo on Heroku"
# What the steps run, in the one order that works: the Slack app (made in setup) checks its events address, and the
# bot answers that check only once it runs with the app's signing secret (FACTS.md, "Creating an app from a
# manifest"): so setup, then deploy, then Retry; the doctor and the first photo last.
PATH_MARKERS = ("data centre", "heroku create", "python -m bot setup --heroku-app", "git push heroku main", "Retry",
                "heroku run python -m bot doctor", "/invite @crmphoto")
MINUTES_GOAL = 15
STEP = re.compile(r"^(\d+)\. \*\*(.+?)\*\* \((\d+) min\)(.*?)(?=^\d+\. \*\*|^\S|\Z)", re.MULTILINE | re.DOTALL)
ADMIN_ROW = re.compile(r"^\| (\d+)\. (.+?) \| (\d+) min \|", re.MULTILINE)


def heroku_steps(readme: str) -> list[tuple[int, str, int]]:
    """The README's numbered steps: (number, title and text, minutes)."""
    return [(int(m.group(1)), m.group(2) + m.group(4), int(m.group(3)))
            for m in STEP.finditer(section(readme, HEROKU_PATH))]


def step_of(steps: list[tuple[int, str, int]], marker: str) -> int:
    found = [number for number, text, _ in steps if marker in text]
    assert found, f"no step of the path says {marker!r}"
    return found[0]


def test_try_it_comes_right_under_the_first_paragraph(readme: str) -> None:
    title, _, rest = readme.partition("\n")
    assert title.startswith("# ")
    intro, _, after = rest.partition("\n## ")
    assert after.startswith("Try it in one minute\n"), "the first section is the one-minute try"
    assert len([p for p in intro.strip().split("\n\n") if p.strip()]) == 1, "one paragraph before it"
    try_it = section(readme, "Try it in one minute")
    assert "Leave it running and open the address it prints" in " ".join(try_it.split())
    later = after.partition("\n## ")[2]
    assert "![" not in intro + try_it and "![" in later, "the screenshots come after it"
    assert "| lookup | calls |" in later and "self client" in later, "so do the lookup costs and the security summary"


def test_the_heroku_path_runs_in_an_order_that_works_and_says_how_long(readme: str) -> None:
    steps = heroku_steps(readme)
    assert [number for number, _, _ in steps] == list(range(1, len(steps) + 1))
    places = [step_of(steps, marker) for marker in PATH_MARKERS]
    assert places == sorted(places) and len(set(places)) == len(places), f"steps out of order: {places}"
    total = sum(minutes for _, _, minutes in steps)
    assert total <= MINUTES_GOAL
    text = " ".join(section(readme, HEROKU_PATH).split())
    assert f"About {total} minutes" in text, "the path's announced time is the sum of its steps"
    before = text.split("1. **")[0]
    for need in ("heroku login", "Basic", "Eco", "install apps", "3 seconds"):
        assert need in before, f"the prerequisites don't mention {need!r}"


def test_the_admin_guide_has_the_same_path_with_the_same_times(readme: str) -> None:
    rows = [(int(m.group(1)), m.group(2), int(m.group(3))) for m in ADMIN_ROW.finditer(doc("admin.md"))]
    steps = heroku_steps(readme)
    assert [(n, minutes) for n, _, minutes in rows] == [(n, minutes) for n, _, minutes in steps]
    assert [step_of(rows, marker) for marker in PATH_MARKERS] == [step_of(steps, marker) for marker in PATH_MARKERS]


def documents() -> dict[str, str]:
    names = ["README.md", "app.json", ".env.example", "manifest.yml", *(f"docs/{p.name}" for p in
                                                                     sorted((ROOT / "docs").glob("*.md")))]
    return {name: (ROOT / name).read_text(encoding="utf-8") for name in names}


def test_no_heroku_button_without_the_projects_real_repository(app_json: dict[str, Any]) -> None:
    """A Button needs app.json's `repository` to be the project's public address (FACTS.md: without `template`
    Heroku relies on the Referer, which private repositories do not send); none is known, so no Button."""
    mentions = [name for name, text in documents().items()
                if re.search(r"Heroku Button|heroku\.com/deploy|the Button", text, re.IGNORECASE)]
    repository = app_json.get("repository")
    if repository is None:
        assert mentions == [], f"a Heroku Button is mentioned without a repository to deploy: {mentions}"
    else:
        assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", repository)
        assert not re.search(r"your|example|org/", repository, re.IGNORECASE), f"a placeholder: {repository}"


def test_every_zoho_scope_list_keeps_search_org_and_the_module_list() -> None:
    """Copying any scope list the documents show gives a token that searches and links: none silently drops
    search by email, phone or name, or the CRM link."""
    needed = [scopes.ZOHO_MODULES_SCOPE, scopes.ZOHO_SEARCH_SCOPE, scopes.ZOHO_ORG_SCOPE]
    lists = {(name, m.group(0)) for name, text in documents().items()
             for m in re.finditer(r"Zoho\w+\.[\w.{}]+(?:,Zoho\w+\.[\w.{}]+)+", text)}
    assert any(name == "docs/zoho.md" for name, _ in lists)
    for name, listed in lists:
        assert scopes.zoho_missing(listed.split(","), needed) == [], f"{name}: {listed} drops a scope"
    block = re.search(r"^\s*```\n\s*(\S+)\n\s*```", section(doc("zoho.md"), "3. Generate a grant code"), re.MULTILINE)
    assert block and block.group(1) == scopes.zoho_grant_scopes(require_crm_user=False), "not the string setup shows"


def test_every_table_renders_as_one_table() -> None:
    """A row cut off from its header by a paragraph shows as text, not as part of the table."""
    for name, text in documents().items():
        if not name.endswith(".md"):
            continue
        lines = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL).splitlines()
        run: list[str] = []
        for line in [*lines, ""]:
            if line.startswith("|"):
                run.append(line)
                continue
            if run:
                assert len(run) >= 2 and re.fullmatch(r"\|(?:\s*:?-+:?\s*\|)+", run[1].strip()), (
                    f"{name}: table rows without a header: {run[0][:60]}")
            run = []


LOOKUP_WORDS = {"email": "An email address", "phone": "A phone number", "word": "A name"}


def test_what_people_can_type_names_every_lookup(readme: str) -> None:
    bullets = [line for line in section(readme, "What people can type").splitlines() if line.startswith("- ")]
    kinds = [LOOKUP_WORDS[kind] for kind in get_args(SearchKind)]
    for words in [*kinds, "a module, then a record id", "A record link", "`help`"]:
        assert any(words in bullet for bullet in bullets), f"What people can type doesn't mention {words!r}"
