"""The private "Was this reply welcome?": asked only of the person replied to, when the
community turns it on; never shown to the replier or anyone else, never federated,
never in the client API."""

from __future__ import annotations

import httpx
from sqlmodel import select
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import OutboxItem, ReplyWelcome
from tests.conftest import csrf_from, publish_due
from tests.test_care_moments import norm_changed
from tests.test_exactly_once import bearer

QUESTION = "Was this reply welcome?"
AP = {"Accept": "application/activity+json"}


async def a_conversation(app: Starlette, clock: FrozenClock, people) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """Ana asks; Ben replies to her; Cleo replies to Ben. Their ids."""
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    question = await ana.post("Who has a ladder?")
    await publish_due(app, clock, 31)
    bens = await ben.post("I do, come by", reply_to=question)
    await publish_due(app, clock, 60)
    cleos = await cleo.post("Mine is taller", reply_to=bens)
    await publish_due(app, clock, 60)
    return question, bens, cleos


async def say(person, reply: int, answer: str, thread: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    token = await csrf_from(person.client, thread)
    return await person.client.post(
        f"/posts/{reply}/welcome", data={"welcome": answer, "csrf_token": token}
    )


async def answers(app: Starlette) -> list[tuple[int, bool]]:
    async with app.state.sessions() as session:
        rows = (await session.exec(select(ReplyWelcome))).all()
    return [(r.post_id, r.welcome) for r in rows]


async def test_the_question_is_off_unless_the_community_turns_it_on(app, clock, people) -> None:
    ana = people["ana"]
    question, bens, _ = await a_conversation(app, clock, people)
    thread = f"/@ana/{question}"
    assert QUESTION not in (await ana.client.get(thread)).text
    refused = await say(ana, bens, "yes", thread)
    assert refused.status_code == 403
    assert "does not ask" in refused.text
    assert await answers(app) == []


async def test_only_the_person_replied_to_is_asked_and_can_change_the_answer(
    app, clock, people, visitor
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    await norm_changed(app, clock, "outcomes.welcome_question", "on")
    question, bens, cleos = await a_conversation(app, clock, people)
    thread = f"/@ana/{question}"
    # Ana is asked about Ben's reply to her, and about nothing else;
    page = (await ana.client.get(thread)).text
    assert page.count(QUESTION) == 1
    assert f'action="/posts/{bens}/welcome"' in page
    # Ben is asked about Cleo's reply to him, never about his own; a visitor about nothing.
    bens_page = (await ben.client.get(thread)).text
    assert f'action="/posts/{cleos}/welcome"' in bens_page
    assert f'action="/posts/{bens}/welcome"' not in bens_page
    assert f"/posts/{bens}/welcome" not in (await cleo.client.get(thread)).text
    assert QUESTION not in (await visitor.get(thread)).text

    # Ana says not really, then thinks again: one answer, the latest.
    said = await say(ana, bens, "not_really", thread)
    assert said.status_code == 303 and said.headers["location"].endswith(f"#post-{bens}")
    assert await answers(app) == [(bens, False)]
    assert "You said not really" in (await ana.client.get(thread)).text
    await say(ana, bens, "yes", thread)
    assert await answers(app) == [(bens, True)]
    page = (await ana.client.get(thread)).text
    assert "You said yes" in page and 'value="yes" class="link" aria-pressed="true"' in page


async def test_nobody_answers_for_someone_else(app, clock, people) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    await norm_changed(app, clock, "outcomes.welcome_question", "on")
    question, bens, cleos = await a_conversation(app, clock, people)
    thread = f"/@ana/{question}"
    # Cleo about Ben's reply to Ana, Ben about his own, Ana about her own first post:
    for person, post in ((cleo, bens), (ben, bens), (ana, question)):
        refused = await say(person, post, "yes", thread)
        assert refused.status_code == 404, refused.text
        assert "reply to your own post" in refused.text
    # An answer that is neither, and a form without its CSRF token, are refused too.
    assert (await say(ana, bens, "maybe", thread)).status_code == 422
    forged = await ana.client.post(f"/posts/{bens}/welcome", data={"welcome": "yes"})
    assert forged.status_code == 403
    assert await answers(app) == []


async def test_the_answer_never_reaches_the_replier_apps_or_other_servers(
    app, clock, people, visitor
) -> None:
    ana, ben = people["ana"], people["ben"]
    await norm_changed(app, clock, "outcomes.welcome_question", "on")
    question, bens, _ = await a_conversation(app, clock, people)
    thread = f"/@ana/{question}"
    bens_app = await bearer(app, "ben", clock)
    anas_app = await bearer(app, "ana", clock)
    note = f"/users/ben/statuses/{bens}"

    async def seen() -> list[str]:
        """Everything Ben, Ana's apps and other servers can read about the reply."""
        async with app.state.sessions() as session:
            outbox = len((await session.exec(select(OutboxItem))).all())
        return [
            (await ben.client.get(thread)).text.split("<main", 1)[1].split("</main>")[0],
            (await ben.client.get(f"/@ben/{bens}")).text.split("<main", 1)[1].split("</main>")[0],
            (await bens_app.get(f"/api/v1/statuses/{bens}")).text,
            (await bens_app.get(f"/api/v1/statuses/{question}/context")).text,
            (await anas_app.get(f"/api/v1/statuses/{bens}")).text,
            (await anas_app.get(f"/api/v1/statuses/{question}/context")).text,
            (await visitor.get(note, headers=AP)).text,
            (await visitor.get("/users/ben/outbox?page=true", headers=AP)).text,
            str(outbox),
        ]

    before = await seen()
    assert '"type":"Note"' in before[6].replace(" ", "")
    assert f"/posts/{bens}/welcome" not in before[0]  # Ben is asked only about Cleo's reply
    assert (await say(ana, bens, "not_really", thread)).status_code == 303
    await app.state.jobs.run_due()  # whatever the worker would send, it sends now
    assert await seen() == before
    await bens_app.aclose()
    await anas_app.aclose()


async def test_the_about_page_tells_members_what_is_recorded(app, clock, visitor) -> None:
    about = (await visitor.get("/about")).text
    assert "Porch records, privately, what its care led to" in about
    assert "kept 90 days, then only daily counts remain" in about
    assert "whether it was welcome" not in about
    await norm_changed(app, clock, "outcomes.welcome_question", "on")
    await norm_changed(app, clock, "outcomes.keep_days", 30)
    about = (await visitor.get("/about")).text
    assert "kept 30 days" in about
    assert "you may be asked, privately, whether it was welcome" in about


async def test_the_question_is_asked_on_notifications_too_and_answers_come_back_there(
    app, clock, people
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    question, bens, cleos = await a_conversation(app, clock, people)
    # Off: the notification of Ben's reply carries no question.
    assert QUESTION not in (await ana.client.get("/notifications")).text
    await norm_changed(app, clock, "outcomes.welcome_question", "on")
    page = (await ana.client.get("/notifications")).text
    assert page.count(QUESTION) == 1 and f'action="/posts/{bens}/welcome"' in page
    # Ben's notifications: asked about Cleo's reply to him, never about his own.
    bens_page = (await ben.client.get("/notifications")).text
    assert f'action="/posts/{cleos}/welcome"' in bens_page
    assert f"/posts/{bens}/welcome" not in bens_page
    assert QUESTION not in (await cleo.client.get("/notifications")).text
    # Answered from there, it comes back to the notification, and says what was said.
    token = await csrf_from(ana.client, "/notifications")
    back = page.split(f'action="/posts/{bens}/welcome"', 1)[1].split('name="next" value="', 1)[1]
    back = back.split('"', 1)[0]
    assert back.startswith("/notifications#n-")
    said = await ana.client.post(
        f"/posts/{bens}/welcome", data={"welcome": "yes", "csrf_token": token, "next": back}
    )
    assert said.status_code == 303 and said.headers["location"] == back
    assert await answers(app) == [(bens, True)]
    assert "You said yes" in (await ana.client.get("/notifications")).text
    # A `next` that leads to another site is ignored: back to the thread instead.
    elsewhere = await ana.client.post(
        f"/posts/{bens}/welcome",
        data={"welcome": "not_really", "csrf_token": token, "next": "//evil.example/"},
    )
    assert elsewhere.headers["location"].endswith(f"/{question}#post-{bens}")
