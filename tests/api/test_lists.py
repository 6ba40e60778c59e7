"""Lists: a member's own selections of people they follow, each read as a timeline."""

from __future__ import annotations

from tests.api.conftest import Running


def test_a_list_shows_its_people_and_an_exclusive_one_keeps_them_out_of_home(
    server: Running,
) -> None:
    for name in ("ana", "ben", "cleo"):
        server.member(name)
    ana, ben, cleo = (server.mastodon(name) for name in ("ana", "ben", "cleo"))
    ben_id = ben.account_verify_credentials()["id"]
    cleo_id = cleo.account_verify_credentials()["id"]
    ana.account_follow(ben_id)
    ana.account_follow(cleo_id)
    kitchen = ana.list_create("Kitchen")
    ana.list_accounts_add(kitchen["id"], [ben_id])
    assert [a["acct"] for a in ana.list_accounts(kitchen["id"])] == ["ben"]
    ben.status_post("Bread is rising")
    cleo.status_post("Off to the market")
    server.publish_due(31)

    assert [s["content"] for s in ana.timeline_list(kitchen["id"])] == ["<p>Bread is rising</p>"]
    assert len(ana.timeline_home()) == 2
    ana.list_update(kitchen["id"], "Kitchen", exclusive=True)
    assert [s["content"] for s in ana.timeline_home()] == ["<p>Off to the market</p>"]
    assert [x["id"] for x in ana.account_lists(ben_id)] == [kitchen["id"]]

    ana.account_unfollow(ben_id)  # lists hold only people one follows
    assert ana.list_accounts(kitchen["id"]) == []


def test_only_people_one_follows_go_on_a_list(server: Running) -> None:
    server.member("ana")
    server.member("ben")
    ben_id = server.mastodon("ben").account_verify_credentials()["id"]
    with server.api("ana") as ana:
        made = ana.post("/api/v1/lists", data={"title": "Friends"}).json()
        refused = ana.post(f"/api/v1/lists/{made['id']}/accounts", data={"account_ids[]": ben_id})
        assert refused.status_code == 422
        assert "follow" in refused.json()["error"]
        assert ana.get(f"/api/v1/lists/{made['id']}/accounts").json() == []
    with server.api("ben") as ben:
        assert ben.get(f"/api/v1/lists/{made['id']}").status_code == 404  # not his list
