"""Each moment of care is recorded when it happens, with the norms version in force:
how a post's pause ended, what a nudge or card led to, who slowed a thread."""

from __future__ import annotations

import re

from sqlmodel import col, select
from starlette.applications import Starlette

from server.models import CareEvent, CareKind, NormChange, Post
from server.services import norms
from tests.conftest import csrf_from, publish_due
from tests.test_admin import make_admin
from tests.test_shield import STRANGERS, World


async def events(app: Starlette, kind: CareKind) -> list[CareEvent]:
    async with app.state.sessions() as session:
        found = await session.exec(
            select(CareEvent).where(CareEvent.kind == kind).order_by(col(CareEvent.id))
        )
        return list(found.all())


async def norm_changed(app: Starlette, clock, name: str, value: object) -> int:  # type: ignore[no-untyped-def]
    """An admin changes a norm; the new norms version (the change's id)."""
    async with app.state.sessions() as session:
        await norms.change(
            session, app.state.settings, name, value, reason="", actor_id=None, now=clock.now()
        )
        found = await session.exec(select(NormChange.id).order_by(col(NormChange.id).desc()))
        return int(found.first() or 0)


async def edit(person, post_id: int, text: str) -> None:  # type: ignore[no-untyped-def]
    token = await csrf_from(person.client, f"/posts/{post_id}/edit")
    response = await person.client.post(
        f"/posts/{post_id}/edit", data={"text": text, "visibility": "public", "csrf_token": token}
    )
    assert response.status_code == 303, response.text


async def withdraw(person, post_id: int) -> None:  # type: ignore[no-untyped-def]
    token = await csrf_from(person.client, f"/@{person.name}/{post_id}")
    response = await person.client.post(f"/posts/{post_id}/withdraw", data={"csrf_token": token})
    assert response.status_code == 303, response.text


async def test_each_pause_ends_as_written_edited_or_withdrawn(app, clock, people) -> None:
    ana = people["ana"]
    # Given the community changed a norm (so the version in force is not 0),
    version = await norm_changed(app, clock, "outcomes.keep_days", 60)
    assert version > 0
    # Ana posts three times: one she leaves, one she edits in its pause, one she withdraws
    # (after editing it too).
    left = await ana.post("Soup night on Thursday")
    edited = await ana.post("Bring bowls")
    await edit(ana, edited, "Bring bowls and spoons")
    gone = await ana.post("Actually, maybe Friday")
    await edit(ana, gone, "Maybe Friday?")
    # While the pauses run, nothing is known yet.
    assert [e.outcome for e in await events(app, CareKind.pause)] == ["", "edited", "edited"]
    await withdraw(ana, gone)
    await publish_due(app, clock, 31)

    found = {e.reply_id: e for e in await events(app, CareKind.pause)}
    assert {k: e.outcome for k, e in found.items()} == {
        left: "as_written",
        edited: "edited",
        gone: "withdrawn",
    }
    assert {e.detail for e in found.values()} == {"post"}
    assert {e.norms_version for e in found.values()} == {version}
    assert {e.arm for e in found.values()} == {""}


async def test_a_withdrawn_posts_draft_is_followed_to_reposted_or_discarded(
    app, clock, people
) -> None:
    ana = people["ana"]
    again = await ana.post("Choir practice moves to the hall")
    dropped = await ana.post("No more choir")
    for post_id in (again, dropped):
        await withdraw(ana, post_id)
    found = {e.reply_id: e for e in await events(app, CareKind.pause)}
    assert {e.outcome for e in found.values()} == {"withdrawn"}
    draft_of = {post_id: found[post_id].draft_id for post_id in (again, dropped)}
    assert None not in draft_of.values()
    # Ana posts the first draft again, revised, and throws the second away.
    token = await csrf_from(ana.client, f"/compose?draft={draft_of[again]}")
    posted = await ana.client.post(
        "/posts",
        data={
            "text": "Choir practice moves to the hall, 7 pm",
            "visibility": "public",
            "draft_id": str(draft_of[again]),
            "csrf_token": token,
        },
    )
    assert posted.status_code == 303, posted.text
    token = await csrf_from(ana.client, "/drafts")
    thrown = await ana.client.post(
        f"/drafts/{draft_of[dropped]}/discard", data={"csrf_token": token}
    )
    assert thrown.status_code == 303, thrown.text
    found = {e.reply_id: e for e in await events(app, CareKind.pause)}
    assert (found[again].outcome, found[dropped].outcome) == ("reposted", "discarded")
    # The new post has its own pause, which nothing above touched.
    [new] = [e for k, e in found.items() if k not in (again, dropped)]
    assert (new.outcome, new.draft_id) == ("", None)


