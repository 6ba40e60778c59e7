"""A waiting reply streams to nobody until it is approved."""

from __future__ import annotations

from typing import Any

from server.api.mastodon.stream_hub import Message, hub
from server.api.mastodon.stream_subscriptions import Subscription
from server.services import accounts, oauth_tokens
from tests.federation.mastodon_double import Scene, scene_fixture  # noqa: F401
from tests.federation.test_approvals import REPLY_TEXT, ana_asks, decide, deliver, requests


async def heard_until(connection: Any, words: str) -> list[Message]:
    """What a stream says up to and with the first update carrying `words`."""
    heard: list[Message] = []
    for _ in range(10):
        message = await connection.get(5)
        assert isinstance(message, Message), f"nothing with {words!r} after {heard}"
        heard.append(message)
        if message.event == "update" and words in message.payload:
            return heard
    raise AssertionError(f"nothing with {words!r} after {heard}")


async def test_a_waiting_reply_streams_to_nobody_until_approved(scene: Scene) -> None:
    """Ana follows Zoe, so Zoe's replies reach Ana's home and her stream: while Zoe's
    reply waits, the stream says nothing of it (Ana's next post comes first, with
    nothing of the reply before it); once approved, it streams."""
    await scene.ana_follows_zoe()
    await ana_asks(scene, reply="anyone-asks")
    async with scene.session() as session:
        ana = await accounts.local_member(session, "ana")
        assert ana.member.id is not None
        issued = await oauth_tokens.create_token(
            session, ana.member.id, "Ana's app", "read", scene.clock.now()
        )
        grant = await oauth_tokens.authenticate(session, issued.access_token, scene.clock.now())
    assert grant is not None
    streams = hub(scene.app)
    connection = streams.join(grant, [Subscription("user")])
    try:
        await deliver(scene, "create_note_reply_mention")
        await scene.ana.post("Second row done.")
        await scene.drain(31)
        before = await heard_until(connection, "Second row done.")
        assert not any(REPLY_TEXT in m.payload for m in before), before

        [request] = await requests(scene)
        await decide(scene, request.id, "approve")
        after = await heard_until(connection, REPLY_TEXT)
        assert after[-1].event == "update"
    finally:
        await streams.leave(connection)
