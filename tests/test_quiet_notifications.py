"""Quieter notifications on the web: filters, the filtered inbox, muted threads and mutes
that end by themselves. Each story runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import re

from sqlalchemy import update
from sqlmodel import col, func, select
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import Actor, Domain, DomainPolicy, Notification, NotificationKind
from server.services import norms, notifications
from tests.conftest import Person, publish_due


async def set_filters(person: Person, **choices: str) -> None:
    """`person` saves their notification filters on the settings page."""
    token = await person.token("/settings/notifications")
    form = {"csrf_token": token, **choices}
    response = await person.client.post("/settings/notifications", data=form)
    assert response.status_code == 303, response.text


async def notifications_of(person: Person) -> str:
    """The main list of `person`'s notifications page (the filtered inbox's link aside)."""
    page = (await person.client.get("/notifications")).text
    return page.split('<ol class="notifications">', 1)[1].split("</ol>", 1)[0]


async def stored_for(app: Starlette, name: str) -> list[Notification]:
    async with app.state.sessions() as session:
        owner = (await session.exec(select(Actor).where(Actor.username == name))).one()
        found = await session.exec(
            select(Notification).where(Notification.recipient_id == owner.id)
        )
        return list(found.all())


async def act(person: Person, path: str, page: str, **form: str) -> None:
    token = await person.token(page)
    response = await person.client.post(path, data={"csrf_token": token, **form})
    assert response.status_code == 303, response.text


async def test_a_strangers_mention_waits_in_the_filtered_inbox_until_accepted(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    await set_filters(ana, for_not_following="filter")
    await ben.post("@ana have you seen the heron by the pond?")
    await publish_due(app, clock, 30)

    # Not in her list, not in her unread count: kept apart, counted for Ben.
    assert "heron" not in await notifications_of(ana)
    async with app.state.sessions() as session:
        assert await notifications.unread_count(session, await actor_id(app, "ana")) == 0
    inbox = (await ana.client.get("/notifications/filtered")).text
    assert "@ben" in inbox and "1 notification" in inbox
    page = (await ana.client.get("/notifications")).text
    assert "Filtered notifications: 1 from 1 person" in page

    await act(
        ana,
        f"/notifications/requests/{await actor_id(app, 'ben')}/accept",
        "/notifications/filtered",
    )
    assert "mentioned you" in await notifications_of(ana)
    assert "Nothing is waiting here" in (await ana.client.get("/notifications/filtered")).text

    # Accepted once, Ben's next mention comes straight in.
    await ben.post("@ana and the kingfisher too")
    await publish_due(app, clock, 30)
    assert "kingfisher" in await notifications_of(ana)
    assert not [n for n in await stored_for(app, "ana") if n.filtered]


async def actor_id(app: Starlette, name: str) -> int:
    async with app.state.sessions() as session:
        found = (await session.exec(select(Actor.id).where(Actor.username == name))).one()
        assert found is not None
        return found


async def test_dismissing_a_request_removes_its_notifications(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    await set_filters(ana, for_not_following="filter")
    await ben.post("@ana buy my course")
    await publish_due(app, clock, 30)
    ben_id = await actor_id(app, "ben")
    await act(ana, f"/notifications/requests/{ben_id}/dismiss", "/notifications/filtered")
    assert await stored_for(app, "ana") == []
    # Dismissed is not accepted: his next one is kept apart again.
    await ben.post("@ana last chance")
    await publish_due(app, clock, 30)
    assert [n.filtered for n in await stored_for(app, "ana")] == [True]


async def test_a_dropped_notification_is_never_stored(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    await set_filters(ana, for_not_following="drop")
    await ana.follow("cleo")
    await ben.post("@ana hello from a stranger")
    await cleo.post("@ana hello from a friend")
    await publish_due(app, clock, 30)
    stored = await stored_for(app, "ana")
    assert [n.from_actor_id for n in stored] == [await actor_id(app, "cleo")]
    assert "hello from a friend" in await notifications_of(ana)
    assert "stranger" not in (await ana.client.get("/notifications/filtered")).text


async def test_unsolicited_private_mentions_are_kept_apart_by_the_community_default(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """The norm's default filters private mentions from people Ana does not follow,
    unless they answer a post of hers."""
    ana, ben = people["ana"], people["ben"]
    await ben.post("@ana psst, a secret", visibility="direct")
    asked = await ana.post("@ben what do you think? (just us)", visibility="direct")
    await publish_due(app, clock, 30)
    await ben.post("@ana I think yes", visibility="direct", reply_to=asked)
    await publish_due(app, clock, 30)
    stored = {n.post_id: n.filtered for n in await stored_for(app, "ana")}
    assert sorted(stored.values()) == [False, True]
    main = await notifications_of(ana)
    assert "I think yes" in main and "a secret" not in main


async def test_the_community_default_is_a_norm_and_a_members_choice_overrides_it(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    async with app.state.sessions() as session:
        await norms.change(
            session,
            app.state.settings,
            "notifications.for_not_following",
            "drop",
            reason="a quiet community",
            actor_id=None,
            now=clock.now(),
        )
    await set_filters(cleo, for_not_following="accept")
    settings_page = (await ana.client.get("/settings/notifications")).text
    assert "Community default (drop)" in settings_page
    await ben.post("@ana @cleo who wants tea?")
    await publish_due(app, clock, 30)
    assert await stored_for(app, "ana") == []
    assert "who wants tea" in await notifications_of(cleo)


async def test_a_muted_thread_stops_notifying_at_once_and_unmuting_brings_it_back(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    root = await ana.post("Which bread should I bake?")
    await publish_due(app, clock, 30)
    reply = await ben.post("Rye, always rye", reply_to=root)
    await publish_due(app, clock, 30)
    assert "Rye, always rye" in await notifications_of(ana)

    thread = f"/@ana/{root}"
    await act(ana, f"/posts/{root}/mute_conversation", thread)
    assert "Unmute conversation" in (await ana.client.get(thread)).text
    # Already there or new, nothing from the thread shows: replies, likes, boosts.
    assert "Rye" not in await notifications_of(ana)
    await cleo.post("@ana sourdough!", reply_to=reply)
    await act(cleo, f"/posts/{root}/like", thread)
    await publish_due(app, clock, 30)
    assert "sourdough" not in await notifications_of(ana)
    assert "liked your post" not in await notifications_of(ana)
    assert len(await stored_for(app, "ana")) == 1  # only Ben's, from before the mute

    # Elsewhere, Ana still hears from the same people.
    await cleo.post("@ana see you Sunday")
    await publish_due(app, clock, 30)
    assert "see you Sunday" in await notifications_of(ana)

    await act(ana, f"/posts/{root}/unmute_conversation", thread)
    assert "Rye, always rye" in await notifications_of(ana)
    await cleo.post("@ana or spelt", reply_to=root)
    await publish_due(app, clock, 30)
    assert "or spelt" in await notifications_of(ana)


async def test_a_mute_for_an_hour_ends_by_itself_on_the_next_read(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    await ana.follow("ben")
    await act(ana, "/@ben/mute", "/@ben", duration="3600", notifications="on")
    profile = (await ana.client.get("/@ben")).text
    assert "You mute @ben until" in profile and "Unmute @ben" in profile

    await ben.post("@ana loud news!")
    await publish_due(app, clock, 30)
    assert "loud news" not in (await ana.client.get("/home")).text
    assert await stored_for(app, "ana") == []  # muted with notifications: never stored

    clock.advance(3600)
    assert "loud news" in (await ana.client.get("/home")).text
    profile = (await ana.client.get("/@ben")).text
    assert "You mute @ben" not in profile and "Mute @ben for" in profile
    await ben.post("@ana quieter news")
    await publish_due(app, clock, 30)
    assert "quieter news" in await notifications_of(ana)


async def test_a_mute_without_notifications_keeps_their_mentions_coming(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    await act(ana, "/@ben/mute", "/@ben", duration="0")
    await ben.post("@ana a question for you")
    await publish_due(app, clock, 30)
    assert "a question for you" in await notifications_of(ana)


async def test_the_more_menu_offers_mute_block_and_report_with_csrf(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    post_id = await ben.post("A post to act on")
    await publish_due(app, clock, 30)
    page = (await ana.client.get(f"/@ben/{post_id}")).text
    menu = page.split('<details class="more">', 1)[1].split("</details>", 1)[0]
    assert f'action="/posts/{post_id}/mute_conversation"' in menu
    assert 'action="/@ben/mute"' in menu and 'action="/@ben/block"' in menu
    assert f"/report?account={await actor_id(app, 'ben')}&amp;post={post_id}" in menu
    for value in ("3600", "86400", "604800", "0"):
        assert f'<option value="{value}"' in menu
    forms = re.findall(r"<form.*?</form>", menu, re.S)
    assert forms and all('name="csrf_token"' in form for form in forms)
    # Without a token the mute is refused.
    refused = await ana.client.post("/@ben/mute", data={"duration": "3600"})
    assert refused.status_code == 403
    # A duration the menu does not offer is refused with a message.
    odd = await ana.client.post(
        "/@ben/mute", data={"duration": "12", "csrf_token": await ana.token("/@ben")}
    )
    assert odd.status_code == 422 and "1 hour, 1 day, 7 days or forever" in odd.text


async def test_people_are_counted_per_person_in_the_filtered_inbox(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    await set_filters(ana, for_not_following="filter")
    for text in ("one", "two", "three"):
        await ben.post(f"@ana {text}")
    await cleo.post("@ana hi")
    await publish_due(app, clock, 30)
    inbox = (await ana.client.get("/notifications/filtered")).text
    assert "3 notifications" in inbox and "1 notification<" in inbox
    async with app.state.sessions() as session:
        total = await session.exec(
            select(func.count()).select_from(Notification).where(col(Notification.filtered))
        )
        assert total.one() == 4


async def test_people_on_a_limited_server_wait_apart_unless_the_member_lets_them_in(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """Zoe is on a server this community limits; Ana does not follow her."""
    ana = people["ana"]
    ana_id = await actor_id(app, "ana")
    async with app.state.sessions() as session:
        session.add(Domain(domain="loud.example", policy=DomainPolicy.limit))
        zoe = Actor(username="zoe", domain="loud.example", acct_key="zoe@loud.example")
        session.add(zoe)
        await session.commit()
        zoe_id = zoe.id
        assert zoe_id is not None

    async def zoe_follows_ana() -> None:
        async with app.state.sessions() as session:
            await notifications.add(
                session,
                recipient_id=ana_id,
                kind=NotificationKind.follow,
                from_actor_id=zoe_id,
                post_id=None,
                now=clock.now(),
            )
            await session.commit()

    await zoe_follows_ana()  # the community's default: kept apart
    assert [n.filtered for n in await stored_for(app, "ana")] == [True]
    assert "followed you" not in await notifications_of(ana)
    assert "@zoe@loud.example" in (await ana.client.get("/notifications/filtered")).text

    await set_filters(ana, for_limited_accounts="accept")
    await zoe_follows_ana()
    assert "followed you" in await notifications_of(ana)


async def test_a_blocked_or_suspended_stranger_leaves_the_filtered_inbox_at_once(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    await set_filters(ana, for_not_following="filter")
    await ben.post("@ana you again")
    await cleo.post("@ana me too")
    await publish_due(app, clock, 30)
    inbox = (await ana.client.get("/notifications/filtered")).text
    assert "@ben" in inbox and "@cleo" in inbox

    await act(ana, "/@ben/block", "/@ben")
    async with app.state.sessions() as session:
        await session.exec(
            update(Actor).where(col(Actor.username) == "cleo").values(suspended_at=clock.now())
        )
        await session.commit()
    inbox = (await ana.client.get("/notifications/filtered")).text
    assert "@ben" not in inbox and "@cleo" not in inbox
    assert "Filtered notifications:" not in (await ana.client.get("/notifications")).text


async def test_a_deleted_post_leaves_the_filtered_inbox_with_its_notification(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    await set_filters(ana, for_not_following="filter")
    post_id = await ben.post("@ana something I regret")
    await publish_due(app, clock, 30)
    assert "@ben" in (await ana.client.get("/notifications/filtered")).text
    await act(ben, f"/posts/{post_id}/delete", f"/@ben/{post_id}")
    assert "@ben" not in (await ana.client.get("/notifications/filtered")).text
    assert await stored_for(app, "ana") == []
