"""An admin reported through the admin API: the same rule as on the web. Nobody reads,
takes or decides a report about themselves, and no app learns who sent it."""

from __future__ import annotations

import httpx
from mastodon import Mastodon

from server.models import MemberRole
from tests.api.conftest import Running
from tests.api.test_reports_api import admin_token, make


def test_an_admin_reported_neither_sees_nor_decides_it_through_the_api(server: Running) -> None:
    server.member("ben")
    server.member("cleo")
    server.member("dana")
    make(server, "cleo", MemberRole.admin)
    make(server, "dana", MemberRole.moderator)
    ben = server.mastodon("ben")
    cleo_id = server.mastodon("cleo").account_verify_credentials()["id"]
    filed = ben.report(cleo_id, comment="Cleo was curt with me")

    token = admin_token(server, "cleo")
    with httpx.Client(base_url=server.base, headers={"Authorization": f"Bearer {token}"}) as cleo:
        # The queue leaves it out, so Ben's name never reaches Cleo's app.
        assert cleo.get("/api/v1/admin/reports").json() == []
        assert "ben" not in cleo.get("/api/v1/admin/reports?resolved=true").text
        routes = [
            ("GET", f"/api/v1/admin/reports/{filed['id']}", {}),
            ("POST", f"/api/v1/admin/reports/{filed['id']}/assign_to_self", {}),
            ("POST", f"/api/v1/admin/reports/{filed['id']}/unassign", {}),
            ("POST", f"/api/v1/admin/reports/{filed['id']}/resolve", {}),
            ("POST", f"/api/v1/admin/reports/{filed['id']}/reopen", {}),
            (
                "POST",
                f"/api/v1/admin/accounts/{cleo_id}/action",
                {"type": "none", "report_id": str(filed["id"])},
            ),
            ("POST", f"/api/v1/admin/accounts/{cleo_id}/action", {"type": "silence"}),
        ]
        for method, path, data in routes:
            answer = cleo.request(method, path, data=data)
            assert answer.status_code == 403, (path, answer.text)
            assert "ben" not in answer.text
            assert "another moderator" in answer.json()["error"]

    # Dana, another moderator, sees it whole; she cannot give it to Cleo either.
    dana = Mastodon(access_token=admin_token(server, "dana"), api_base_url=server.base)
    assert [str(r["id"]) for r in dana.admin_reports()] == [str(filed["id"])]
    shown = dana.admin_report(filed["id"])
    assert shown["account"]["username"] == "ben" and shown["action_taken"] is False
    assert dana.admin_report_resolve(filed["id"])["action_taken"] is True
