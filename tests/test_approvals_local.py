"""Ben and Cleo answer Ana's post here, whose rules ask for Ana's approval or keep them
out: a reply is written as usual, has its pause, then waits unseen; likes and boosts
wait too; Ana decides on the web or from her app."""

from __future__ import annotations

from typing import Any

import httpx
from sqlmodel import col, select
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import (
    Like,
    Notification,
    NotificationKind,
    Post,
    PostState,
    Quote,
    QuoteState,
)
from server.models.interaction_policies import Interaction, InteractionRequest, RequestState
from server.services import accounts, approval_gate, policy_reads, states
from server.services.interaction_policies import Policy
from tests.api.schemas import assert_shape
from tests.conftest import BASE, Person, publish_due
from tests.test_exactly_once import bearer

WORDS = "Lovely colour. Is it the blue merino?"


async def ana_posts_asking(app: Starlette, clock: FrozenClock, ana: Person, **rules: str) -> int:
    """Ana's published post, with rules: for each interaction, a preset's name."""
    post_id = await ana.post("Casting on a new jumper tonight.")
    await publish_due(app, clock, 31)
    policy = Policy.from_presets({Interaction(k): v for k, v in rules.items()})
    async with app.state.sessions() as session:
        await policy_reads.store(session, post_id, policy)
        await session.commit()
    return post_id


async def rows(app: Starlette, model: type[Any], *where: Any) -> list[Any]:
    async with app.state.sessions() as session:
        return list((await session.exec(select(model).where(*where))).all())


async def told(app: Starlette, person: Person) -> list[str]:
    """The kinds of notification `person` has."""
    async with app.state.sessions() as session:
        member = await accounts.local_member(session, person.name)
        found = await session.exec(
            select(Notification.kind).where(col(Notification.recipient_id) == member.actor.id)
        )
        return sorted(set(found.all()))


async def decide(person: Person, request_id: int | None, action: str) -> httpx.Response:
    token = await person.token("/approvals")
    return await person.client.post(f"/approvals/{request_id}/{action}", data={"csrf_token": token})


async def reply_sent(ben: Person, post_id: int) -> int:
    return await ben.post(WORDS, reply_to=post_id)


