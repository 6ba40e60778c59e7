"""Signers are kept in memory (federation/signer_cache.py), and every change to who they
are is heard before the next signed request is judged: a rotated key, a deleted account,
a profile update, and a server the admins block. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from cachetools import TTLCache
from sqlmodel import col

from federation.signatures import KeyPair
from federation.signer_cache import SignerCache
from server.bus import RedisBus
from server.models import Actor, DomainPolicy, Like
from server.services import domains
from server.services.events import Event, EventKind
from tests.conftest import REDIS_URL, need_service
from tests.federation.mastodon_double import (
    MASTODON,
    ZOE,
    ZOE_KEY_ID,
    Scene,
    scene_on_both_fixture,  # noqa: F401
)
from tests.statements import statements


def key_reads(seen: list[str]) -> list[str]:
    return [sql for sql in seen if "actor_keys" in sql]


def later(suffix: str):  # type: ignore[no-untyped-def]
    """The same fixture sent again as a new activity."""
    return lambda a: {**a, "id": a["id"] + suffix}


async def test_a_known_signer_is_judged_without_reading_the_database(
    scene_on_both: Scene,
) -> None:
    """Zoe's server sends a third activity: her key verifies from memory (the first
    fetched her, the second read what was stored and kept it)."""
    scene = scene_on_both
    assert (await scene.deliver("follow")).status_code == 202
    assert (await scene.deliver("like")).status_code == 202
    with statements(scene.app.state.engine) as seen:
        response = await scene.deliver("create_note_public")
    assert response.status_code == 202, response.text
    assert key_reads(seen) == []
    assert ZOE_KEY_ID in scene.app.state.federation.signers


async def test_after_zoe_rotates_her_key_the_old_one_is_refused(scene_on_both: Scene) -> None:
    scene = scene_on_both
    old = scene.mastodon.key
    assert (await scene.deliver("follow")).status_code == 202
    scene.mastodon.key = KeyPair.generate()
    scene.mastodon.fetched.clear()
    assert (await scene.deliver("create_note_public")).status_code == 202
    assert scene.mastodon.fetched == [ZOE]  # the kept key failed: fetched afresh, once
    stale = await scene.deliver("like", key=old)
    assert stale.status_code == 401, stale.text
    assert await scene.rows(Like) == []


async def test_after_zoe_deletes_her_account_her_kept_key_is_forgotten(
    scene_on_both: Scene,
) -> None:
    scene = scene_on_both
    await scene.ana_follows_zoe()
    assert (await scene.deliver("follow")).status_code == 202
    assert (await scene.deliver("create_note_public")).status_code == 202
    assert ZOE_KEY_ID in scene.app.state.federation.signers
    scene.mastodon.zoe_gone = True
    assert (await scene.deliver("delete_actor")).status_code == 202
    scene.mastodon.fetched.clear()
    late = await scene.deliver("like", mutate=later("/late"))
    assert late.status_code == 401, late.text  # her key had to be fetched: she is gone
    assert scene.mastodon.fetched == [ZOE]
    assert await scene.rows(Like) == []


async def test_a_profile_update_drops_what_was_kept_of_zoe(scene_on_both: Scene) -> None:
    scene = scene_on_both
    assert (await scene.deliver("follow")).status_code == 202
    assert (await scene.deliver("update_person")).status_code == 202
    # Her refreshed row is what the next request gets, read afresh and kept again.
    with statements(scene.app.state.engine) as seen:
        assert (await scene.deliver("create_note_public")).status_code == 202
    assert key_reads(seen) != []
    zoe = await scene.actor(ZOE)
    assert zoe.display_name == scene.load("update_person")["object"]["name"]


async def test_a_server_blocked_by_the_admins_is_refused_on_its_next_request(
    scene_on_both: Scene,
) -> None:
    """With domain policies cached (as in production), the block applies at once."""
    scene = scene_on_both
    fed = scene.app.state.federation
    fed.policies = TTLCache(maxsize=100, ttl=3600)
    assert (await scene.deliver("follow")).status_code == 202
    assert (await scene.deliver("create_note_public")).status_code == 202
    assert MASTODON in fed.policies and ZOE_KEY_ID in fed.signers
    async with scene.session() as session:
        await domains.set_policy(session, MASTODON, DomainPolicy.block, "spam", scene.clock.now())
    refused = await scene.deliver("like")
    assert refused.status_code == 403, refused.text
    assert await scene.rows(Like, col(Like.id).is_not(None)) == []


async def test_a_change_on_another_process_reaches_its_kept_signers_through_redis() -> None:
    """Process one keeps Zoe as a signer; process two removes her account, then the
    admins there block her server: one forgets her, then every signer and its cached
    domain policies, as each event arrives."""
    need_service("redis", REDIS_URL)
    one, two = RedisBus(REDIS_URL), RedisBus(REDIS_URL)
    await one.start()
    await two.start()
    try:
        for bus in (one, two):
            await asyncio.wait_for(bus.subscribed.wait(), 5)
        signers = SignerCache()
        policies: dict[str, DomainPolicy] = {MASTODON: DomainPolicy.none}
        signers.catch_up(one, None)  # the first look starts afresh
        zoe = Actor(id=7, uri=ZOE, username="zoe", domain=MASTODON, acct_key="zoe@" + MASTODON)
        ola_uri = "https://other.test/users/ola"
        ola = Actor(id=8, uri=ola_uri, username="ola", domain="other.test", acct_key="ola@o")
        signers.keep(ZOE_KEY_ID, one, policies, (zoe, "PEM"), signers.generation)
        signers.keep(ola_uri + "#main-key", one, policies, (ola, "PEM"), signers.generation)
        assert len(signers) == 2
        with one.listen() as heard_on_one:
            two.emit([Event(EventKind.stale, 7, topic="remote_actor")])
            await asyncio.wait_for(heard_on_one.get(), 5)
            signers.catch_up(one, policies)
            assert ZOE_KEY_ID not in signers and len(signers) == 1  # Ola is kept
            two.emit([Event(EventKind.stale, 0, topic="domain")])
            await asyncio.wait_for(heard_on_one.get(), 5)
            signers.catch_up(one, policies)
        assert len(signers) == 0 and policies == {}
    finally:
        await one.stop()
        await two.stop()
