"""Porch driven the way apps drive it: Mastodon.py over real HTTP to a running server."""

from __future__ import annotations

import io

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError
from PIL import Image

from server.services import norms, slow_mode
from tests.api.conftest import REDIRECT, Running


def test_an_app_registers_and_a_member_logs_in_with_pkce(server: Running) -> None:
    server.member("ana")
    ana = server.mastodon("ana")
    me = ana.account_verify_credentials()
    assert me["username"] == "ana"
    assert me["acct"] == "ana"
    assert me["source"]["privacy"] == "public"
    assert ana.app_verify_credentials()["name"] == "Porch tests"


def test_the_code_works_once_and_only_with_its_verifier(server: Running) -> None:
    server.member("ana")
    client_id, secret = server.register_app()
    code = server.authorize("ana", client_id, verifier="v" * 50)
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": client_id,
        "client_secret": secret,
        "redirect_uri": REDIRECT,
    }
    wrong = httpx.post(server.base + "/oauth/token", data={**exchange, "code_verifier": "w" * 50})
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    # The failed attempt used the code up: a stolen code cannot be retried.
    again = httpx.post(server.base + "/oauth/token", data={**exchange, "code_verifier": "v" * 50})
    assert again.status_code == 400


def test_a_post_waits_out_its_pause_before_anyone_else_sees_it(server: Running) -> None:
    server.member("ana")
    ben_id = server.member("ben")
    ana, ben = server.mastodon("ana"), server.mastodon("ben")
    ben.account_follow(ana.account_verify_credentials()["id"])
    now = server.clock.now()

    posted = ana.status_post("Tea on the porch at five?")
    # Its created_at is the moment it will go out: thirty seconds from now.
    assert (posted["created_at"] - now).total_seconds() == pytest.approx(30, abs=1)
    assert ana.status(posted["id"])["content"] == "<p>Tea on the porch at five?</p>"
    with pytest.raises(MastodonNotFoundError):
        ben.status(posted["id"])
    assert ben.timeline_home() == []

    assert server.publish_due(31) == 1
    assert [s["id"] for s in ben.timeline_home()] == [posted["id"]]
    assert ben_id != int(posted["account"]["id"])


def test_the_author_edits_and_withdraws_during_the_pause(server: Running) -> None:
    server.member("ana")
    ana = server.mastodon("ana")
    posted = ana.status_post("Tea at fiev?")
    edited = ana.status_update(posted["id"], "Tea at five?")
    assert edited["content"] == "<p>Tea at five?</p>"
    deleted = ana.status_delete(posted["id"])
    assert deleted["text"] == "Tea at five?"
    assert server.publish_due(60) == 0
    with pytest.raises(MastodonNotFoundError):
        ana.status(posted["id"])


def test_replies_thread_and_likes_and_boosts_are_counted(server: Running) -> None:
    server.member("ana")
    server.member("ben")
    ana, ben = server.mastodon("ana"), server.mastodon("ben")
    ana_id = ana.account_verify_credentials()["id"]
    ben.account_follow(ana_id)
    first = ana.status_post("Who brings the biscuits?")
    server.publish_due(31)
    reply = ben.status_post("I will!", in_reply_to_id=first["id"])
    assert reply["in_reply_to_id"] == first["id"]
    assert reply["in_reply_to_account_id"] == ana_id
    server.publish_due(21)

    context = ana.status_context(first["id"])
    assert [s["id"] for s in context["descendants"]] == [reply["id"]]
    assert ben.status_context(reply["id"])["ancestors"][0]["id"] == first["id"]

    assert ben.status_favourite(first["id"])["favourited"] is True
    boost = ben.status_reblog(first["id"])
    assert boost["reblog"]["id"] == first["id"]
    seen = ana.status(first["id"])
    assert (seen["favourites_count"], seen["reblogs_count"], seen["replies_count"]) == (1, 1, 1)
    assert [a["acct"] for a in ana.status_favourited_by(first["id"])] == ["ben"]

    kinds = sorted(n["type"] for n in ana.notifications())
    assert kinds == ["favourite", "follow", "mention", "reblog"]


def test_paging_through_the_home_timeline_follows_link_headers(server: Running) -> None:
    server.member("ana")
    ana = server.mastodon("ana")
    for n in range(7):
        ana.status_post(f"Note {n}")
        server.publish_due(31)
    first = ana.timeline_home(limit=3)
    assert [s["content"] for s in first] == ["<p>Note 6</p>", "<p>Note 5</p>", "<p>Note 4</p>"]
    second = ana.fetch_next(first)
    assert [s["content"] for s in second] == ["<p>Note 3</p>", "<p>Note 2</p>", "<p>Note 1</p>"]
    third = ana.fetch_next(second)
    assert [s["content"] for s in third] == ["<p>Note 0</p>"]
    back = ana.fetch_previous(second)
    assert [s["content"] for s in back] == ["<p>Note 6</p>", "<p>Note 5</p>", "<p>Note 4</p>"]
    with server.api("ana") as api:
        link = api.get("/api/v1/timelines/home", params={"limit": 3}).headers["link"]
    assert link.index('rel="next"') < link.index('rel="prev"')


