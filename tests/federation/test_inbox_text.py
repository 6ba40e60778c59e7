"""Text no database keeps (lone surrogates, NUL) arriving from other servers is cleaned
where their JSON is read, so it is stored, shown and searched like any other text."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from federation.bodies import loads
from federation.incoming import Malformed
from server.models import Member, Post
from server.services import oauth_tokens
from tests.federation.mastodon_double import (
    ZOE,
    Scene,
    scene_on_both_fixture,  # noqa: F401
)

REPLY = "create_note_reply_mention"


def test_lone_surrogates_and_nul_are_cleaned_wherever_they_are() -> None:
    body = (
        b'{"a": "x\\ud800y", "b": ["\\udfff", {"c\\u0000": "n\\u0000ul"}], "d": "\\ud83d\\ude00"}'
    )
    assert loads(body) == {"a": "x\ufffdy", "b": ["\ufffd", {"c": "nul"}], "d": "\U0001f600"}


def test_invalid_json_is_still_refused() -> None:
    with pytest.raises(Malformed):
        loads(b'{"a": "\\ud8"}')


async def test_a_note_holding_a_lone_surrogate_is_accepted_and_kept_cleaned(
    scene_on_both: Scene,
) -> None:
    scene = scene_on_both

    def broken(activity: dict[str, Any]) -> None:
        note = activity["object"]
        note["content"] = "<p>Is the bench new? \ud800 Looks\u0000 great.</p>"
        note["url"] = note["url"] + "\u0000"
        note["tag"].append({"type": "Hashtag", "name": "#knit\ud800", "href": ZOE})

    response = await scene.deliver(REPLY, mutate=broken)

    assert response.status_code == 202, response.text
    [post] = await scene.rows(Post, Post.uri == scene.load(REPLY)["object"]["id"])
    assert "Is the bench new? \ufffd Looks great." in post.text
    assert post.url is not None and "\x00" not in post.url
    page = await scene.ana.client.get(f"/@zoe@mastodon.test/{post.id}")
    assert page.status_code == 200 and "Is the bench new? \ufffd Looks great." in page.text


async def test_an_actor_whose_name_holds_a_lone_surrogate_can_deliver_and_be_found(
    scene_on_both: Scene,
) -> None:
    scene = scene_on_both
    actor = scene.mastodon.actor()
    actor["name"] = "Zoe \ud800\u0000"
    actor["summary"] = "<p>Knitter \udfff from the coast</p>"
    scene.mastodon.publish(actor)

    response = await scene.deliver(REPLY)

    assert response.status_code == 202, response.text
    zoe = await scene.actor(ZOE)
    assert zoe.display_name == "Zoe \ufffd" and zoe.bio == "Knitter \ufffd from the coast"
    found = await scene.ana.client.get("/search", params={"q": "@zoe@mastodon.test"})
    assert found.status_code == 303, found.text
    profile = await scene.ana.client.get(found.headers["location"])
    assert profile.status_code == 200 and "Zoe \ufffd" in profile.text
    api = await scene.ana.client.get(
        "/api/v2/search",
        params={"q": "@zoe@mastodon.test", "resolve": "true"},
        headers={"Authorization": f"Bearer {await api_token(scene, 'ana')}"},
    )
    assert api.status_code == 200, api.text
    assert [a["display_name"] for a in api.json()["accounts"]] == ["Zoe \ufffd"]


async def api_token(scene: Scene, username: str) -> str:
    """A client API token for a member, as `porch token create` makes one."""
    ana = await scene.actor(username)
    async with scene.session() as session:
        member = (await session.exec(select(Member).where(Member.actor_id == ana.id))).one()
        assert member.id is not None
        issued = await oauth_tokens.create_token(
            session, member.id, "test", "read", scene.clock.now()
        )
    return issued.access_token
