"""Home as Conversations: ranked, explained, one tap from Latest, and published."""

from __future__ import annotations

import re

from server.services import norms
from tests.conftest import csrf_from, publish_due


def _order(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<article class="post[^"]*" id="post-(\d+)"', page)]


async def test_home_ranks_conversation_first_and_says_why(app, clock, people) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    await ben.follow("ana")
    await ben.follow("cleo")
    await ana.follow("ben")
    question = await ana.post("Which tomatoes grow well in pots on a windy balcony?")
    await publish_due(app, clock, 31)
    chatter = await cleo.post("Lovely light over the river this evening, all pink and gold.")
    await publish_due(app, clock, 31)
    answer = await cleo.post(
        "Tumbling Tom does well for me, it stays short and sturdy.", reply_to=question
    )
    await publish_due(app, clock, 600)
    await ana.post("Thank you, does it need a deep pot or will a small one do?", reply_to=answer)
    await publish_due(app, clock, 600)

    page = (await ben.client.get("/")).text
    assert 'value="conversations" class="tab" aria-current="page"' in page
    order = _order(page)
    # Ana's question has a real exchange, with Ana answering: it outranks the newer post.
    assert order.index(question) < order.index(chatter)
    assert "ana answered 1 person here" in page
    assert "cleo, whom you follow, is talking here" in page
    assert "<summary>Why this post</summary>" in page
    assert "Real back-and-forth" in page or "A real back-and-forth" in page

    # One tap to Latest, remembered on the next visit; newest first there.
    token = await csrf_from(ben.client, "/")
    moved = await ben.client.post("/home/order", data={"order": "latest", "csrf_token": token})
    assert moved.status_code == 303
    page = (await ben.client.get("/")).text
    assert 'value="latest" class="tab" aria-current="page"' in page
    latest = _order(page)
    assert latest.index(chatter) < latest.index(question)
    token = await csrf_from(ben.client, "/")
    refused = await ben.client.post("/home/order", data={"order": "likes", "csrf_token": token})
    assert refused.status_code == 400
    assert 'value="latest" class="tab" aria-current="page"' in (await ben.client.get("/")).text


async def test_the_norm_sets_the_default_and_about_ranking_publishes_weights_and_changes(
    app, clock, people
) -> None:
    ana = people["ana"]
    page = (await ana.client.get("/about/ranking")).text
    assert '<code>ranking.half_life_hours</code></td><td data-label="Value">24 hours</td>' in page
    assert "nothing has changed here yet" in page

    async with app.state.sessions() as session:
        await norms.change(
            session,
            app.state.settings,
            "ranking.half_life_hours",
            "12",
            reason="We read twice a day",
            actor_id=None,
            now=clock.now(),
        )
        await norms.change(
            session,
            app.state.settings,
            "timeline.default",
            "latest",
            reason="Start calm",
            actor_id=None,
            now=clock.now(),
        )
    page = (await ana.client.get("/about/ranking")).text
    assert '<code>ranking.half_life_hours</code></td><td data-label="Value">12 hours</td>' in page
    assert "from 24 to 12: We read twice a day" in page
    assert 'value="latest" class="tab" aria-current="page"' in (await ana.client.get("/")).text


async def test_weights_out_of_range_are_refused_on_the_console_and_the_old_value_kept(
    app, clock, people
) -> None:
    ana = people["ana"]
    async with app.state.sessions() as session:
        from server.models import MemberRole
        from server.services import accounts

        admin = await accounts.local_member(session, "ana")
        admin.member.role = MemberRole.admin
        session.add(admin.member)
        await session.commit()
    for value in ("200", "-1", "soon", "nan"):
        token = await csrf_from(ana.client, "/admin/norms")
        answer = await ana.client.post(
            "/admin/norms",
            data={
                "name": "ranking.half_life_hours",
                "value": value,
                "reason": "try",
                "csrf_token": token,
            },
        )
        assert answer.status_code == 422, value
        assert "Half-life must be" in answer.text
    token = await csrf_from(ana.client, "/admin/norms")
    answer = await ana.client.post(
        "/admin/norms",
        data={"name": "ranking.likes_weight", "value": "2", "reason": "x", "csrf_token": token},
    )
    assert answer.status_code == 422
    assert "between 0 and 1" in answer.text
    async with app.state.sessions() as session:
        found = await norms.current(session, app.state.settings)
    assert found["ranking.half_life_hours"] == 24
    assert found["ranking.likes_weight"] == 0.05


