"""The notifications page: All and Mentions, replies shown as text, and answering from the
page itself (like, boost, follow back, a follow request), always back to the same place.
Each story runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import update
from sqlmodel import select
from starlette.applications import Starlette

from server.api.mastodon.render import NOTIFICATION_TYPES
from server.clock import FrozenClock
from server.models import Actor
from server.services import notification_pages, notifications
from tests.conftest import Person, publish_due


class Links(HTMLParser):
    """The text inside each link, and each blockquote, of a piece of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.quotes: list[str] = []
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.append("")
            self._open.append("a")
        elif tag == "blockquote":
            self.quotes.append("")
            self._open.append("blockquote")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("a", "blockquote") and tag in self._open:
            self._open.remove(tag)

    def handle_data(self, data: str) -> None:
        if "a" in self._open:
            self.links[-1] += data
        if "blockquote" in self._open:
            self.quotes[-1] += data


async def listing(person: Person, address: str = "/notifications") -> str:
    """The list of notifications on `address`, as `person` sees it."""
    page = await person.client.get(address)
    assert page.status_code == 200, page.text
    return page.text.split('<ol class="notifications">', 1)[1].split("</ol>", 1)[0]


def entries(html: str) -> dict[int, str]:
    """Each notification of a listing by its id."""
    parts = re.split(r'<li id="n-(\d+)"', html)[1:]
    return {int(parts[i]): parts[i + 1] for i in range(0, len(parts), 2)}


def entry_with(html: str, words: str) -> tuple[int, str]:
    found = [(i, e) for i, e in entries(html).items() if words in e]
    assert len(found) == 1, f"{len(found)} notifications say {words!r}"
    return found[0]


async def actor_of(app: Starlette, name: str) -> Actor:
    async with app.state.sessions() as session:
        return (await session.exec(select(Actor).where(Actor.username == name))).one()


