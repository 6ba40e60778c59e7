"""Reports and the admin reports API, driven by Mastodon.py over real HTTP."""

from __future__ import annotations

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError

from server.models import MemberRole
from server.services import accounts, oauth_tokens, roles
from tests.api.conftest import Running
from tests.api.schemas import assert_list_of, assert_shape

ADMIN_SCOPES = "read write follow admin:read admin:write"


def admin_token(server: Running, username: str, scopes: str = ADMIN_SCOPES) -> str:
    """A token with the admin scopes, as `porch token create --scopes` makes one."""

    async def issue() -> str:
        async with server.app.state.sessions() as session:
            member = (await accounts.local_member(session, username)).member
            assert member.id is not None
            issued = await oauth_tokens.create_token(
                session, member.id, "Moderation app", scopes, server.clock.now()
            )
            return issued.access_token

    return server.run(issue())


def make(server: Running, username: str, role: MemberRole) -> None:
    async def work() -> None:
        async with server.app.state.sessions() as session:
            await roles.set_role(session, username, role, by_actor_id=None, now=server.clock.now())

    server.run(work())


def harsh_reply(server: Running) -> tuple[Mastodon, Mastodon, dict, dict]:
    """Ana posts; Ben answers harshly; both are published."""
    server.member("ana")
    server.member("ben")
    ana, ben = server.mastodon("ana"), server.mastodon("ben")
    post = ana.status_post("Trying the new bakery today")
    server.publish_due(31)
    reply = ben.status_post("@ana that is a silly plan", in_reply_to_id=post["id"])
    server.publish_due(61)
    return ana, ben, post, reply


def test_ana_reports_bens_reply_citing_a_rule_and_gets_a_report_back(server: Running) -> None:
    ana, ben, _post, reply = harsh_reply(server)
    rules = ana.instance_rules()
    assert rules[0]["text"].startswith("Be kind.")
    ben_id = ben.account_verify_credentials()["id"]
    report = ana.report(
        ben_id,
        status_ids=[reply["id"]],
        comment="Name-calling",
        category="violation",
        rule_ids=[rules[0]["id"]],
    )
    assert report["category"] == "violation"
    assert report["comment"] == "Name-calling"
    assert report["action_taken"] is False and report["forwarded"] is False
    assert [str(i) for i in report["status_ids"]] == [str(reply["id"])]
    assert report["rule_ids"] == [rules[0]["id"]]
    assert str(report["target_account"]["id"]) == str(ben_id)


def test_reports_refuse_oneself_and_others_posts_with_a_message(server: Running) -> None:
    ana, ben, post, reply = harsh_reply(server)
    ana_id = ana.account_verify_credentials()["id"]
    ben_id = ben.account_verify_credentials()["id"]
    with pytest.raises(MastodonAPIError, match="You cannot report yourself"):
        ana.report(ana_id, comment="me")
    with pytest.raises(MastodonAPIError, match="is not one of @ben's posts"):
        ana.report(ben_id, status_ids=[post["id"]])
    with pytest.raises(MastodonAPIError, match="1000 characters"):
        ana.report(ben_id, comment="x" * 1001)
    with server.api("ana") as api:
        assert api.post("/api/v1/reports", data={"account_id": "nobody"}).status_code == 422
        made = api.post("/api/v1/reports", data={"account_id": ben_id, "comment": "Raw"})
        assert made.status_code == 200, made.text
        assert_shape("Report", made.json())