async def test_a_reply_that_needs_approval_has_its_pause_then_waits_unseen(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    post_id = await ana_posts_asking(app, clock, ana, reply="anyone-asks")

    reply_id = await reply_sent(ben, post_id)
    # In its pause it is Ben's alone: not even Ana's list shows it yet.
    assert WORDS not in (await ana.client.get("/approvals")).text
    await publish_due(app, clock, 60)

    [reply] = await rows(app, Post, col(Post.id) == reply_id)
    assert reply.state == PostState.pending
    [request] = await rows(app, InteractionRequest)
    assert (request.kind, request.state) == (Interaction.reply, RequestState.pending)
    assert NotificationKind.pending_reply in await told(app, ana)
    page = await ana.client.get("/approvals")
    assert WORDS in page.text and "Approvals" in page.text
    # Cleo sees nothing of it: not the thread, not her home, not the API's context.
    for where in (f"/@ana/{post_id}", "/", "/local", "/notifications"):
        assert WORDS not in (await cleo.client.get(where)).text, where
    api = await bearer(app, "cleo", clock)
    context = await api.get(f"/api/v1/statuses/{post_id}/context")
    assert context.json()["descendants"] == []
    assert (await api.get(f"/api/v1/statuses/{reply_id}")).status_code == 404
    assert (await api.get(f"/api/v1/statuses/{post_id}")).json()["replies_count"] == 0
    await api.aclose()
    # Nor does Ana, anywhere but her list.
    assert WORDS not in (await ana.client.get(f"/@ana/{post_id}")).text
    # Ben sees his own reply, waiting; Ana is told it waits.
    own = (await ben.client.get(f"/@ben/{reply_id}")).text
    assert WORDS in own and "waiting for the approval of the person you answered" in own
    assert "waits for your approval" in (await ana.client.get("/notifications")).text


async def test_a_reply_whose_pause_just_ended_is_going_out_not_waiting(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    # Between the pause's end and the sweep that publishes it, a reply nobody must
    # approve is about to go out: its page counts down (and so reloads), and never
    # says it waits for an approval that nobody was asked for.
    ana, ben = people["ana"], people["ben"]
    post_id = await ana_posts_asking(app, clock, ana, reply="anyone")
    reply_id = await reply_sent(ben, post_id)
    clock.advance(3600)
    own = (await ben.client.get(f"/@ben/{reply_id}")).text
    assert "It goes out in" in own and 'class="countdown"' in own
    assert "waiting for the approval" not in own
    await publish_due(app, clock, 0)
    [reply] = await rows(app, Post, col(Post.id) == reply_id)
    assert reply.state == PostState.published


async def test_when_ana_approves_the_reply_it_is_published_and_ben_is_told(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    post_id = await ana_posts_asking(app, clock, ana, reply="anyone-asks")
    reply_id = await reply_sent(ben, post_id)
    await publish_due(app, clock, 60)
    [request] = await rows(app, InteractionRequest)

    assert (await decide(ana, request.id, "approve")).status_code == 303

    [reply] = await rows(app, Post, col(Post.id) == reply_id)
    assert reply.state == PostState.published
    assert WORDS in (await cleo.client.get(f"/@ana/{post_id}")).text
    assert NotificationKind.approval_outcome in await told(app, ben)
    assert WORDS not in (await ana.client.get("/approvals")).text
    api = await bearer(app, "cleo", clock)
    assert (await api.get(f"/api/v1/statuses/{post_id}")).json()["replies_count"] == 1
    await api.aclose()


async def test_when_ana_declines_the_reply_nobody_ever_sees_it(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    post_id = await ana_posts_asking(app, clock, ana, reply="anyone-asks")
    reply_id = await reply_sent(ben, post_id)
    await publish_due(app, clock, 60)
    [request] = await rows(app, InteractionRequest)

    assert (await decide(ana, request.id, "decline")).status_code == 303

    assert await rows(app, Post, col(Post.id) == reply_id) == []
    [declined] = await rows(app, InteractionRequest)
    assert declined.state == RequestState.rejected
    assert WORDS not in (await cleo.client.get(f"/@ana/{post_id}")).text
    assert NotificationKind.approval_outcome in await told(app, ben)
    # Deciding twice: the second is told it was decided.
    assert (await decide(ana, request.id, "approve")).status_code == 409


async def test_a_reply_the_rules_refuse_is_refused_before_it_is_written(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    post_id = await ana_posts_asking(app, clock, ana, reply="mutuals")
    token = await ben.token()
    form = {"text": WORDS, "visibility": "public", "in_reply_to_id": str(post_id)}
    response = await ben.client.post("/posts", data={**form, "csrf_token": token})

    assert response.status_code == 403
    assert "ana only takes replies on this post from" in response.text
    assert await rows(app, Post, col(Post.in_reply_to_id) == post_id) == []


async def test_only_the_post_author_decides(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    post_id = await ana_posts_asking(app, clock, ana, reply="anyone-asks")
    await reply_sent(ben, post_id)
    await publish_due(app, clock, 60)
    [request] = await rows(app, InteractionRequest)

    for person in (cleo, ben):
        assert (await decide(person, request.id, "approve")).status_code == 404
    # Ana's own decision needs the form's token, as every form here does.
    forged = await ana.client.post(f"/approvals/{request.id}/approve", data={})
    assert forged.status_code == 403
    api = await bearer(app, "cleo", clock)
    assert (await api.get(f"/api/v1/interaction_requests/{request.id}")).status_code == 404
    authorize = await api.post(f"/api/v1/interaction_requests/{request.id}/authorize")
    assert authorize.status_code == 404
    await api.aclose()
    [still] = await rows(app, InteractionRequest)
    assert still.state == RequestState.pending


async def test_a_like_that_needs_approval_waits_and_ben_is_told_so(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    post_id = await ana_posts_asking(app, clock, ana, like="followers-others-ask")
    token = await ben.token(f"/@ana/{post_id}")
    liked = await ben.client.post(
        f"/posts/{post_id}/like", data={"csrf_token": token}, follow_redirects=True
    )

    assert "waits for ana&#39;s approval" in liked.text or "waits for ana's approval" in liked.text
    assert await rows(app, Like) == []
    [request] = await rows(app, InteractionRequest)
    assert NotificationKind.pending_like in await told(app, ana)

    await decide(ana, request.id, "approve")
    [like] = await rows(app, Like)
    assert like.post_id == post_id


async def test_a_boost_the_rules_refuse_is_a_clear_403_from_the_app(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    post_id = await ana_posts_asking(app, clock, people["ana"], boost="nobody")
    api = await bearer(app, "ben", clock)
    response = await api.post(f"/api/v1/statuses/{post_id}/reblog")
    await api.aclose()

    assert response.status_code == 403
    assert response.json()["error"] == "ana takes no boosts on this post."
    assert await rows(app, Post, col(Post.reblog_of_id) == post_id) == []


async def test_the_interaction_requests_api_lists_shows_and_decides(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """GoToSocial's entity: id, type, created_at, account, status, reply; accepted_at
    and uri once approved."""
    ana, ben = people["ana"], people["ben"]
    post_id = await ana_posts_asking(app, clock, ana, reply="anyone-asks", like="anyone-asks")
    reply_id = await reply_sent(ben, post_id)
    await publish_due(app, clock, 60)
    api = await bearer(app, "ben", clock)
    favourited = await api.post(f"/api/v1/statuses/{post_id}/favourite")
    await api.aclose()
    # Waiting, as GoToSocial answers: the post as it is, not favourited yet.
    assert favourited.status_code == 200 and favourited.json()["favourited"] is False
    api = await bearer(app, "ana", clock)

    listed = await api.get("/api/v1/interaction_requests")
    assert listed.status_code == 200
    like, reply = listed.json()
    assert (like["type"], reply["type"]) == ("favourite", "reply")
    for item in (like, reply):
        assert {"id", "type", "created_at", "account", "status"} <= item.keys()
        assert_shape("Account", item["account"])
        assert_shape("Status", item["status"])
        assert item["status"]["id"] == str(post_id)
        assert "accepted_at" not in item and "rejected_at" not in item
    assert_shape("Status", reply["reply"])
    assert reply["reply"]["id"] == str(reply_id) and "reply" not in like
    only_replies = await api.get("/api/v1/interaction_requests", params={"favourites": "false"})
    assert [i["type"] for i in only_replies.json()] == ["reply"]

    shown = await api.get(f"/api/v1/interaction_requests/{reply['id']}")
    assert shown.json()["id"] == reply["id"]
    approved = await api.post(f"/api/v1/interaction_requests/{reply['id']}/authorize")
    assert approved.status_code == 200, approved.text
    assert approved.json()["accepted_at"] is not None
    assert approved.json()["uri"].startswith("http://localhost:8000/users/ana/authorizations/")
    rejected = await api.post(f"/api/v1/interaction_requests/{like['id']}/reject")
    assert rejected.json()["rejected_at"] is not None and "uri" not in rejected.json()
    assert (await api.get("/api/v1/interaction_requests")).json() == []
    # Ana's notifications name them as GoToSocial does.
    kinds = {n["type"] for n in (await api.get("/api/v1/notifications")).json()}
    assert {"pending.reply", "pending.favourite"} <= kinds
    await api.aclose()
    assert await rows(app, Like) == []


async def test_a_quote_waiting_for_ana_is_decided_like_the_rest_and_its_authorization_served(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Quotes make their own requests (as the quote posts feature does); deciding them,
    the Quote's state and the QuoteAuthorization are the approvals' own."""
    ana, ben = people["ana"], people["ben"]
    post_id = await ana_posts_asking(app, clock, ana)
    quoting_id = await ben.post("This is how you cast on a cabled jumper.")
    await publish_due(app, clock, 31)
    async with app.state.sessions() as session:
        ben_actor = (await accounts.local_member(session, "ben")).actor
        target = await session.get(Post, post_id)
        assert target is not None
        request = await approval_gate.hold(
            session,
            kind=Interaction.quote,
            post=target,
            actor=ben_actor,
            now=clock.now(),
            interacting_post_id=quoting_id,
        )
        session.add(Quote(post_id=quoting_id, quoted_post_id=post_id, quoted_uri="x"))
        await session.commit()
        token = request.activity_id
    api = await bearer(app, "ana", clock)
    [waiting] = (await api.get("/api/v1/interaction_requests")).json()
    assert waiting["type"] == "quote" and waiting["quote"]["id"] == str(quoting_id)

    approved = await api.post(f"/api/v1/interaction_requests/{waiting['id']}/authorize")
    await api.aclose()

    url = approved.json()["uri"]
    [quote] = await rows(app, Quote)
    assert (quote.state, quote.authorization_uri) == (QuoteState.accepted, url)
    visitor = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)
    found = await visitor.get(url, headers={"Accept": "application/activity+json"})
    doc = found.json()
    assert doc["type"] == "QuoteAuthorization" and doc["id"].endswith(token)
    assert doc["interactingObject"].endswith(f"/users/ben/statuses/{quoting_id}")
    assert doc["interactionTarget"].endswith(f"/users/ana/statuses/{post_id}")
    assert doc["@context"][0] == "https://www.w3.org/ns/activitystreams"
    # Taken back (as revoking a quote does): the authorization is gone for good.
    async with app.state.sessions() as session:
        [row] = (await session.exec(select(InteractionRequest))).all()
        assert row.id is not None
        await states.move(
            session, InteractionRequest, row.id, RequestState.accepted, RequestState.revoked
        )
        await session.commit()
    gone = await visitor.get(url, headers={"Accept": "application/activity+json"})
    assert gone.status_code == 410
    await visitor.aclose()


async def test_a_boost_that_needs_approval_waits_then_is_shared(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana = people["ana"]
    post_id = await ana_posts_asking(app, clock, ana, boost="mutuals-others-ask")
    api = await bearer(app, "ben", clock)
    asked = await api.post(f"/api/v1/statuses/{post_id}/reblog")
    await api.aclose()
    assert asked.status_code == 200 and asked.json()["id"] == str(post_id)
    assert await rows(app, Post, col(Post.reblog_of_id) == post_id) == []
    [request] = await rows(app, InteractionRequest)
    assert NotificationKind.pending_boost in await told(app, ana)

    await decide(ana, request.id, "approve")

    [boost] = await rows(app, Post, col(Post.reblog_of_id) == post_id)
    assert boost.state == PostState.published
