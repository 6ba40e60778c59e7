"""The stream hub across instances: a stream open on one instance hears what another
instance published, through the Redis bus they share."""

from __future__ import annotations

import asyncio
from typing import Any

from server.api.mastodon.stream_hub import Message, hub
from server.api.mastodon.stream_subscriptions import Subscription
from server.app import create_app
from server.services import accounts, oauth_tokens, publishing
from tests.conftest import REDIS_URL, client_for, need_service, sign_up


async def test_a_stream_on_one_instance_hears_a_post_published_on_another(
    settings: Any, clock: Any
) -> None:
    """Ben streams from instance A; Ana posts through instance B, whose publish reaches
    Ben through Redis."""
    need_service("redis", REDIS_URL)
    shared = settings.model_copy(update={"redis_url": REDIS_URL})
    one = create_app(shared, clock=clock, apply_migrations=False, run_jobs=False)
    two = create_app(shared, clock=clock, apply_migrations=False, run_jobs=False)
    async with one.router.lifespan_context(one), two.router.lifespan_context(two):
        await asyncio.wait_for(one.state.bus.subscribed.wait(), 5)
        await asyncio.wait_for(two.state.bus.subscribed.wait(), 5)
        ana = await sign_up(client_for(two), "ana")
        await sign_up(client_for(one), "ben")
        async with one.state.sessions() as session:
            ben = await accounts.local_member(session, "ben")
            assert ben.member.id is not None
            issued = await oauth_tokens.create_token(
                session, ben.member.id, "Ben's app", "read", clock.now()
            )
            grant = await oauth_tokens.authenticate(session, issued.access_token, clock.now())
        assert grant is not None
        streams = hub(one)
        connection = streams.join(grant, [Subscription("public")])
        try:
            post_id = await ana.post("Hello from the other instance")
            clock.advance(31)
            async with two.state.sessions() as session:
                assert await publishing.publish(session, post_id, clock.now())
            heard = await connection.get(5)
            assert isinstance(heard, Message)
            assert (heard.stream, heard.event) == (["public"], "update")
            assert '"content": "<p>Hello from the other instance</p>"' in heard.payload
        finally:
            await streams.leave(connection)
        await ana.client.aclose()