async def test_a_replys_pause_names_the_person_replied_to(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    question = await ana.post("Who has a ladder?")
    await publish_due(app, clock, 31)
    reply = await ben.post("I do, come by", reply_to=question)
    await publish_due(app, clock, 21)
    async with app.state.sessions() as session:
        asked = await session.get(Post, question)
        answer = await session.get(Post, reply)
    assert asked is not None and answer is not None
    [_, event] = await events(app, CareKind.pause)
    assert (event.detail, event.outcome) == ("reply", "as_written")
    assert (event.actor_id, event.target_id) == (answer.actor_id, asked.actor_id)
    assert (event.post_id, event.reply_id) == (question, reply)


async def nudged(person, parent: int, text: str) -> int:  # type: ignore[no-untyped-def]
    """`person` replies with harsh words and is shown them back; the nudge's id."""
    token = await csrf_from(person.client, f"/compose?reply_to={parent}")
    form = {"text": text, "in_reply_to_id": str(parent), "visibility": "public"}
    page = await person.client.post("/posts", data={**form, "csrf_token": token})
    assert page.status_code == 200 and "A second look?" in page.text
    found = re.search(r'name="nudge_id" value="(\d+)"', page.text)
    assert found
    return int(found.group(1))


async def answer_nudge(person, parent: int, nudge: int, text: str, **extra: str) -> int:  # type: ignore[no-untyped-def]
    token = await csrf_from(person.client, f"/compose?reply_to={parent}")
    form = {"text": text, "in_reply_to_id": str(parent), "visibility": "public"}
    form |= {"nudge_id": str(nudge), "csrf_token": token, **extra}
    response = await person.client.post("/posts", data=form)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def two_nudged_replies(app, clock, people) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    """Ana asks; Ben is nudged and rephrases, Cleo is nudged and posts as written; both
    replies go out. The nudges' ids and the replies': (bens, kinder, cleos, harsh)."""
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    question = await ana.post("Planting tomatoes this week")
    await publish_due(app, clock, 31)
    bens = await nudged(ben, question, "Why would you plant them so early???")
    kinder = await answer_nudge(ben, question, bens, "Isn't it a little early for them?")
    cleos = await nudged(cleo, question, "Why would you plant them so early???")
    harsh = await answer_nudge(
        cleo, question, cleos, "Why would you plant them so early???", tone="as_written"
    )
    await publish_due(app, clock, 600)
    return bens, kinder, cleos, harsh


async def test_a_nudge_is_tied_to_the_reply_it_led_to(app, clock, people) -> None:
    bens, kinder, cleos, harsh = await two_nudged_replies(app, clock, people)

    found = {e.id: e for e in await events(app, CareKind.tone_nudge)}
    assert (found[bens].outcome, found[bens].reply_id) == ("rephrased", kinder)
    assert (found[cleos].outcome, found[cleos].reply_id) == ("as_written", harsh)
    # Whether the words that went out still trip the check is the worker's to find.
    assert found[bens].still_flagged is None


async def test_a_nudge_kept_as_a_draft_leads_to_no_reply(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    question = await ana.post("Planting tomatoes this week")
    await publish_due(app, clock, 31)
    nudge = await nudged(ben, question, "That is STUPID AND WRONG")
    token = await csrf_from(ben.client, f"/compose?reply_to={question}")
    kept = await ben.client.post(
        "/drafts",
        data={
            "text": "That is STUPID AND WRONG",
            "in_reply_to_id": str(question),
            "nudge_id": str(nudge),
            "csrf_token": token,
        },
    )
    assert kept.status_code == 303
    [event] = await events(app, CareKind.tone_nudge)
    assert (event.outcome, event.reply_id) == ("draft", None)


async def test_a_card_is_tied_to_the_reply_written_after_it(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    question = await ana.post("Anyone for the allotment on Sunday?")
    await publish_due(app, clock, 31)
    # Ben has never talked with Ana: the composer shows him the stranger card.
    composer = await ben.client.get(f"/compose?reply_to={question}")
    assert composer.status_code == 200
    [card] = await events(app, CareKind.card)
    assert (card.detail, card.reply_id) == ("stranger", None)
    reply = await ben.post("Count me in", reply_to=question)
    [card] = await events(app, CareKind.card)
    assert card.reply_id == reply
    # A card for another post is not tied to it.
    other = await ana.post("And the compost?")
    await publish_due(app, clock, 31)
    await ben.post("Compost is my thing", reply_to=other)
    assert [c.reply_id for c in await events(app, CareKind.card)] == [reply]


async def test_who_slowed_a_thread_is_recorded(app, clock, people) -> None:
    ana, ben = people["ana"], people["ben"]
    mine = await ana.post("A thread I will slow myself")
    theirs = await ben.post("A thread a moderator slows")
    await publish_due(app, clock, 31)
    token = await csrf_from(ana.client, f"/@ana/{mine}")
    await ana.client.post(f"/threads/{mine}/slow_mode", data={"on": "on", "csrf_token": token})
    moderator = await make_admin(app, clock, "root_mo")
    token = await csrf_from(moderator, f"/@ben/{theirs}")
    await moderator.post(f"/threads/{theirs}/slow_mode", data={"on": "on", "csrf_token": token})
    await moderator.aclose()
    found = {e.post_id: e.detail for e in await events(app, CareKind.slow_mode)}
    assert found == {mine: "manual", theirs: "moderator"}


async def test_a_shield_going_up_is_recorded_once(app, clock) -> None:
    world = World(app, clock)
    for name in ["ana", *STRANGERS]:
        await world.member(name)
    await world.norm("shield.strangers", "3")
    root = await world.post("ana", "Pineapple on pizza?")
    for name, text in zip(STRANGERS, ["No.", "Never.", "Disgusting.", "Why?"], strict=False):
        await world.post(name, text, root)
    [shield] = await world.shields()
    [event] = await events(app, CareKind.shield)
    assert (event.post_id, event.actor_id, event.detail) == (root, shield.author_id, "auto")
    assert event.created_at == shield.started_at and event.norms_version > 0
