"""Thread stewardship: Ana hides a harsh reply on her thread, and the replies of people she
blocked leave her threads, for every reader here but their authors."""

from __future__ import annotations

import httpx
from sqlmodel import func, select
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import (
    Actor,
    HiddenReply,
    Notification,
    NotificationKind,
    OutboxItem,
    ThreadSignals,
    Visibility,
)
from server.services import accounts, norms, remote_posts, signal_rebuild
from server.services.remote_posts import RemotePost
from server.services.thread_sums import Thresholds
from tests.conftest import Person, csrf_from, publish_due
from tests.test_exactly_once import bearer

HARSH = "What an idiotic thing to say, honestly"
KIND = "Lovely, thank you for sharing this with us"
PLACEHOLDER = "A reply hidden by the thread’s author"


async def _thread(app: Starlette, clock: FrozenClock, people: dict[str, Person]) -> tuple[int, ...]:
    """Ana's post, Ben's harsh reply to it and Cleo's kind one, all published."""
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    root = await ana.post("I finally planted the tomatoes today")
    await publish_due(app, clock, 31)
    harsh = await ben.post(HARSH, reply_to=root)
    kind = await cleo.post(KIND, reply_to=root)
    await publish_due(app, clock, 61)
    return root, harsh, kind


async def _act(person: Person, post_id: int, action: str, page: str) -> httpx.Response:
    token = await csrf_from(person.client, page)
    return await person.client.post(f"/posts/{post_id}/{action}", data={"csrf_token": token})


async def _actor_id(app: Starlette, name: str) -> int:
    async with app.state.sessions() as session:
        found = (await accounts.local_actor(session, name)).id
    assert found is not None
    return found


async def _descendants(app: Starlette, clock: FrozenClock, name: str, post_id: int) -> list[dict]:
    async with await bearer(app, name, clock) as client:
        answer = await client.get(f"/api/v1/statuses/{post_id}/context")
    assert answer.status_code == 200, answer.text
    return answer.json()["descendants"]