async def test_counts_stay_folded_unless_the_member_asks(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    await ben.follow("ana")
    post = await ana.post("A photo of the first frost on the allotment this morning.")
    await publish_due(app, clock, 31)
    token = await csrf_from(ben.client, "/")
    await ben.client.post(f"/posts/{post}/like", data={"csrf_token": token})
    await ben.client.post(f"/posts/{post}/boost", data={"csrf_token": token})
    page = (await ben.client.get("/")).text
    assert '<details class="likes"><summary>Show likes</summary>1 like · 1 boost</details>' in page
    token = await csrf_from(ben.client, "/settings/profile")
    await ben.client.post(
        "/settings/profile",
        data={"display_name": "Ben", "show_counts": "on", "csrf_token": token},
    )
    page = (await ben.client.get("/")).text
    # Shown, each count sits beside its icon, named for screen readers.
    assert '<span class="count">1<span class="visually-hidden"> like</span></span>' in page
    assert '<span class="count">1<span class="visually-hidden"> boost</span></span>' in page
    assert "Show likes" not in page


async def test_rebuild_derives_the_same_signals_as_the_replies_kept_current(
    app, clock, people
) -> None:
    from sqlmodel import select

    from server.models import ThreadSignals
    from server.services import signal_rebuild, thread_sums

    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    await ben.follow("ana")
    await ana.follow("ben")  # new accounts count once a member follows them
    question = await ana.post("Has anyone here tried growing saffron crocus in a cold garden?")
    await publish_due(app, clock, 31)
    first = await ben.post(
        "Yes, two autumns now; they need sharp drainage above all.", reply_to=question
    )
    await cleo.post("Short", reply_to=question)  # too short to count
    await publish_due(app, clock, 300)
    await ana.post(
        "Sharp drainage, noted. Did you grow them in pots or in the ground?", reply_to=first
    )
    await publish_due(app, clock, 300)

    def shape(rows: list[ThreadSignals]) -> list[dict[str, object]]:
        return [r.model_dump(exclude={"updated_at", "last_activity"}) for r in rows]

    async with app.state.sessions() as session:
        kept = shape(list((await session.exec(select(ThreadSignals))).all()))
        assert kept and kept[0]["replies"] == 3 and kept[0]["author_answered"] == 1
        assert len(kept[0]["people"]) == 1  # Ben; Cleo's two words do not count
        threads, replies = await signal_rebuild.rebuild(session, thread_sums.Thresholds())
        assert (threads, replies) == (1, 3)
        session.expunge_all()
        rebuilt = shape(list((await session.exec(select(ThreadSignals))).all()))
    assert rebuilt == kept


async def test_a_member_keeps_only_a_few_ranked_orders(app, clock, people) -> None:
    from sqlmodel import func, select

    from server.models import RankedSnapshot
    from server.services import ranked_timeline
    from server.services.kept_orders import REUSE_FOR

    for _ in range(ranked_timeline.SNAPSHOTS_KEPT + 3):
        await people["ana"].client.get("/")
        clock.advance(REUSE_FOR.total_seconds())  # each open ranks anew
    async with app.state.sessions() as session:
        count = (await session.exec(select(func.count()).select_from(RankedSnapshot))).one()
    assert count == ranked_timeline.SNAPSHOTS_KEPT
