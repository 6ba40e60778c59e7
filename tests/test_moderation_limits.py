"""A limited account, as a limited server: off public timelines, public streams and the
notifications of people who do not follow it, from the next read on; lifted at once."""

from __future__ import annotations

from server.models import ActionKind, ModerationAction
from server.services import accounts, moderation, notifications, sanctions, timelines
from server.services.audience import Reader, readers
from tests.conftest import publish_due
from tests.test_quiet_notifications import notifications_of, set_filters, stored_for


async def limit_ben(app, settings, clock) -> ModerationAction:
    async with app.state.sessions() as session:
        ben = await accounts.local_actor(session, "ben")
        assert ben.id is not None
        return await moderation.act(
            session,
            settings,
            moderator_id=None,
            target_id=ben.id,
            kind=ActionKind.limit,
            reason="Replies that read as attacks",
            now=clock.now(),
        )


async def test_a_limited_members_posts_leave_public_timelines_and_streams_at_once(
    app, settings, clock, people, visitor
) -> None:
    ana, ben = people["ana"], people["ben"]
    await ana.follow("ben")
    post_id = await ben.post("Hot take #soup", visibility="public")
    await publish_due(app, clock, 30)
    streams = {
        Reader(None, "public"),
        Reader(None, "public:local"),
        Reader(None, "hashtag", "soup"),
    }
    async with app.state.sessions() as session:
        assert await readers(session, post_id, streams, clock.now()) == streams
    action = await limit_ben(app, settings, clock)
    for page in ("/local", "/tags/soup"):
        assert "Hot take" not in (await visitor.get(page)).text, page
    async with app.state.sessions() as session:
        ana_actor = await accounts.local_actor(session, "ana")
        assert await readers(session, post_id, streams, clock.now()) == set()
        public = await timelines.public(session, None)
        assert post_id not in [v.post.id for v in public.items]
        # Ana follows Ben: his posts still reach her home stream, as a limited server's do.
        home = {Reader(ana_actor.id, "user")}
        assert await readers(session, post_id, home, clock.now()) == home
        await sanctions.lift(session, action, clock.now())
    assert "Hot take" in (await visitor.get("/local")).text


async def test_a_limited_member_reaches_only_followers_notifications(
    app, settings, clock, people
) -> None:
    ana, ben = people["ana"], people["ben"]
    await ana.follow("ben")
    before = await ben.post("@cleo @ana hello both")
    await publish_due(app, clock, 30)
    async with app.state.sessions() as session:
        cleo_actor = await accounts.local_actor(session, "cleo")
        told = await notifications.for_member(session, cleo_actor.id)
        assert [n.post.id for n in told if n.post] == [before]
    await limit_ben(app, settings, clock)
    after = await ben.post("@cleo @ana hello again")
    await publish_due(app, clock, 30)
    async with app.state.sessions() as session:
        ana_actor = await accounts.local_actor(session, "ana")
        # Cleo, who does not follow Ben, hears of neither mention from the next read on.
        assert await notifications.for_member(session, cleo_actor.id) == []
        assert await notifications.unread_count(session, cleo_actor.id) == 0
        heard = [n.post.id for n in await notifications.for_member(session, ana_actor.id) if n.post]
        assert heard == [after, before]


async def test_a_limited_members_mention_waits_in_a_strangers_filtered_inbox(
    app, settings, clock, people
) -> None:
    """Limited by moderators counts as limited in Cleo's notification filters, as a
    limited server does: kept apart by default, and in her list once she lets Ben in."""
    ben, cleo = people["ben"], people["cleo"]
    await limit_ben(app, settings, clock)
    await ben.post("@cleo hello")
    await publish_due(app, clock, 30)
    assert [n.filtered for n in await stored_for(app, "cleo")] == [True]
    assert "hello" not in await notifications_of(cleo)
    assert "@ben" in (await cleo.client.get("/notifications/filtered")).text
    await set_filters(cleo, for_limited_accounts="accept")
    await ben.post("@cleo hello again")
    await publish_due(app, clock, 30)
    assert "hello again" in await notifications_of(cleo)
