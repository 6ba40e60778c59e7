"""Posts kept exactly once: an app's retries post once, concurrent edits keep every version
once, and an edit made from an old version is refused with its words kept."""

from __future__ import annotations

import asyncio
import re

import httpx
from sqlalchemy import event
from sqlmodel import col, select
from starlette.applications import Starlette

from server.models import IdempotencyKey, Post, PostEdit
from server.services import accounts, oauth_tokens
from tests.conftest import BASE, publish_due


async def bearer(app: Starlette, username: str, clock) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    """An app's client for `username`, with a token as `porch token create` makes one."""
    async with app.state.sessions() as session:
        member = await accounts.local_member(session, username)
        assert member.member.id is not None
        issued = await oauth_tokens.create_token(
            session, member.member.id, "Porch tests", "read write", clock.now()
        )
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url=BASE,
        headers={"Authorization": f"Bearer {issued.access_token}"},
    )


async def posts_by(app: Starlette, username: str) -> list[Post]:
    async with app.state.sessions() as session:
        actor = await accounts.local_actor(session, username)
        rows = await session.exec(select(Post).where(Post.actor_id == actor.id))
        return list(rows.all())


async def test_five_concurrent_posts_with_one_key_make_one_post(app, clock, people) -> None:
    """Ana's app sends the same post five times at once (a flaky network, say)."""
    async with await bearer(app, "ana", clock) as ana:
        answers = await asyncio.gather(
            *(
                ana.post(
                    "/api/v1/statuses",
                    data={"status": "Said once, heard once"},
                    headers={"Idempotency-Key": "ana-phone-1"},
                )
                for _ in range(5)
            )
        )
    assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
    ids = {a.json()["id"] for a in answers}
    assert len(ids) == 1
    assert [str(p.id) for p in await posts_by(app, "ana")] == list(ids)
    assert {a.json()["content"] for a in answers} == {"<p>Said once, heard once</p>"}


async def test_a_key_is_stored_with_its_post_or_not_at_all(app, clock, people) -> None:
    """Storing the key fails once after the post is written: neither is kept, and the
    app's retry with the same key posts exactly once."""
    engine = app.state.engine.sync_engine
    failed: list[str] = []

    def fail_once(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not failed and re.match(r"\s*INSERT INTO idempotency_keys", statement):
            failed.append(statement)
            raise RuntimeError("the disk filled up")

    event.listen(engine, "before_cursor_execute", fail_once)
    try:
        async with await bearer(app, "ana", clock) as ana:
            first = await ana.post(
                "/api/v1/statuses",
                data={"status": "Over a shaky line"},
                headers={"Idempotency-Key": "retry-me"},
            )
            assert first.status_code == 500 and failed
            assert await posts_by(app, "ana") == []
            again = await ana.post(
                "/api/v1/statuses",
                data={"status": "Over a shaky line"},
                headers={"Idempotency-Key": "retry-me"},
            )
            once_more = await ana.post(
                "/api/v1/statuses",
                data={"status": "Over a shaky line"},
                headers={"Idempotency-Key": "retry-me"},
            )
    finally:
        event.remove(engine, "before_cursor_execute", fail_once)
    assert again.status_code == once_more.status_code == 200
    assert again.json()["id"] == once_more.json()["id"]
    assert len(await posts_by(app, "ana")) == 1
    async with app.state.sessions() as session:
        keys = (await session.exec(select(IdempotencyKey.post_id))).all()
        assert [str(k) for k in keys] == [again.json()["id"]]


async def test_the_composer_sent_twice_posts_once(app, clock, people) -> None:
    """Ana double-clicks Post (or her browser resends the form): one post."""
    ana = people["ana"]
    page = (await ana.client.get("/compose")).text
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    assert form.get("form_token")
    form |= {"text": "Only once, please", "visibility": "public"}
    first, second = await asyncio.gather(
        ana.client.post("/posts", data=form), ana.client.post("/posts", data=form)
    )
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len(await posts_by(app, "ana")) == 1
    # The same form with other words (back, rewrite, post) is a new post.
    changed = await ana.client.post("/posts", data={**form, "text": "A second thought"})
    assert changed.status_code == 303
    assert len(await posts_by(app, "ana")) == 2


async def test_concurrent_edits_keep_every_version_once(app, clock, people) -> None:
    """Ana's phone and laptop edit her published post at the same moment, five times."""
    post_id = await people["ana"].post("Version zero")
    await publish_due(app, clock, 30)
    texts = [f"Version {n}" for n in range(1, 6)]
    async with await bearer(app, "ana", clock) as ana:
        answers = await asyncio.gather(
            *(ana.put(f"/api/v1/statuses/{post_id}", data={"status": t}) for t in texts)
        )
    assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
    async with app.state.sessions() as session:
        post = await session.get(Post, post_id)
        assert post is not None
        earlier = (
            await session.exec(
                select(PostEdit.text).where(PostEdit.post_id == post_id).order_by(col(PostEdit.id))
            )
        ).all()
    every = [*earlier, post.text]
    assert sorted(every) == sorted(["Version zero", *texts])  # each version exactly once
    assert earlier[0] == "Version zero"
    assert len(earlier) == post.version == 5


async def _edit_form(person, path: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    page = (await person.client.get(path)).text
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))


async def test_a_stale_edit_of_a_published_post_is_refused_and_kept(app, clock, people) -> None:
    """Ana opens the edit form in two tabs; the second save is refused, her words kept."""
    ana = people["ana"]
    post_id = await ana.post("The meeting is at six")
    await publish_due(app, clock, 30)
    tab_one = await _edit_form(ana, f"/posts/{post_id}/revise")
    tab_two = await _edit_form(ana, f"/posts/{post_id}/revise")
    saved = await ana.client.post(
        f"/posts/{post_id}/revise", data={**tab_one, "text": "The meeting is at seven"}
    )
    assert saved.status_code == 303
    stale = await ana.client.post(
        f"/posts/{post_id}/revise", data={**tab_two, "text": "The meeting is at half past six"}
    )
    assert stale.status_code == 409
    assert "changed (in another window or app) after you opened it" in stale.text
    assert "The meeting is at half past six" in stale.text  # nothing typed is lost
    assert "The post as it is now" in stale.text and "at seven" in stale.text
    async with app.state.sessions() as session:
        post = await session.get(Post, post_id)
        assert post is not None and post.text == "The meeting is at seven"
        history = (await session.exec(select(PostEdit.text))).all()
        assert history == ["The meeting is at six"]
    # Saving again from the refused form, now that she has seen the other version, works.
    retry = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', stale.text))
    resaved = await ana.client.post(
        f"/posts/{post_id}/revise", data={**retry, "text": "The meeting is at half past six"}
    )
    assert resaved.status_code == 303


async def test_a_stale_edit_during_the_pause_is_refused_and_kept(app, clock, people) -> None:
    ana = people["ana"]
    post_id = await ana.post("Bring snacks")
    tab_one = await _edit_form(ana, f"/posts/{post_id}/edit")
    tab_two = await _edit_form(ana, f"/posts/{post_id}/edit")
    saved = await ana.client.post(
        f"/posts/{post_id}/edit", data={**tab_one, "text": "Bring fruit", "visibility": "public"}
    )
    assert saved.status_code == 303
    stale = await ana.client.post(
        f"/posts/{post_id}/edit", data={**tab_two, "text": "Bring cake", "visibility": "public"}
    )
    assert stale.status_code == 409
    assert "Bring cake" in stale.text and "changed (in another window or app)" in stale.text
    async with app.state.sessions() as session:
        post = await session.get(Post, post_id)
        assert post is not None and post.text == "Bring fruit"