def test_a_moderator_works_the_queue_through_the_admin_api(server: Running) -> None:
    ana, ben, _post, reply = harsh_reply(server)
    server.member("cleo")
    make(server, "cleo", MemberRole.moderator)
    ben_id = ben.account_verify_credentials()["id"]
    filed = ana.report(ben_id, status_ids=[reply["id"]], rule_ids=["1"], comment="Rude")
    cleo = Mastodon(access_token=admin_token(server, "cleo"), api_base_url=server.base)
    assert cleo.account_verify_credentials()["role"]["name"] == "Moderator"

    # Cleo, a moderator, is told a report arrived, as Mastodon's admin.report.
    with httpx.Client(
        base_url=server.base, headers={"Authorization": f"Bearer {admin_token(server, 'cleo')}"}
    ) as raw:
        told = raw.get("/api/v1/notifications", params={"types[]": "admin.report"}).json()
    assert [n["report"]["id"] for n in told] == [str(filed["id"])]
    assert told[0]["account"]["username"] == "ana"
    assert told[0]["report"]["target_account"]["username"] == "ben"
    assert_shape("Notification", told[0])
    assert_shape("Report", told[0]["report"])
    queue = cleo.admin_reports()
    assert [str(r["id"]) for r in queue] == [str(filed["id"])]
    shown = cleo.admin_report(filed["id"])
    assert shown["account"]["username"] == "ana"
    assert shown["target_account"]["username"] == "ben"
    assert shown["target_account"]["account"]["acct"] == "ben"
    assert [s["content"] for s in shown["statuses"]] == [reply["content"]]
    assert shown["rules"][0]["text"].startswith("Be kind.")

    assert cleo.admin_report_assign(filed["id"])["assigned_account"]["username"] == "cleo"
    assert cleo.admin_report_unassign(filed["id"])["assigned_account"] is None
    assert cleo.admin_report_resolve(filed["id"])["action_taken"] is True
    assert cleo.admin_reports() == []
    assert [str(r["id"]) for r in cleo.admin_reports(resolved=True)] == [str(filed["id"])]
    assert cleo.admin_report_reopen(filed["id"])["action_taken"] is False

    # A warning, answering the report: Ben reads it with the rule cited, Ana the outcome.
    cleo.admin_account_moderate(ben_id, "none", report_id=filed["id"], text="No name-calling")
    # The raw JSON has Mastodon's documented shapes.
    with httpx.Client(
        base_url=server.base, headers={"Authorization": f"Bearer {admin_token(server, 'cleo')}"}
    ) as raw:
        assert_list_of("Admin_Report", raw.get("/api/v1/admin/reports?resolved=true").json())
    with server.api("ben") as api:
        warned = api.get("/api/v1/notifications", params={"types[]": "moderation_warning"})
        assert_shape("Notification", warned.json()[0])
        assert_shape("AccountWarning", warned.json()[0]["moderation_warning"])
    warning = ben.notifications(types=["moderation_warning"])[0]
    assert warning["moderation_warning"]["action"] == "none"
    assert "No name-calling" in warning["moderation_warning"]["text"]
    assert "Be kind." in warning["moderation_warning"]["text"]
    assert warning["moderation_warning"]["appeal"] is None
    with server.api("ana") as api:
        # Porch's own type reaches only apps that ask for it.
        usual = api.get("/api/v1/notifications").json()
        assert "report_outcome" not in [n["type"] for n in usual]
        told = api.get("/api/v1/notifications", params={"types[]": "report_outcome"}).json()
    outcome = [n for n in told if n["type"] == "report_outcome"]
    assert "took action" in outcome[0]["moderation_notice"]["text"]
    assert "ben" not in outcome[0]["moderation_notice"]["text"]

    # Silence is Porch's limit: Ben's account shows it to moderators.
    cleo.admin_account_moderate(ben_id, "silence", text="Keeps at it")
    second = ana.report(ben_id, comment="Again")
    assert cleo.admin_report(second["id"])["target_account"]["silenced"] is True
    shown_ben = cleo.admin_account(ben_id)
    assert shown_ben["silenced"] is True and shown_ben["suspended"] is False
    assert shown_ben["email"] == "ben@example.com"
    # Made without the mailed link: his address is not confirmed, as Mastodon says it.
    assert shown_ben["confirmed"] is False


def test_members_are_refused_every_admin_route(server: Running) -> None:
    ana, ben, _post, reply = harsh_reply(server)
    ben_id = ben.account_verify_credentials()["id"]
    filed = ana.report(ben_id, status_ids=[reply["id"]])
    token = admin_token(server, "ana")  # admin scopes, but Ana is a member
    routes = [
        ("GET", "/api/v1/admin/reports"),
        ("GET", f"/api/v1/admin/reports/{filed['id']}"),
        ("POST", f"/api/v1/admin/reports/{filed['id']}/assign_to_self"),
        ("POST", f"/api/v1/admin/reports/{filed['id']}/unassign"),
        ("POST", f"/api/v1/admin/reports/{filed['id']}/resolve"),
        ("POST", f"/api/v1/admin/reports/{filed['id']}/reopen"),
        ("GET", f"/api/v1/admin/accounts/{ben_id}"),
        ("POST", f"/api/v1/admin/accounts/{ben_id}/action"),
    ]
    with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {token}"}) as client:
        for method, path in routes:
            answer = client.request(method, path, data={"type": "suspend"})
            assert answer.status_code == 403, (path, answer.text)
            assert "moderators" in answer.json()["error"]
    # Nor does a moderator's token without the admin scopes reach them.
    server.member("cleo")
    make(server, "cleo", MemberRole.moderator)
    with server.api("cleo") as plain:
        refused = plain.get("/api/v1/admin/reports")
    assert refused.status_code == 403
    assert refused.json()["error"] == "This action is outside the authorized scopes"
