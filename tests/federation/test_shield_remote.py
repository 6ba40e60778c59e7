"""Replies from another server count towards the pile-on shield as local ones do, and
their notifications are gathered once it is up."""

from __future__ import annotations

from typing import Any

from sqlmodel import col

from federation.signatures import KeyPair
from server.models import Notification, PileOnShield
from server.services import norms
from tests.federation.mastodon_double import (
    ZOE,
    Scene,
    scene_on_both_fixture,  # noqa: F401
)

REPLY = "create_note_reply_mention"


def reply_by(scene: Scene, actor: str, number: int) -> dict[str, Any]:
    """`actor`'s public reply to Ana's post, as Mastodon sends it."""
    activity = scene.load(REPLY)
    note_id = f"{actor}/statuses/1139{number:014d}"
    activity["actor"] = actor
    activity["id"] = note_id + "/activity"
    activity["object"] |= {"id": note_id, "attributedTo": actor}
    activity["object"]["cc"] = [c.replace(ZOE, actor) for c in activity["object"].get("cc", [])]
    activity["cc"] = activity["object"]["cc"]
    return activity


async def test_three_people_on_mastodon_replying_raise_anas_shield(scene_on_both: Scene) -> None:
    """Zoe, Yan and Xia on mastodon.test, none following Ana, answer her post within
    minutes: the third raises the shield, and Ana hears of it instead of the third reply."""
    scene = scene_on_both
    async with scene.session() as session:
        await norms.change(
            session,
            scene.app.state.settings,
            "shield.strangers",
            "3",
            reason="",
            actor_id=None,
            now=scene.clock.now(),
        )
    keys = {"yan": KeyPair.generate(), "xia": KeyPair.generate()}
    people = {name: scene.mastodon.add_person(name, key) for name, key in keys.items()}

    first = await scene.deliver(reply_by(scene, ZOE, 1))
    assert first.status_code == 202, first.text
    for number, (name, uri) in enumerate(people.items(), start=2):
        scene.clock.advance(60)
        answer = await scene.deliver(
            reply_by(scene, uri, number), key=keys[name], key_id=uri + "#main-key"
        )
        assert answer.status_code == 202, answer.text

    [shield] = await scene.rows(PileOnShield)
    assert shield.post_id == scene.ana_post_id and shield.strangers == 3
    told = await scene.rows(Notification, col(Notification.post_id).is_not(None))
    kinds = sorted(str(n.kind) for n in told)
    assert kinds == ["pile_on_shield", "reply", "reply"]
    assert shield.gathered == 1