async def send(person: Person, path: str, **form: str) -> str:
    """`person` sends a form from their notifications page; where it sends them back."""
    token = await person.token("/notifications")
    response = await person.client.post(path, data={"csrf_token": token, **form})
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def test_the_mentions_tab_shows_mentions_and_replies_and_pages_with_them(
    app: Starlette,
    clock: FrozenClock,
    people: dict[str, Person],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    first = await ana.post("Planting tulips today")
    await publish_due(app, clock, 600)
    await ben.follow("ana")
    await ben.post("How deep do they go?", reply_to=first)
    await cleo.post("@ana saved you some bulbs")
    await publish_due(app, clock, 600)
    await send(cleo, f"/posts/{first}/like")

    everything = await listing(ana)
    assert "followed you" in everything and "liked your post" in everything
    mentions = await listing(ana, "/notifications?filter=mentions")
    assert "How deep do they go?" in mentions and "saved you some bulbs" in mentions
    assert "followed you" not in mentions and "liked your post" not in mentions
    page = (await ana.client.get("/notifications?filter=mentions")).text
    assert re.search(r'href="/notifications\?filter=mentions" aria-current="page">Mentions', page)
    assert re.search(r'href="/notifications">All</a>', page)

    # Two a page: the next page keeps to mentions, and its link says so.
    monkeypatch.setattr(notification_pages, "PAGE_SIZE", 1)
    page = (await ana.client.get("/notifications?filter=mentions")).text
    older = re.search(r'href="(/notifications\?filter=mentions&amp;max_id=\d+)"', page)
    assert older, "no link to older mentions"
    second = await listing(ana, older.group(1).replace("&amp;", "&"))
    assert "How deep do they go?" in second and "followed you" not in second


async def test_each_tab_says_when_it_is_empty_and_an_unknown_tab_is_refused(
    people: dict[str, Person],
) -> None:
    ana = people["ana"]
    assert "Nothing yet. When someone follows you" in await listing(ana)
    # The filtered inbox's summary is not the layout's count of waiting approvals.
    assert "waiting for your approval" not in (await ana.client.get("/notifications")).text
    assert "No mentions yet." in await listing(ana, "/notifications?filter=mentions")
    refused = await ana.client.get("/notifications?filter=likes")
    assert refused.status_code == 400
    assert "“all” or “mentions”" in refused.text


async def test_the_mentions_tab_leaves_the_other_notifications_unread(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    await ben.follow("ana")
    await ben.post("@ana hello")
    await publish_due(app, clock, 600)
    await listing(ana, "/notifications?filter=mentions")
    ana_id = (await actor_of(app, "ana")).id
    assert ana_id is not None
    async with app.state.sessions() as session:
        assert await notifications.unread_count(session, ana_id) == 1  # Ben's follow
    await listing(ana)
    async with app.state.sessions() as session:
        assert await notifications.unread_count(session, ana_id) == 0


async def test_a_reply_is_quoted_as_text_and_only_its_time_links_to_it(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    first = await ana.post("Which trail tomorrow?")
    await publish_due(app, clock, 600)
    reply = await ben.post("The one along the river, it is shady", reply_to=first)
    await publish_due(app, clock, 600)

    _, entry = entry_with(await listing(ana), "replied to your post")
    parsed = Links()
    parsed.feed(entry)
    assert any("The one along the river, it is shady" in q for q in parsed.quotes)
    assert not any("along the river" in link for link in parsed.links)
    assert f'class="when" href="/@ben/{reply}"' in entry


async def test_a_like_shows_the_members_own_post_muted_without_actions(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    first = await ana.post("Fresh bread on the porch")
    await publish_due(app, clock, 600)
    await send(ben, f"/posts/{first}/like")
    _, entry = entry_with(await listing(ana), "liked your post")
    assert 'class="notification-post own"' in entry and "Fresh bread on the porch" in entry
    assert "<form" not in entry


async def test_liking_and_boosting_a_reply_from_the_page_come_back_to_it(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    first = await ana.post("Soup or salad?")
    await publish_due(app, clock, 600)
    reply = await ben.post("Soup, always", reply_to=first)
    await publish_due(app, clock, 600)
    note_id, entry = entry_with(await listing(ana, "/notifications?filter=mentions"), "Soup")
    back = f"/notifications?filter=mentions#n-{note_id}"
    assert f'name="next" value="{back}"' in entry.replace("&amp;", "&")

    assert await send(ana, f"/posts/{reply}/like", next=back) == back
    assert await send(ana, f"/posts/{reply}/boost", next=back) == back
    _, entry = entry_with(await listing(ana, "/notifications?filter=mentions"), "Soup")
    assert f'action="/posts/{reply}/unlike"' in entry and "Liked" in entry
    assert f'action="/posts/{reply}/unboost"' in entry and "Boosted" in entry
    assert f'href="/compose?reply_to={reply}"' in entry

    assert await send(ana, f"/posts/{reply}/unlike", next=back) == back
    _, entry = entry_with(await listing(ana, "/notifications?filter=mentions"), "Soup")
    assert f'action="/posts/{reply}/like"' in entry


async def test_a_followers_only_reply_can_be_liked_but_not_boosted(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    await ana.follow("ben")
    first = await ana.post("Anyone up for chess?")
    await publish_due(app, clock, 600)
    reply = await ben.post("@ana me, tonight", reply_to=first, visibility="followers")
    await publish_due(app, clock, 600)
    _, entry = entry_with(await listing(ana), "me, tonight")
    assert f'action="/posts/{reply}/like"' in entry
    assert "/boost" not in entry


async def test_following_back_from_the_page_says_so_and_comes_back(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    await ben.follow("ana")
    note_id, entry = entry_with(await listing(ana), "followed you")
    assert 'action="/@ben/follow"' in entry
    back = f"/notifications#n-{note_id}"
    assert await send(ana, "/@ben/follow", next=back) == back
    page = (await ana.client.get("/notifications")).text
    assert "You follow ben @ben." in page
    _, entry = entry_with(await listing(ana), "followed you")
    assert "Following" in entry and "/follow" not in entry


async def test_a_follow_request_is_answered_from_the_page(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    async with app.state.sessions() as session:
        await session.exec(update(Actor).where(Actor.username == "ana").values(locked=True))
        await session.commit()
    await ben.follow("ana")
    await cleo.follow("ana")
    ben_id, cleo_id = (await actor_of(app, "ben")).id, (await actor_of(app, "cleo")).id
    note_id, entry = entry_with(await listing(ana), "ben</strong></a>\n    asked to follow")
    assert f'action="/follow_requests/{ben_id}/approve"' in entry
    back = f"/notifications#n-{note_id}"
    assert await send(ana, f"/follow_requests/{ben_id}/approve", name="@ben", next=back) == back
    assert "Approved @ben." in (await ana.client.get("/notifications")).text
    assert await send(ana, f"/follow_requests/{cleo_id}/reject", name="@cleo", next=back) == back

    # Answered, the requests are gone; Ben now follows her, and she may follow back.
    html = await listing(ana)
    assert "asked to follow" not in html
    _, entry = entry_with(html, "followed you")
    assert "ben</strong>" in entry and 'action="/@ben/follow"' in entry
    # Without `next`, the request page still comes back to itself.
    await ben.client.post("/@ana/unfollow", data={"csrf_token": await ben.token("/@ana")})
    await ben.follow("ana")
    assert await send(ana, f"/follow_requests/{ben_id}/approve") == "/follow_requests"


async def test_a_form_cannot_send_the_member_to_another_site(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    await ben.follow("ana")
    for elsewhere in ("//evil.example/x", "https://evil.example/x", "/\\evil.example"):
        assert await send(ana, "/@ben/follow", next=elsewhere) == "/@ben"


async def test_a_deleted_reply_shows_no_text_and_no_actions(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    first = await ana.post("Lost: one blue glove")
    await publish_due(app, clock, 600)
    reply = await ben.post("I think I saw it by the bakery", reply_to=first)
    await publish_due(app, clock, 600)
    assert "bakery" in await listing(ana)
    await send(ben, f"/posts/{reply}/delete")
    await publish_due(app, clock, 600)
    html = await listing(ana)
    assert "bakery" not in html
    for entry in entries(html).values():
        assert "<form" not in entry


async def test_a_followers_only_reply_is_hidden_once_she_no_longer_follows(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    await ana.follow("ben")
    first = await ana.post("Who has a ladder?")
    await publish_due(app, clock, 600)
    await ben.post("Mine is in the shed, for followers", reply_to=first, visibility="followers")
    await publish_due(app, clock, 600)
    assert "Mine is in the shed" in await listing(ana)

    await ana.client.post("/@ben/unfollow", data={"csrf_token": await ana.token("/@ben")})
    html = await listing(ana)
    assert "Mine is in the shed" not in html
    _, entry = entry_with(html, "replied to your post")
    assert "no longer available to you" in entry and "<form" not in entry


async def test_a_reply_from_someone_she_blocked_shows_no_text_and_no_actions(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    ana, ben = people["ana"], people["ben"]
    first = await ana.post("Garden party on Sunday")
    await publish_due(app, clock, 600)
    await ben.follow("ana")
    await ben.post("I will bring my loud speakers", reply_to=first)
    await publish_due(app, clock, 600)
    assert "loud speakers" in await listing(ana)
    await ana.client.post("/@ben/block", data={"csrf_token": await ana.token("/@ben")})
    html = await listing(ana)
    assert "loud speakers" not in html
    for entry in entries(html).values():
        assert "<form" not in entry  # no follow back either


async def test_the_mentions_tab_is_what_the_client_api_calls_mention() -> None:
    """Apps ask for `types[]=mention` and get replies too: the tab shows the same."""
    assert {k for k, name in NOTIFICATION_TYPES.items() if name == "mention"} == set(
        notification_pages.MENTIONS
    )


async def test_a_mention_whose_author_allows_no_boosts_shows_boost_closed(
    app: Starlette, clock: FrozenClock, people: dict[str, Person]
) -> None:
    """The row keeps to the post's interaction policy, as the post card does."""
    ana, ben = people["ana"], people["ben"]
    form = {"text": "@ana the minutes of the meeting", "visibility": "public"}
    token = await ben.token()
    answer = await ben.client.post(
        "/posts", data={**form, "policy_boost": "nobody", "csrf_token": token}
    )
    assert answer.status_code == 303, answer.text
    mention = int(answer.headers["location"].rsplit("/", 1)[1])
    await publish_due(app, clock, 600)
    _, entry = entry_with(await listing(ana), "the minutes of the meeting")
    assert f'action="/posts/{mention}/like"' in entry
    assert f"/posts/{mention}/boost" not in entry
    assert 'aria-disabled="true"' in entry and ">Boost<" in entry
