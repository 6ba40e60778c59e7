"""Quote posts on one Porch: Ana's post quoted by Ben (a mutual) and Cleo (a stranger).

Quoting is composing (the pause, the stranger pause), a quote shows the quoted post only
to readers who may see it, and the ranking counts a stranger's quote as a reply."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import col, select
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.config import Settings, load_settings
from server.models import Post, PostState, ReplyFact, ThreadSignals
from server.models.interaction_policies import Interaction, Quote, QuoteState
from server.services import policy_reads
from server.services.interaction_policies import Policy
from tests.conftest import Person, publish_due


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """The usual test settings, with a stranger's pause longer than a post's."""
    return load_settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        domain="localhost:8000",
        secret_key="test-secret-" + "x" * 40,
        pause_post_seconds=30,
        pause_reply_seconds=20,
        pause_mutual_reply_seconds=20,
        pause_stranger_reply_seconds=90,
        posts_per_day=1000,
        newcomer_posts_per_day=1000,
        public_cache_seconds=0,
        # Tests of cards and nudges expect them shown; tests/test_holdouts.py holds them back.
        holdout_cards_percent=0,
        holdout_nudges_percent=0,
    )


async def _quote(person: Person, quoted_id: int, text: str) -> int:
    token = await person.token(f"/compose?quote={quoted_id}")
    response = await person.client.post(
        "/posts", data={"text": text, "quote_of_id": str(quoted_id), "csrf_token": token}
    )
    assert response.status_code == 303, response.text[:3000]
    return int(response.headers["location"].rsplit("/", 1)[1])


async def _anyone_quotes(app: Starlette, post_id: int) -> None:
    async with app.state.sessions() as session:
        await policy_reads.store(
            session, post_id, Policy.from_presets(dict.fromkeys(Interaction, "anyone"))
        )
        await session.commit()


async def _quote_of(app: Starlette, post_id: int) -> Quote:
    async with app.state.sessions() as session:
        found = (await session.exec(select(Quote).where(col(Quote.post_id) == post_id))).one()
        return found


async def _post(app: Starlette, post_id: int) -> Post:
    async with app.state.sessions() as session:
        found = await session.get(Post, post_id)
        assert found is not None
        return found


async def test_a_stranger_s_quote_waits_longer_and_counts_as_a_reply(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    await ana.follow("ben")
    await ben.follow("ana")
    post_id = await ana.post("What makes a good porch?")
    await publish_due(app, clock, 31)
    await _anyone_quotes(app, post_id)

    compose = await cleo.client.get(f"/compose?quote={post_id}")
    assert "ana will see that you quoted them" in compose.text.lower()
    assert "What makes a good porch?" in compose.text
    from_ben = await _quote(ben, post_id, "Friends, mostly")
    from_cleo = await _quote(cleo, post_id, "A roof")
    ben_post, cleo_post = await _post(app, from_ben), await _post(app, from_cleo)
    # The stranger pause for Cleo; a post's (longer than a reply's) for Ben, a mutual.
    assert cleo_post.publish_at - cleo_post.created_at == timedelta(seconds=90)
    assert ben_post.publish_at - ben_post.created_at == timedelta(seconds=30)
    await publish_due(app, clock, 600)

    async with app.state.sessions() as session:
        facts = (
            await session.exec(select(ReplyFact).where(col(ReplyFact.root_id) == post_id))
        ).all()
        signals = await session.get(ThreadSignals, post_id)
    assert [f.post_id for f in facts] == [from_cleo]
    assert signals is not None and signals.replies == 1
    assert signals.likes == 0 and signals.boosts == 0
    notes = await ana.client.get("/notifications")
    assert notes.text.count("quoted your post") == 2

    # Ana removes her post from Cleo's quote: it stops counting in her thread.
    token = await ana.token(f"/posts/{post_id}/quotes")
    done = await ana.client.post(
        f"/posts/{post_id}/quotes/{from_cleo}/revoke", data={"csrf_token": token}
    )
    assert done.status_code == 303
    async with app.state.sessions() as session:
        left = (
            await session.exec(select(ReplyFact).where(col(ReplyFact.root_id) == post_id))
        ).all()
        signals = await session.get(ThreadSignals, post_id)
    assert left == [] and signals is not None and signals.replies == 0


async def test_a_quote_shows_the_quoted_post_only_to_who_may_see_it(
    app: Starlette, clock: FrozenClock, people: dict[str, Person], visitor: httpx.AsyncClient
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    await ben.follow("ana")
    post_id = await ana.post("Porch rules: kindness first")
    await publish_due(app, clock, 31)
    quote_id = await _quote(ben, post_id, "Agreed, and more")
    # During its pause only Ben sees it, and the quoted post inside it.
    assert "Porch rules" in (await ben.client.get(f"/@ben/{quote_id}")).text
    assert (await visitor.get(f"/@ben/{quote_id}")).status_code == 404
    await publish_due(app, clock, 600)
    for reader in (visitor, cleo.client):
        page = await reader.get(f"/@ben/{quote_id}")
        assert "Agreed, and more" in page.text and "Porch rules" in page.text

    token = await ana.token("/@cleo")
    await ana.client.post("/@cleo/block", data={"csrf_token": token})
    hidden = await cleo.client.get(f"/@ben/{quote_id}")
    assert "Agreed, and more" in hidden.text and "Porch rules" not in hidden.text
    assert "Not available" in hidden.text

    token = await ana.token(f"/@ana/{post_id}")
    await ana.client.post(f"/posts/{post_id}/delete", data={"csrf_token": token})
    gone = await visitor.get(f"/@ben/{quote_id}")
    assert "The quoted post was deleted" in gone.text


async def test_a_quote_waiting_for_approval_shows_nothing_of_the_quoted_post(
    app: Starlette, clock: FrozenClock, people: dict[str, Person], visitor: httpx.AsyncClient
) -> None:
    ana, cleo = people["ana"], people["cleo"]
    post_id = await ana.post("Ask me first")
    await publish_due(app, clock, 31)
    compose = await cleo.client.get(f"/compose?quote={post_id}")
    assert "approves quotes of this post one by one" in compose.text
    quote_id = await _quote(cleo, post_id, "Asking nicely")
    await publish_due(app, clock, 600)
    assert (await _quote_of(app, quote_id)).state == QuoteState.pending
    page = await visitor.get(f"/@cleo/{quote_id}")
    assert "Asking nicely" in page.text and "Ask me first" not in page.text
    assert "Quote pending ana’s approval" in page.text
    assert "wants to quote your post" in (await ana.client.get("/notifications")).text


async def test_quotes_that_may_not_be_written_are_explained(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    await ben.follow("ana")
    hidden = await ana.post("Followers only", visibility="followers")
    closed = await ana.post("No quotes please")
    await publish_due(app, clock, 31)
    async with app.state.sessions() as session:
        nobody = Policy.from_presets(
            dict.fromkeys(Interaction, "anyone") | {Interaction.quote: "nobody"}
        )
        await policy_reads.store(session, closed, nobody)
        await session.commit()
    page = await ben.client.get(f"/compose?quote={hidden}")
    assert "Only public and unlisted posts can be quoted" in page.text
    page = await ben.client.get(f"/compose?quote={closed}")
    assert "ana doesn&#39;t allow quotes of this post" in page.text or (
        "doesn't allow quotes of this post" in page.text
    )
    token = await ben.token("/compose")
    refused = await ben.client.post(
        "/posts", data={"text": "x", "quote_of_id": str(closed), "csrf_token": token}
    )
    assert refused.status_code == 422
    async with app.state.sessions() as session:
        mine = (await session.exec(select(Post).where(col(Post.text) == "x"))).all()
    assert mine == []
    assert (await _post(app, closed)).state == PostState.published
