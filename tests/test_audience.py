"""The stream audience agrees with the timelines: an event reaches exactly the streams
whose timeline would show the post, and `who_may_see` with `visible_to`, for every post
and viewer of a varied community."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from server.models import MemberState, Post, PostState
from server.services import (
    accounts,
    blocks,
    lists,
    mutes,
    posts,
    reactions,
    timelines,
)
from server.services.audience import Reader, readers, who_may_see
from server.services.paging import Window
from server.services.visibility import visible_to
from tests.conftest import client_for, publish_due, sign_up

EVERYONE = Window(limit=200)


async def build(app: Any, clock: Any, people: dict[str, Any]) -> dict[str, int]:
    """Ana posts in every way; Ben follows her, Cleo blocks her, Dan follows and mutes
    her, Eve follows her and has her on an exclusive list, Finn follows and is suspended."""
    for name in ("dan", "eve", "finn"):
        people[name] = await sign_up(client_for(app), name)
    ana, ben, cleo, dan = people["ana"], people["ben"], people["cleo"], people["dan"]
    for name in ("ben", "dan", "eve", "finn"):
        await people[name].follow("ana")
    await ben.follow("cleo")
    ids = {}
    async with app.state.sessions() as session:
        actor = {n: await accounts.local_actor(session, n) for n in people}
        ids = {n: a.id for n, a in actor.items()}
        await blocks.block(session, actor["cleo"], actor["ana"], clock.now())
        await mutes.mute(session, actor["dan"], actor["ana"], clock.now())
        chosen = await lists.create(
            session, ids["eve"], title="Ana", replies_policy="list", exclusive=True, now=clock.now()
        )
        await lists.add(session, ids["eve"], chosen.id, [ids["ana"]])
        ids["eve_list"] = chosen.id
        wide = await lists.create(
            session,
            ids["ben"],
            title="All",
            replies_policy="none",
            exclusive=False,
            now=clock.now(),
        )
        await lists.add(session, ids["ben"], wide.id, [ids["ana"], ids["cleo"]])
        ids["ben_list"] = wide.id
    public = await ana.post("Hello #soup")
    await ana.post("Quiet one", visibility="unlisted")
    await ana.post("Friends only #soup", visibility="followers")
    await ana.post("@ben a secret", visibility="direct")
    await ana.post("@cleo can you see this", visibility="direct")
    await cleo.post("Cleo's own #soup")
    await publish_due(app, clock, 31)
    await ben.post("@ana lovely", reply_to=public)
    await dan.post("Dan thinks aloud")
    await people["finn"].post("Finn's last #soup")
    await publish_due(app, clock, 31)
    gone = await ana.post("Soon gone")
    await publish_due(app, clock, 31)
    async with app.state.sessions() as session:
        await reactions.boost(session, actor["ben"], public, clock.now())
        await posts.delete_published(session, actor["ana"], gone, clock.now())
        await session.commit()
        await accounts.set_state(session, "finn", MemberState.suspended, clock.now())
    await ana.post("Still in its pause")  # pending: nobody streams it
    return ids


async def test_who_may_see_agrees_with_visible_to_for_every_post_and_viewer(
    app, clock, people
) -> None:
    ids = await build(app, clock, people)
    viewers: list[int | None] = [None, *(ids[n] for n in people)]
    async with app.state.sessions() as session:
        post_ids = list((await session.exec(select(Post.id))).all())
        assert len(post_ids) >= 12
        for post_id in post_ids:
            expected = set()
            for viewer in viewers:
                found = select(Post.id).where(Post.id == post_id, visible_to(viewer))
                if (await session.exec(found)).first() is not None:
                    expected.add(viewer)
            assert await who_may_see(session, post_id, viewers) == expected, post_id


async def timeline(session: Any, reader: Reader, viewer: Any, now: Any) -> set[int]:
    """What the reader's timeline shows, published posts only (streams carry no pending)."""
    if reader.stream == "user":
        page = await timelines.home(session, viewer, now, EVERYONE)
    elif reader.stream == "list":
        chosen = await lists.own(session, viewer.id, reader.list_id)
        page = await timelines.of_list(session, viewer, chosen, EVERYONE)
    elif reader.tag is not None:
        page = await timelines.tagged(session, reader.viewer_id, reader.tag, EVERYONE)
        if reader.stream == "hashtag:local":
            page.items = [v for v in page.items if v.author.domain is None]
    else:
        local, remote, media = {
            "public": (False, False, False),
            "public:local": (True, False, False),
            "public:remote": (False, True, False),
            "public:media": (False, False, True),
        }[reader.stream]
        page = await timelines.public(
            session, reader.viewer_id, EVERYONE, local_only=local, remote_only=remote,
            only_media=media,
        )  # fmt: skip
    return {v.post.id for v in page.items if v.post.state == PostState.published}


async def test_each_stream_hears_of_exactly_the_posts_its_timeline_shows(
    app, clock, people
) -> None:
    ids = await build(app, clock, people)
    wanted: list[Reader] = []
    for name in ("ana", "ben", "cleo", "dan", "eve"):
        for stream in ("user", "public", "public:local", "public:remote", "public:media"):
            wanted.append(Reader(ids[name], stream))
        wanted.append(Reader(ids[name], "hashtag", tag="soup"))
        wanted.append(Reader(ids[name], "hashtag:local", tag="soup"))
    wanted += [Reader(None, "public"), Reader(None, "hashtag", tag="soup")]
    wanted += [Reader(ids["eve"], "list", list_id=ids["eve_list"])]
    wanted += [Reader(ids["ben"], "list", list_id=ids["ben_list"])]
    async with app.state.sessions() as session:
        post_ids = list((await session.exec(select(Post.id))).all())
        heard: dict[Reader, set[int]] = {r: set() for r in wanted}
        for post_id in post_ids:
            for reader in await readers(session, post_id, wanted, clock.now()):
                heard[reader].add(post_id)
        for reader in wanted:
            viewer = None
            if reader.viewer_id is not None:
                viewer = await accounts.actor_by_id(session, reader.viewer_id)
            assert heard[reader] == await timeline(session, reader, viewer, clock.now()), reader
        # The story's facts, so the data stays varied as the code changes.
        by_ana = set((await session.exec(select(Post.id).where(Post.actor_id == ids["ana"]))).all())
        friends = (
            await session.exec(select(Post.id).where(Post.text == "Friends only #soup"))
        ).one()
        assert friends in heard[Reader(ids["ben"], "user")]
        assert friends not in heard[Reader(ids["ben"], "hashtag", tag="soup")]
        assert not heard[Reader(ids["dan"], "user")] & by_ana  # muted
        assert heard[Reader(ids["dan"], "public")] & by_ana  # muting keeps public streams
        assert not heard[Reader(ids["eve"], "user")] & by_ana  # on an exclusive list
        assert heard[Reader(ids["eve"], "list", list_id=ids["eve_list"])] & by_ana
        assert not any(heard[Reader(ids["cleo"], s)] & by_ana for s in ("user", "public"))
