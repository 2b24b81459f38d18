"""`python -m bot doctor` against FakeSlack and four FakeZoho servers playing four data centres (us, eu, in, cn).

Each test counts the calls each fake received, so "one token request per data centre" and "nothing
uploaded" are shown, not assumed. The fakes record every token request's form, so which secrets reached
which data centre is shown too.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import __main__ as entry
from bot import datacentres, doctor, scopes
from bot.datacentres import DataCentre
from bot.fakes import zoho as fz
from bot.fakes.slack import FakeSlack
from bot.fakes.zoho import FakeZoho, Record
from bot.zoho.modules import Module

SIGNING_SECRET = "doctor-signing-secret-dummy"
ALL_ZOHO_SCOPES = "ZohoCRM.modules.ALL ZohoCRM.settings.ALL ZohoSearch.securesearch.READ ZohoCRM.org.READ"
WEB_HOSTS = {"us": "crm.zoho.com", "eu": "crm.zoho.eu", "in": "crm.zoho.in", "cn": "crm.zoho.com.cn"}


@dataclass
class World:
    slack: FakeSlack
    dcs: dict[str, FakeZoho]  # the data centres the doctor knows; ZOHO_DC=us
    env: dict[str, str]
    table: tuple[DataCentre, ...]
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]

    @property
    def us(self) -> FakeZoho:
        return self.dcs["us"]

    @property
    def eu(self) -> FakeZoho:
        return self.dcs["eu"]

    def run(self, record: tuple[str, str] | None = None, find_dc: tuple[str, ...] | None = None,
            **env: str) -> tuple[int, str]:
        out = io.StringIO()
        status = doctor.run(record, env={**self.env, **env}, out=out, data_centres=self.table, find_dc=find_dc)
        return status, out.getvalue()

    def cli(self, *args: str) -> tuple[int, str]:
        """`python -m bot doctor ARGS` with the settings in the environment: (exit status, stdout + stderr)."""
        for name, value in self.env.items():
            self.monkeypatch.setenv(name, value)
        status = entry.main(["doctor", *args])
        captured = self.capsys.readouterr()
        return status, captured.out + captured.err

    def client_in(self, *keys: str) -> None:
        """Only these data centres know the client; the others answer invalid_client, as Zoho does."""
        for key, fake in self.dcs.items():
            fake.token_error = None if key in keys else "invalid_client"

    def token_requests(self) -> dict[str, int]:
        return {key: fake.token_requests for key, fake in self.dcs.items()}

    def refresh_tokens_sent(self) -> dict[str, list[str]]:
        """The refresh token of every token request, per data centre."""
        return {key: [form.get("refresh_token", "") for form in fake.token_forms] for key, fake in self.dcs.items()}


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[World]:
    with FakeSlack() as slack, FakeZoho() as us, FakeZoho() as eu, FakeZoho() as india, FakeZoho() as cn:
        dcs = {"us": us, "eu": eu, "in": india, "cn": cn}
        table = tuple(DataCentre(key, fake.url, fake.url, WEB_HOSTS[key]) for key, fake in dcs.items())
        for dc in table:  # ZOHO_DC=us|eu|… now names these servers, as it names Zoho's in production
            monkeypatch.setitem(datacentres.BY_KEY, dc.key, dc)
        monkeypatch.setattr(datacentres, "DATA_CENTRES", table)  # the command line never reaches the real Zoho
        monkeypatch.chdir(tmp_path)  # no .env of the developer's
        env = {
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "ZOHO_CLIENT_ID": fz.CLIENT_ID,
            "ZOHO_CLIENT_SECRET": fz.CLIENT_SECRET,
            "ZOHO_REFRESH_TOKEN": fz.REFRESH_TOKEN,
            "ZOHO_DC": "us",
        }
        world = World(slack, dcs, env, table, monkeypatch, capsys)
        world.client_in("us")
        yield world


def failures(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("✗")]


def passes(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("✓")]


# --- all good ----------------------------------------------------------------------------------------

def test_all_good_exits_0_every_check_passes_one_call_each(world: World) -> None:
    status, out = world.run()
    assert status == 0, out
    assert failures(out) == []
    assert out.splitlines()[-1] == "All checks passed."
    assert len(passes(out)) == 8  # settings, slack token, slack scopes, zoho token, modules, 3 zoho scopes
    assert "Contacts, Accounts" in out or "Leads, Contacts, Accounts" in out
    assert world.slack.count("auth.test") == 1
    assert (world.us.token_requests, world.eu.token_requests) == (1, 0)
    assert (world.us.module_calls(), world.us.search_calls(), world.us.org_calls()) == (1, 1, 1)
    assert "10 new access tokens per refresh token in 10 minutes" in out
    assert "/invite @crmphoto" in out


def test_scope_field_of_the_token_answer_spares_the_search_and_org_calls(world: World) -> None:
    world.us.token_scope = ALL_ZOHO_SCOPES
    status, out = world.run()
    assert status == 0, out
    assert "the token has every scope crmphoto needs" in out
    assert (world.us.module_calls(), world.us.search_calls(), world.us.org_calls()) == (1, 0, 0)


# --- Slack -------------------------------------------------------------------------------------------

def test_bad_bot_token_is_named_with_the_fix(world: World) -> None:
    status, out = world.run(SLACK_BOT_TOKEN="xoxb-not-the-right-one-9876")
    assert status == 1
    [line] = failures(out)
    assert "bot token was refused (invalid_auth)" in line
    assert "OAuth & Permissions" in out and "SLACK_BOT_TOKEN" in out
    assert "9876" in out  # the last 4 characters tell the admin which token was tried
    assert world.us.token_requests == 1  # Zoho is still checked


def test_missing_slack_scopes_are_named(world: World) -> None:
    world.slack.granted_scopes = tuple(s for s in scopes.SLACK_BOT_SCOPES if s not in ("links:read", "links:write"))
    status, out = world.run()
    assert status == 1
    [line] = failures(out)
    assert line.endswith("lacks links:read, links:write")
    assert "Reinstall to Workspace" in out


def test_with_require_crm_user_the_email_scope_is_checked_too(world: World) -> None:
    world.slack.granted_scopes = scopes.SLACK_BOT_SCOPES  # everything the manifest asks for, no email scope
    assert world.run()[0] == 0  # without the policy the email scope is not needed
    status, out = world.run(REQUIRE_CRM_USER="true")
    assert status == 1
    assert any(line.endswith("lacks users:read.email") for line in failures(out))


# --- Zoho token and data centre ----------------------------------------------------------------------

def test_invalid_client_asks_no_other_data_centre_and_names_find_dc(world: World) -> None:
    world.client_in("eu")  # us does not know the client
    status, out = world.run()
    assert status == 1
    [line] = failures(out)
    assert "answered invalid_client" in line
    assert "python -m bot doctor --find-dc" in out and "ZOHO_CLIENT_ID" in out
    assert world.token_requests() == {"us": 1, "eu": 0, "in": 0, "cn": 0}
    assert world.us.module_calls() == world.eu.module_calls() == 0  # no CRM call without a token


def test_invalid_code_asks_no_other_data_centre_and_names_find_dc(world: World) -> None:
    world.us.token_error = "invalid_code"  # us knows the client, not this refresh token
    status, out = world.run()
    assert status == 1
    [line] = failures(out)
    assert "answered invalid_code" in line
    assert "revoked" in out and "ZOHO_REFRESH_TOKEN" in out and "ZohoSearch.securesearch.READ" in out
    assert "python -m bot doctor --find-dc" in out
    assert world.token_requests() == {"us": 1, "eu": 0, "in": 0, "cn": 0}


def test_find_dc_sends_a_dummy_refresh_token_and_names_the_data_centre_that_knows_the_client(world: World) -> None:
    world.client_in("eu")
    status, out = world.cli("--find-dc")
    assert status == 1
    [line] = failures(out)
    assert "answered invalid_client" in line
    assert "Your Zoho client is in eu, not us" in out and "Set ZOHO_DC=eu," in out
    assert world.token_requests() == {"us": 1, "eu": 1, "in": 1, "cn": 0}
    assert world.refresh_tokens_sent() == {"us": [fz.REFRESH_TOKEN], "eu": [doctor.DUMMY_REFRESH_TOKEN],
                                           "in": [doctor.DUMMY_REFRESH_TOKEN], "cn": []}
    [form] = world.eu.token_forms  # the client id and secret are what the probe tests
    assert (form["client_id"], form["client_secret"]) == (fz.CLIENT_ID, fz.CLIENT_SECRET)
    assert world.eu.tokens_issued == 0 and world.eu.module_calls() == 0


@pytest.mark.parametrize(("args", "asked"), [
    (["--find-dc"], {"eu", "in"}),  # everyone but China
    (["--find-dc", "cn"], {"cn"}),
    (["--find-dc", "all"], {"eu", "in", "cn"}),
    (["--find-dc", "eu,in"], {"eu", "in"}),
    (["--find-dc", " IN "], {"in"}),
    (["--find-dc", "us,cn"], {"cn"}),  # the configured one has answered already
    (["--find-dc=eu", "--record", "Contacts", "12345"], {"eu"}),
])
def test_find_dc_asks_the_named_data_centres_once_each_with_the_dummy_token(
    world: World, args: list[str], asked: set[str]
) -> None:
    world.client_in()  # nobody knows the client
    status, out = world.cli(*args)
    assert status == 1
    assert world.token_requests() == {"us": 1, **{key: int(key in asked) for key in ("eu", "in", "cn")}}
    sent = world.refresh_tokens_sent()
    assert sent.pop("us") == [fz.REFRESH_TOKEN]
    assert all(tokens == [doctor.DUMMY_REFRESH_TOKEN] * (key in asked) for key, tokens in sent.items())
    assert "No Zoho data centre asked" in out and ", ".join(k for k in ("eu", "in", "cn") if k in asked) in out
    assert ("--find-dc cn" in out) is ("cn" not in asked)  # China is pointed at only when it was left out


def test_find_dc_alone_never_asks_china_even_when_nobody_else_knows_the_client(world: World) -> None:
    world.client_in("cn")
    status, out = world.cli("--find-dc")
    assert status == 1
    assert world.dcs["cn"].token_requests == 0
    assert "ZOHO_DC=" not in out
    assert "China's data centre (cn) was not asked" in out and "python -m bot doctor --find-dc cn" in out


@pytest.mark.parametrize("value", ["cn", "all"])
def test_find_dc_cn_or_all_finds_a_client_in_china(world: World, value: str) -> None:
    world.client_in("cn")
    status, out = world.cli("--find-dc", value)
    assert status == 1
    assert "Your Zoho client is in cn, not us" in out and "Set ZOHO_DC=cn," in out
    assert world.dcs["cn"].token_requests == 1
    assert world.refresh_tokens_sent()["cn"] == [doctor.DUMMY_REFRESH_TOKEN]


def test_client_known_in_several_data_centres_names_them_all(world: World) -> None:
    world.client_in("eu", "in")
    status, out = world.cli("--find-dc")
    assert status == 1
    assert "known in eu and in" in out and "ZOHO_DC to eu or in" in out
    assert world.token_requests() == {"us": 1, "eu": 1, "in": 1, "cn": 0}


def test_refresh_token_refused_but_client_known_elsewhere_names_it(world: World) -> None:
    world.client_in("us", "eu")  # a multi-DC client: its refresh token may come from eu
    world.us.token_error = "invalid_code"
    status, out = world.cli("--find-dc")
    assert status == 1
    [line] = failures(out)
    assert "answered invalid_code" in line
    assert "also known in eu," in out and "API console of eu, set ZOHO_DC to that one" in out
    assert world.refresh_tokens_sent()["eu"] == [doctor.DUMMY_REFRESH_TOKEN]


def test_revoked_refresh_token_known_nowhere_else_says_generate_a_new_one(world: World) -> None:
    world.us.token_error = "invalid_code"
    status, out = world.cli("--find-dc")
    assert status == 1
    [line] = failures(out)
    assert "answered invalid_code" in line
    assert "revoked" in out and "ZOHO_REFRESH_TOKEN" in out and "ZohoSearch.securesearch.READ" in out
    assert "ZOHO_DC=" not in out
    assert world.token_requests() == {"us": 1, "eu": 1, "in": 1, "cn": 0}


def test_client_unknown_everywhere_points_at_the_client_id_and_secret(world: World) -> None:
    world.client_in()
    status, out = world.cli("--find-dc", "all")
    assert status == 1
    assert "No Zoho data centre asked (eu, in, cn) knows this client" in out and "ZOHO_CLIENT_SECRET" in out
    assert "ZOHO_DC=" not in out and "was not asked" not in out


def test_a_data_centre_without_a_clear_answer_is_named(world: World) -> None:
    world.client_in("in")
    world.eu.fail_next("token", status=503)
    status, out = world.cli("--find-dc")
    assert status == 1
    assert "Set ZOHO_DC=in," in out
    assert any("no clear answer from eu" in line for line in out.splitlines() if line.startswith("•"))


def test_find_dc_with_a_working_token_asks_no_other_data_centre(world: World) -> None:
    status, out = world.cli("--find-dc", "all")
    assert status == 0, out
    assert world.token_requests() == {"us": 1, "eu": 0, "in": 0, "cn": 0}


@pytest.mark.parametrize("value", ["xx", "", ",", "eu,mars", "all,zz", "--record"])
def test_unknown_find_dc_value_exits_2_naming_the_valid_keys_before_any_call(world: World, value: str) -> None:
    status, out = world.cli(f"--find-dc={value}")
    assert status == 2
    assert "usage: python -m bot" in out
    assert "us, eu, in, cn" in out and "all" in out  # the keys of the table in use
    assert world.slack.count("auth.test") == 0
    assert world.token_requests() == {"us": 0, "eu": 0, "in": 0, "cn": 0}


def test_throttled_token_endpoint_asks_no_other_data_centre(world: World) -> None:
    world.us.token_error = "Access Denied"
    status, out = world.cli("--find-dc", "all")
    assert status == 1
    assert "Wait 10 minutes" in out
    assert world.token_requests() == {"us": 1, "eu": 0, "in": 0, "cn": 0}


# --- Zoho scopes -------------------------------------------------------------------------------------

def test_missing_search_scope_found_by_calling_search(world: World) -> None:
    world.us.scope_for_search = False
    status, out = world.run()
    assert status == 1
    [line] = failures(out)
    assert line.endswith("lacks ZohoSearch.securesearch.READ")
    assert "generate a new grant code with the scopes ZohoCRM.modules.READ,ZohoCRM.settings.modules.READ," in out
    assert world.us.search_calls() == 1


def test_missing_search_scope_found_in_the_token_answer(world: World) -> None:
    world.us.token_scope = "ZohoCRM.modules.ALL ZohoCRM.settings.ALL ZohoCRM.org.READ"
    status, out = world.run()
    assert status == 1
    [line] = failures(out)
    assert line.endswith("lacks ZohoSearch.securesearch.READ")
    assert world.us.search_calls() == 0


def test_missing_settings_and_org_scopes_found_by_calling(world: World) -> None:
    world.us.scope_for_modules = False
    world.us.scope_for_org = False
    status, out = world.run()
    assert status == 1
    lines = failures(out)
    assert any("module list did not load (OAUTH_SCOPE_MISMATCH)" in line for line in lines)
    assert any(line.endswith("lacks ZohoCRM.settings.modules.READ") for line in lines)
    assert any(line.endswith("lacks ZohoCRM.org.READ") for line in lines)
    assert len(lines) == 3


# --- --record ----------------------------------------------------------------------------------------

def test_record_photo_fetched_with_size_and_type_nothing_uploaded(world: World) -> None:
    world.us.add_record("Contacts", "12345", Record(content=fz.TINY_JPEG, disposition='attachment; filename="j.jpg"'))
    status, out = world.run(("Contacts", "12345"))
    assert status == 0, out
    assert f"Contacts 12345 is {len(fz.TINY_JPEG)} bytes of image/jpeg (j.jpg); nothing was uploaded" in out
    assert world.us.photo_calls() == 1
    assert world.us.module_calls() == 1  # the module list loaded for the check also resolves the module
    assert [m for m, _ in world.slack.calls] == ["auth.test"]


def test_record_without_photo_fails_with_no_photo(world: World) -> None:
    world.us.add_record("Contacts", "12345", Record(content=None))
    status, out = world.run(("Contacts", "12345"))
    assert status == 1
    [line] = failures(out)
    assert "Contacts 12345 could not be fetched (NO_PHOTO)" in line
    assert "has no photo in Zoho CRM" in out
    assert world.us.photo_calls() == 1


def test_record_in_a_module_without_photos_names_the_modules(world: World) -> None:
    status, out = world.run(("Tasks", "12345"))
    assert status == 1
    assert "(MODULE_WITHOUT_PHOTOS)" in out
    assert world.us.photo_calls() == 0


# --- settings, secrets, usage ------------------------------------------------------------------------

def test_settings_problems_are_failed_checks_exit_1(world: World) -> None:
    out = io.StringIO()
    status = doctor.run(env={"SLACK_API_URL": world.slack.api_url}, out=out)
    assert status == 1
    assert len(failures(out.getvalue())) == 5  # the five credentials, each named
    assert "ZOHO_REFRESH_TOKEN is missing" in out.getvalue()
    assert world.slack.count("auth.test") == 0 and world.us.token_requests == 0


def test_no_secret_in_any_output(world: World) -> None:
    world.us.add_record("Contacts", "12345")
    outputs = [world.run(("Contacts", "12345"))[1], world.run(SLACK_BOT_TOKEN="xoxb-wrong-token-dummy")[1]]
    world.client_in("eu")
    outputs += [world.run()[1], world.run(find_dc=("eu", "in", "cn"))[1], world.cli("--find-dc")[1]]
    world.client_in("us", "eu")
    world.us.token_error = "invalid_code"
    outputs += [world.run()[1], world.cli("--find-dc", "all")[1], world.cli("--find-dc", "nowhere")[1]]
    assert world.us.tokens_issued >= 2
    text = "\n".join(outputs)
    for secret in (fz.CLIENT_SECRET, fz.REFRESH_TOKEN, world.slack.bot_token, "xoxb-wrong-token-dummy",
                   SIGNING_SECRET, "1000.test-access-"):
        assert secret not in text, secret


def test_cli_runs_the_doctor_from_the_environment(world: World) -> None:
    world.us.add_record("Contacts", "12345")
    status, out = world.cli("--record", "Contacts", "12345")
    assert status == 0
    assert "Photo: Contacts 12345 is" in out
    assert world.us.photo_calls() == 1


@pytest.mark.parametrize("argv", [["doctor", "--record", "Contacts"], ["doctor", "--record", "Contacts", "abc"],
                                  ["doctor", "--bogus"], ["doctor", "extra"]])
def test_usage_errors_exit_2_before_any_call(
    argv: list[str], world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in world.env.items():
        monkeypatch.setenv(name, value)
    assert entry.main(argv) == 2
    assert "usage: python -m bot" in capsys.readouterr().err
    assert world.slack.count("auth.test") == 0 and world.us.token_requests == 0


# --- the scope rules ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("granted", "needed", "ok"), [
    ("ZohoCRM.modules.ALL", "ZohoCRM.modules.contacts.READ", True),
    ("ZohoCRM.modules.READ", "ZohoCRM.modules.contacts.READ", True),
    ("ZohoCRM.modules.contacts.ALL", "ZohoCRM.modules.contacts.READ", True),
    ("zohocrm.modules.contacts.read", "ZohoCRM.modules.contacts.READ", True),
    ("ZohoCRM.modules.leads.READ", "ZohoCRM.modules.contacts.READ", False),
    ("ZohoCRM.modules.CREATE", "ZohoCRM.modules.contacts.READ", False),
    ("ZohoCRM.settings.ALL", "ZohoCRM.settings.modules.READ", True),
    ("ZohoCRM.settings.fields.READ", "ZohoCRM.settings.modules.READ", False),
    ("ZohoCRM.ALL", "ZohoCRM.org.READ", False),  # not a Zoho scope: the service alone covers nothing
    ("ZohoSearch.securesearch.ALL", "ZohoSearch.securesearch.READ", True),
])
def test_a_granted_zoho_scope_covers(granted: str, needed: str, ok: bool) -> None:
    assert scopes.covers(granted, needed) is ok


def test_users_scope_needed_only_with_require_crm_user() -> None:
    modules = [Module("Contacts"), Module("Properties", generated_type="custom")]
    assert scopes.zoho_needed(modules, False) == [
        "ZohoCRM.modules.contacts.READ", "ZohoCRM.modules.custom.READ", "ZohoCRM.settings.modules.READ",
        "ZohoSearch.securesearch.READ", "ZohoCRM.org.READ",
    ]
    assert scopes.zoho_needed(modules, True)[-1] == "ZohoCRM.users.READ"
    assert scopes.zoho_grant_scopes(True).endswith(",ZohoCRM.users.READ")
    assert "users" not in scopes.zoho_grant_scopes(False)


def test_top_level_help_lists_the_doctor(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "{serve,demo,doctor,photo,manifest,setup}" in out and "doctor settings: the same as serve" in out
    assert "10 new tokens per 10 minutes" in out