async def test_ana_hides_bens_reply_and_only_ben_and_ana_still_read_it(
    app, clock, people, visitor
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    root, harsh, kind = await _thread(app, clock, people)
    page = f"/@ana/{root}"
    assert "Hide this reply" in (await ana.client.get(page)).text
    assert "Hide this reply" not in (await cleo.client.get(page)).text

    answer = await _act(ana, harsh, "hide", page)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/@ana/{root}#hidden-{harsh}"

    for reader in (cleo.client, visitor):
        shown = (await reader.get(page)).text
        assert HARSH not in shown and PLACEHOLDER in shown and KIND in shown
    # Opening the hidden reply's own page shows the placeholder in its place too, and
    # no way to answer it (the composer would show it).
    shown = (await cleo.client.get(f"/@ben/{harsh}")).text
    assert HARSH not in shown and PLACEHOLDER in shown
    assert f"/compose?reply_to={harsh}" not in shown
    # Ana's post's public replies collection (what other servers read) leaves it out.
    collection = await visitor.get(
        f"/users/ana/statuses/{root}/replies?page=true",
        headers={"Accept": "application/activity+json"},
    )
    assert [i.rsplit("/", 1)[1] for i in collection.json()["items"]] == [str(kind)]
    mine = (await ben.client.get(page)).text
    assert HARSH in mine and "Only you see this reply in the thread" in mine
    steward = (await ana.client.get(page)).text
    assert "You hid a reply from ben" in steward and HARSH in steward  # inside <details>
    assert "Show it again" in steward

    # Apps: left out for Cleo; Ana's apps get it marked as Mastodon's "warn" filter.
    assert [s["id"] for s in await _descendants(app, clock, "cleo", root)] == [str(kind)]
    for_ana = {s["id"]: s for s in await _descendants(app, clock, "ana", root)}
    assert set(for_ana) == {str(harsh), str(kind)}
    assert for_ana[str(harsh)]["filtered"][0]["filter"]["filter_action"] == "warn"
    assert for_ana[str(kind)]["filtered"] == []
    for_ben = {s["id"]: s for s in await _descendants(app, clock, "ben", root)}
    assert set(for_ben) == {str(harsh), str(kind)}
    assert for_ben[str(harsh)]["filtered"] == []

    assert (await _act(ana, harsh, "unhide", page)).status_code == 303
    for reader in (cleo.client, visitor):
        shown = (await reader.get(page)).text
        assert HARSH in shown and PLACEHOLDER not in shown
    assert len(await _descendants(app, clock, "cleo", root)) == 2
    collection = await visitor.get(
        f"/users/ana/statuses/{root}/replies?page=true",
        headers={"Accept": "application/activity+json"},
    )
    assert len(collection.json()["items"]) == 2


async def test_only_the_threads_starter_hides_and_only_replies(app, clock, people) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    root, harsh, kind = await _thread(app, clock, people)
    answer_to_cleo = await ben.post("Cleo, you are wrong as usual", reply_to=kind)
    await publish_due(app, clock, 61)
    page = f"/@ana/{root}"
    # Cleo started no thread here: Ben's answer to her is not hers to hide.
    assert (await _act(cleo, answer_to_cleo, "hide", page)).status_code == 403
    assert (await _act(ben, harsh, "hide", page)).status_code == 403
    assert (await _act(ana, root, "hide", page)).status_code == 422
    assert (await _act(ana, root + 999, "hide", page)).status_code == 404
    own = await ana.post("Thanks all", reply_to=root)
    await publish_due(app, clock, 61)
    refused = await _act(ana, own, "hide", page)
    assert refused.status_code == 422 and "delete it instead" in refused.text
    async with await bearer(app, "cleo", clock) as client:
        refused = await client.post(f"/api/v1/statuses/{answer_to_cleo}/hide")
        assert refused.status_code == 403
        assert refused.json() == {
            "error": "Only the person who started this thread can hide its replies."
        }
    async with await bearer(app, "ana", clock) as client:
        for _ in range(2):  # twice is once
            hidden = await client.post(f"/api/v1/statuses/{answer_to_cleo}/hide")
            assert hidden.status_code == 200 and hidden.json()["id"] == str(answer_to_cleo)
    async with app.state.sessions() as session:
        assert len((await session.exec(select(HiddenReply))).all()) == 1


async def test_replies_under_a_hidden_reply_go_with_it_except_for_their_author(
    app, clock, people, visitor
) -> None:
    ana, cleo = people["ana"], people["cleo"]
    root, harsh, _ = await _thread(app, clock, people)
    under = await cleo.post("Ben, please be kinder than that", reply_to=harsh)
    await publish_due(app, clock, 61)
    await _act(ana, harsh, "hide", f"/@ana/{root}")

    shown = (await visitor.get(f"/@ana/{root}")).text
    assert "with 1 more reply under it" in shown
    assert HARSH not in shown and "please be kinder" not in shown
    # Cleo reads her own reply, not the one it answers.
    mine = (await cleo.client.get(f"/@ana/{root}")).text
    assert "please be kinder" in mine and HARSH not in mine
    # Asked from Cleo's reply, the context leaves the hidden reply out of its ancestors.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost:8000"
    ) as anyone:
        context = (await anyone.get(f"/api/v1/statuses/{under}/context")).json()
    assert [s["id"] for s in context["ancestors"]] == [str(root)]
    assert await _descendants(app, clock, "ben", root) != []  # Ben still reads his own