def test_an_image_is_uploaded_described_and_posted(server: Running) -> None:
    server.member("ana")
    ana = server.mastodon("ana")
    picture = io.BytesIO()
    Image.new("RGB", (1200, 800), (180, 120, 60)).save(picture, "JPEG")
    uploaded = ana.media_post(picture.getvalue(), mime_type="image/jpeg", description="A porch")
    assert uploaded["type"] == "image"
    assert uploaded["meta"]["original"]["width"] == 1200
    assert uploaded["blurhash"]
    assert httpx.get(uploaded["preview_url"]).status_code == 200
    ana.media_update(uploaded["id"], focus=(0.5, -0.25))
    posted = ana.status_post("Our porch", media_ids=[uploaded["id"]])
    assert [m["id"] for m in posted["media_attachments"]] == [uploaded["id"]]
    assert posted["media_attachments"][0]["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    assert posted["media_attachments"][0]["description"] == "A porch"
    server.publish_due(31)
    note = httpx.get(posted["uri"], headers={"Accept": "application/activity+json"}).json()
    sent = note["attachment"][0]
    assert sent["url"] == posted["media_attachments"][0]["url"]
    assert (sent["name"], sent["focalPoint"]) == ("A porch", [0.5, -0.25])


def test_follow_requests_to_a_locked_account_are_answered_through_the_api(
    server: Running,
) -> None:
    server.member("ana", locked=True)
    server.member("ben")
    ana, ben = server.mastodon("ana"), server.mastodon("ben")
    ben_id = ben.account_verify_credentials()["id"]
    relation = ben.account_follow(ana.account_verify_credentials()["id"])
    assert relation["requested"] is True and relation["following"] is False
    assert [a["id"] for a in ana.follow_requests()] == [ben_id]
    answered = ana.follow_request_authorize(ben_id)
    assert answered["followed_by"] is True
    assert ana.follow_requests() == []


def test_a_token_without_write_scope_cannot_post(server: Running) -> None:
    server.member("ana")
    client_id, secret = server.register_app()
    code = server.authorize("ana", client_id, scope="read")
    reader = Mastodon(client_id=client_id, client_secret=secret, api_base_url=server.base)
    token = reader.log_in(code=code, redirect_uri=REDIRECT, scopes=["read"], allow_http=True)
    assert token
    with pytest.raises(MastodonAPIError) as refused:
        reader.status_post("Hello")
    assert refused.value.args[1] == 403


def test_a_member_changes_their_profile_from_an_app(server: Running) -> None:
    server.member("ana")
    ana = server.mastodon("ana")
    avatar, header = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (300, 300), (200, 80, 60)).save(avatar, "PNG")
    Image.new("RGB", (1200, 400), (60, 80, 200)).save(header, "PNG")
    changed = ana.account_update_credentials(
        display_name="Ana on the porch",
        note="Tea & slow talk",
        locked=True,
        fields=[("Garden", "Tomatoes <3")],
        avatar=avatar.getvalue(),
        avatar_mime_type="image/png",
        header=header.getvalue(),
        header_mime_type="image/png",
    )
    assert changed["display_name"] == "Ana on the porch"
    assert changed["note"] == "Tea &amp; slow talk"
    assert changed["source"]["note"] == "Tea & slow talk"
    assert changed["locked"] is True
    assert [(f["name"], f["value"]) for f in changed["fields"]] == [("Garden", "Tomatoes &lt;3")]
    assert "/media/avatars/" in changed["avatar"] and "/media/headers/" in changed["header"]
    assert httpx.get(changed["header"]).status_code == 200

    person = httpx.get(
        server.base + "/users/ana", headers={"Accept": "application/activity+json"}
    ).json()
    assert person["image"]["url"] == changed["header"]
    assert person["attachment"][0]["type"] == "PropertyValue"
    assert person["attachment"][0]["name"] == "Garden"
    page = httpx.get(server.base + "/@ana").text
    assert "<dt>Garden</dt><dd>Tomatoes &lt;3</dd>" in page


def test_a_spent_daily_budget_answers_429_with_retry_after(server: Running) -> None:
    server.member("ana")

    async def two_a_day() -> None:
        async with server.app.state.sessions() as session:
            await norms.change(
                session,
                server.app.state.settings,
                "budget.newcomer_posts_per_day",
                "2",
                reason="test",
                actor_id=None,
                now=server.clock.now(),
            )

    server.run(two_a_day())
    with server.api("ana") as api:
        for text in ("One", "Two"):
            assert api.post("/api/v1/statuses", data={"status": text}).status_code == 200
        refused = api.post("/api/v1/statuses", data={"status": "Three"})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(24 * 3600)
    assert "daily budget" in refused.json()["error"]


def test_a_harsh_reply_from_an_app_is_not_refused_but_waits_longer(server: Running) -> None:
    server.member("ana")
    server.member("ben")
    ana, ben = server.mastodon("ana"), server.mastodon("ben")
    question = ana.status_post("Planting tomatoes this week")
    server.publish_due(31)
    now = server.clock.now()
    reply = ben.status_post("WHY WOULD YOU DO THAT???", in_reply_to_id=question["id"])
    # An app cannot show the tone nudge: the reply goes, after the as-written pause.
    assert (reply["created_at"] - now).total_seconds() == pytest.approx(120, abs=1)


def test_a_slowed_thread_answers_429_to_a_second_quick_reply(server: Running) -> None:
    server.member("ana")
    server.member("ben")
    ana, ben = server.mastodon("ana"), server.mastodon("ben")
    root = ana.status_post("A calm thread, please")
    server.publish_due(31)

    async def slow_it() -> None:
        async with server.app.state.sessions() as session:
            author = int(root["account"]["id"])
            await slow_mode.set_by_hand(
                session, author, False, int(root["id"]), True, server.clock.now()
            )

    server.run(slow_it())
    ben.status_post("First thought", in_reply_to_id=root["id"])
    with server.api("ben") as api:
        refused = api.post(
            "/api/v1/statuses", data={"status": "Second", "in_reply_to_id": root["id"]}
        )
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) == 120
    assert "slow mode" in refused.json()["error"]