async def test_people_ana_blocked_leave_her_threads_for_every_reader_until_unblocked(
    app, clock, people, visitor
) -> None:
    ben, cleo = people["ben"], people["cleo"]
    root, harsh, kind = await _thread(app, clock, people)
    page = f"/@ana/{root}"
    ben_id = await _actor_id(app, "ben")
    async with await bearer(app, "ana", clock) as client:
        assert (await client.post(f"/api/v1/accounts/{ben_id}/block")).status_code == 200

    for reader in (cleo.client, visitor):
        shown = (await reader.get(page)).text
        assert HARSH not in shown and PLACEHOLDER in shown and KIND in shown
    assert [s["id"] for s in await _descendants(app, clock, "cleo", root)] == [str(kind)]
    collection = await visitor.get(
        f"/users/ana/statuses/{root}/replies?page=true",
        headers={"Accept": "application/activity+json"},
    )
    assert [i.rsplit("/", 1)[1] for i in collection.json()["items"]] == [str(kind)]
    # Ben still reads his own reply (Ana's post is out of his sight: blocks work both ways).
    mine = (await ben.client.get(f"/@ben/{harsh}")).text
    assert HARSH in mine and "Only you see this reply in the thread" in mine
    # A new reply of Ben's in Ana's thread, to Cleo, is hidden as it is published.
    later = await ben.post("Still think this is silly, Cleo", reply_to=kind)
    await publish_due(app, clock, 61)
    assert "Still think" not in (await cleo.client.get(page)).text
    assert str(later) not in [s["id"] for s in await _descendants(app, clock, "cleo", root)]

    async with await bearer(app, "ana", clock) as client:
        assert (await client.post(f"/api/v1/accounts/{ben_id}/unblock")).status_code == 200
    shown = (await visitor.get(page)).text
    assert HARSH in shown and "Still think" in shown and PLACEHOLDER not in shown


async def test_a_hidden_reply_leaves_the_threads_signals_and_comes_back(app, clock, people) -> None:
    ana = people["ana"]
    root, harsh, _ = await _thread(app, clock, people)

    async def signals() -> tuple[int, set[str]]:
        async with app.state.sessions() as session:
            found = await session.get(ThreadSignals, root)
            assert found is not None
            return found.replies, set(found.people)

    assert (await signals())[0] == 2
    await _act(ana, harsh, "hide", f"/@ana/{root}")
    assert (await signals())[0] == 1
    # Derived again from the posts (`porch ranking rebuild`), the hidden reply stays out.
    async with app.state.sessions() as session:
        await signal_rebuild.rebuild(session, Thresholds())
    assert (await signals())[0] == 1
    await _act(ana, harsh, "unhide", f"/@ana/{root}")
    assert (await signals())[0] == 2
    ben_id = await _actor_id(app, "ben")
    async with await bearer(app, "ana", clock) as client:
        await client.post(f"/api/v1/accounts/{ben_id}/block")
        assert (await signals())[0] == 1
        await client.post(f"/api/v1/accounts/{ben_id}/unblock")
    assert (await signals())[0] == 2


async def test_a_hidden_reply_brings_no_one_ana_s_thread_in_conversations(
    app, clock, people
) -> None:
    """Cleo follows only Ben: his reply in Ana's thread brings it to her Conversations,
    until Ana hides it."""
    ana, cleo = people["ana"], people["cleo"]
    await cleo.follow("ben")
    root, harsh, _ = await _thread(app, clock, people)
    async with await bearer(app, "cleo", clock) as client:
        listed = (await client.get("/api/v1/timelines/list/conversations")).json()
        assert str(root) in [s["id"] for s in listed], listed
        await _act(ana, harsh, "hide", f"/@ana/{root}")
        # The kept order (reused for 30 s) is ranked afresh on the next open.
        listed = (await client.get("/api/v1/timelines/list/conversations")).json()
        assert str(root) not in [s["id"] for s in listed]


async def test_ben_is_told_his_reply_was_hidden_only_where_the_norm_says_so(
    app, clock, people
) -> None:
    ana, ben = people["ana"], people["ben"]
    root, harsh, _ = await _thread(app, clock, people)
    await _act(ana, harsh, "hide", f"/@ana/{root}")

    async def told() -> list[Notification]:
        async with app.state.sessions() as session:
            rows = await session.exec(
                select(Notification).where(Notification.kind == NotificationKind.reply_hidden)
            )
            return list(rows.all())

    assert await told() == []  # the default: Ben is not told
    await _act(ana, harsh, "unhide", f"/@ana/{root}")
    async with app.state.sessions() as session:
        await norms.change(
            session,
            app.state.settings,
            "replies.hidden_told",
            "told",
            reason="Replies should not vanish silently",
            actor_id=None,
            now=clock.now(),
        )
    await _act(ana, harsh, "hide", f"/@ana/{root}")
    [notice] = await told()
    assert notice.post_id == harsh and notice.from_actor_id == await _actor_id(app, "ana")
    page = (await ben.client.get("/notifications")).text
    assert "hid your reply from their thread" in page
    # Apps have no such type in Mastodon: the list leaves it out rather than fail.
    async with await bearer(app, "ben", clock) as client:
        listed = await client.get("/api/v1/notifications")
        assert listed.status_code == 200
        assert all(n["type"] != "reply_hidden" for n in listed.json())
    await _act(ana, harsh, "unhide", f"/@ana/{root}")
    assert await told() == []  # shown again: the notice goes


async def test_a_thread_led_by_a_reply_ana_blocked_leaves_conversations(app, clock, people) -> None:
    """Ana deleted her post, so Ben's reply leads the thread in the Conversations of Cleo,
    who follows them both; once Ana blocks Ben, it leads nothing."""
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    await cleo.follow("ana")
    await cleo.follow("ben")
    root = await ana.post("Is it too late to plant garlic?")
    await publish_due(app, clock, 31)
    harsh = await ben.post(HARSH, reply_to=root)
    await publish_due(app, clock, 61)
    token = await csrf_from(ana.client, f"/@ana/{root}")
    await ana.client.post(f"/posts/{root}/delete", data={"csrf_token": token})
    async with await bearer(app, "cleo", clock) as client:
        listed = (await client.get("/api/v1/timelines/list/conversations")).json()
        assert [s["id"] for s in listed] == [str(harsh)]
        async with await bearer(app, "ana", clock) as by_ana:
            ben_id = await _actor_id(app, "ben")
            assert (await by_ana.post(f"/api/v1/accounts/{ben_id}/block")).status_code == 200
        # The kept order (reused for 30 s) is ranked afresh on the next open.
        assert (await client.get("/api/v1/timelines/list/conversations")).json() == []


async def test_ana_hides_a_reply_from_mastodon_and_nothing_is_sent_anywhere(
    app, clock, people, visitor
) -> None:
    """Zoe on mastodon.test answers Ana's post; Ana hides it. It collapses here, and no
    activity about it goes out: hiding is local."""
    ana = people["ana"]
    root = await ana.post("The first tomatoes of the summer are in!")
    await publish_due(app, clock, 31)
    async with app.state.sessions() as session:
        zoe = Actor(
            username="zoe",
            domain="mastodon.test",
            acct_key="zoe@mastodon.test",
            uri="https://mastodon.test/users/zoe",
            inbox_url="https://mastodon.test/users/zoe/inbox",
        )
        session.add(zoe)
        await session.commit()
        reply = await remote_posts.ingest(
            session,
            zoe,
            RemotePost(
                uri="https://mastodon.test/users/zoe/statuses/1",
                url=None,
                content_html=f"<p>{HARSH}</p>",
                text=HARSH,
                spoiler_text="",
                sensitive=False,
                visibility=Visibility.public,
                published_at=clock.now(),
                language=None,
                in_reply_to_id=root,
                in_reply_to_uri=None,
            ),
            clock.now(),
        )
        outbox_before = (await session.exec(select(func.count()).select_from(OutboxItem))).one()
    assert HARSH in (await visitor.get(f"/@ana/{root}")).text
    assert (await _act(ana, reply.id, "hide", f"/@ana/{root}")).status_code == 303
    shown = (await visitor.get(f"/@ana/{root}")).text
    assert HARSH not in shown and PLACEHOLDER in shown
    async with app.state.sessions() as session:
        outbox_after = (await session.exec(select(func.count()).select_from(OutboxItem))).one()
    assert outbox_after == outbox_before
