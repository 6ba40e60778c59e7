"""Pushed streams: each event reaches the streams that may show it, in order, and never
anyone else; access that ends closes the stream, with or without an event."""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import update

from server.api.mastodon import stream_hub
from server.db import make_sessions
from server.models import MemberState, OAuthToken
from server.services import accounts
from server.services.events import Event, EventKind
from tests.api.conftest import Running, csrf
from tests.api.test_streaming import SSE


@pytest.fixture
def listen(server: Running) -> Iterator[Any]:
    """Open an SSE stream as a member; closed when the test ends."""
    opened: list[SSE] = []

    def open_stream(path: str, username: str) -> SSE:
        opened.append(SSE(server, path, server.token(username)))
        return opened[-1]

    yield open_stream
    for stream in opened:
        stream.close()


def until(stream: SSE, post_id: str, timeout: float = 10) -> list[tuple[str, Any]]:
    """The events up to the update of `post_id` (a marker: streams keep their order, so
    anything an earlier change would send has arrived by then)."""
    seen: list[tuple[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            event, data = stream.events.get(timeout=0.2)
        except queue.Empty:
            continue
        parsed = json.loads(data) if data.startswith("{") else data
        if event == "update" and parsed["id"] == post_id:
            return seen
        seen.append((event, parsed))
    raise AssertionError(f"the marker {post_id} did not arrive within {timeout} s")


def ids(events: list[tuple[str, Any]], kind: str = "update") -> set[str]:
    return {e["id"] if isinstance(e, dict) else e for k, e in events if k == kind}


def community(server: Running, *names: str) -> dict[str, str]:
    """Members, each following Zed (who posts the markers); their account ids."""
    found = {}
    for name in ("zed", *names):
        server.member(name)
    with server.api("zed") as zed:
        found["zed"] = zed.get("/api/v1/accounts/verify_credentials").json()["id"]
    for name in names:
        with server.api(name) as client:
            found[name] = client.get("/api/v1/accounts/verify_credentials").json()["id"]
            assert client.post(f"/api/v1/accounts/{found['zed']}/follow").status_code == 200
    return found


def act(server: Running, name: str, method: str, path: str, **data: Any) -> Any:
    with server.api(name) as client:
        response = client.request(method, path, data=data or None)
        assert response.status_code == 200, response.text
        return response.json()


def post(server: Running, name: str, text: str, visibility: str = "public") -> str:
    return str(
        act(server, name, "POST", "/api/v1/statuses", status=text, visibility=visibility)["id"]
    )


def marker(server: Running) -> str:
    """Zed posts in public, and it goes out."""
    posted = post(server, "zed", "Marker")
    server.publish_due(31)
    return posted


def test_each_post_reaches_only_the_streams_allowed_to_show_it(
    server: Running, listen: Any
) -> None:
    """Ben, Eve and Finn follow Ana; Eve muted her; Dan is blocked by her; Cleo is a
    stranger. Ana posts for followers, directly to Ben, in public, and one still in
    its pause."""
    people = community(server, "ana", "ben", "cleo", "dan", "eve", "finn")
    for name in ("ben", "eve", "finn"):
        act(server, name, "POST", f"/api/v1/accounts/{people['ana']}/follow")
    act(server, "eve", "POST", f"/api/v1/accounts/{people['ana']}/mute")
    act(server, "ana", "POST", f"/api/v1/accounts/{people['dan']}/block")
    home = {n: listen("/api/v1/streaming/user", n) for n in ("ben", "cleo", "dan", "eve", "finn")}
    public = {n: listen("/api/v1/streaming/public", n) for n in ("cleo", "dan", "eve")}
    friends = post(server, "ana", "For friends", "private")
    secret = post(server, "ana", "@ben a secret", "direct")
    hello = post(server, "ana", "Hello all")
    server.publish_due(31)
    last = post(server, "zed", "Marker")
    server.clock.advance(10)
    pending = post(server, "ana", "Still in its pause")
    server.publish_due(21)
    heard = {("home", n): ids(until(s, last)) for n, s in home.items()}
    heard |= {("public", n): ids(until(s, last)) for n, s in public.items()}
    assert heard[("home", "ben")] == {friends, secret, hello}
    assert heard[("home", "finn")] == {friends, hello}  # not mentioned in the direct one
    assert heard[("home", "eve")] == set()  # muted
    assert heard[("public", "eve")] == {hello}  # as the public timeline shows it
    assert heard[("home", "cleo")] == set()
    assert heard[("public", "cleo")] == {hello}
    assert heard[("home", "dan")] == heard[("public", "dan")] == set()  # blocked
    # The pending post arrives when its pause ends, and only then.
    server.publish_due(10)
    assert home["ben"].next("update")["id"] == pending


def test_a_stream_hears_update_edit_notification_and_delete_in_order(
    server: Running, listen: Any
) -> None:
    people = community(server, "ana", "ben")
    act(server, "ben", "POST", f"/api/v1/accounts/{people['ana']}/follow")
    ben = listen("/api/v1/streaming/user", "ben")
    posted = post(server, "ana", "Soup at six")
    server.publish_due(31)
    act(server, "ana", "PUT", f"/api/v1/statuses/{posted}", status="Soup at seven")
    mine = post(server, "ben", "Coming!")
    server.publish_due(31)
    act(server, "ana", "POST", f"/api/v1/statuses/{mine}/favourite")
    act(server, "ana", "DELETE", f"/api/v1/statuses/{posted}")
    last = marker(server)
    events = until(ben, last)
    assert [k for k, _ in events] == ["update", "status.update", "update", "notification", "delete"]
    assert events[0][1]["content"] == "<p>Soup at six</p>"
    assert events[1][1]["content"] == "<p>Soup at seven</p>"
    assert events[2][1]["id"] == mine
    assert events[3][1]["type"] == "favourite"
    assert events[3][1]["status"]["id"] == mine
    assert events[4][1] == posted


def test_mentions_and_replies_reach_the_owners_notification_stream_only(
    server: Running, listen: Any
) -> None:
    community(server, "ana", "ben", "cleo")
    # The user stream carries notifications too, and Zed's marker that ends the wait.
    ana = listen("/api/v1/streaming/user", "ana")
    cleo = listen("/api/v1/streaming/user", "cleo")
    asked = post(server, "ana", "Who has a ladder?")
    server.publish_due(31)
    act(server, "ben", "POST", "/api/v1/statuses", status="@ana I do", in_reply_to_id=asked)
    act(server, "ben", "POST", "/api/v1/statuses", status="@ana and @cleo: soup later?")
    server.publish_due(31)
    last = marker(server)
    told_ana = [e for k, e in until(ana, last) if k == "notification"]
    assert sorted(n["type"] for n in told_ana) == ["mention", "mention"]
    assert {n["status"]["in_reply_to_id"] for n in told_ana} == {asked, None}
    told_cleo = [e for k, e in until(cleo, last) if k == "notification"]
    assert [(n["type"], n["account"]["acct"]) for n in told_cleo] == [("mention", "ben")]


def test_a_suspended_authors_post_reaches_nobody(server: Running, listen: Any) -> None:
    people = community(server, "ana", "ben")
    act(server, "ben", "POST", f"/api/v1/accounts/{people['ana']}/follow")
    streams = [listen("/api/v1/streaming/user", "ben"), listen("/api/v1/streaming/public", "ben")]
    post(server, "ana", "Posted just before")

    async def suspend() -> None:
        async with server.app.state.sessions() as session:
            await accounts.set_state(session, "ana", MemberState.suspended, server.clock.now())

    server.run(suspend())
    last = marker(server)
    for stream in streams:
        assert ids(until(stream, last)) == set()


def test_after_unfollowing_the_next_post_does_not_arrive(server: Running, listen: Any) -> None:
    people = community(server, "ana", "ben")
    act(server, "ben", "POST", f"/api/v1/accounts/{people['ana']}/follow")
    ben = listen("/api/v1/streaming/user", "ben")
    before = post(server, "ana", "While followed")
    server.publish_due(31)
    act(server, "ben", "POST", f"/api/v1/accounts/{people['ana']}/unfollow")
    post(server, "ana", "After the unfollow")
    last = marker(server)
    assert ids(until(ben, last)) == {before}


def test_a_post_made_followers_only_in_its_pause_streams_to_followers_alone(
    server: Running, listen: Any
) -> None:
    people = community(server, "ana", "ben", "cleo")
    act(server, "ben", "POST", f"/api/v1/accounts/{people['ana']}/follow")
    ben, cleo = listen("/api/v1/streaming/user", "ben"), listen("/api/v1/streaming/public", "cleo")
    posted = post(server, "ana", "Meant for everyone")
    browser = server.browser("ana")
    try:
        page = browser.get(f"/posts/{posted}/edit")
        edited = browser.post(
            f"/posts/{posted}/edit",
            data={
                "text": "Friends only now",
                "visibility": "followers",
                "csrf_token": csrf(page.text),
            },
        )
        assert edited.status_code == 303, edited.text
    finally:
        browser.close()
    server.publish_due(31)
    last = marker(server)
    heard = until(ben, last)
    assert ids(heard) == {posted}
    assert heard[0][1]["visibility"] == "private"
    assert until(cleo, last) == []


def test_an_edit_streams_only_to_those_who_may_see_the_post(server: Running, listen: Any) -> None:
    """Ben and Finn follow Ana, Ben liked her post; Cleo does not follow her."""
    people = community(server, "ana", "ben", "cleo", "finn")
    for name in ("ben", "finn"):
        act(server, name, "POST", f"/api/v1/accounts/{people['ana']}/follow")
    posted = post(server, "ana", "Friends, dinner?", "private")
    server.publish_due(31)
    act(server, "ben", "POST", f"/api/v1/statuses/{posted}/favourite")
    ben, finn = listen("/api/v1/streaming/user", "ben"), listen("/api/v1/streaming/user", "finn")
    cleo = listen("/api/v1/streaming/public", "cleo")
    act(server, "ana", "PUT", f"/api/v1/statuses/{posted}", status="Friends, lunch?")
    last = marker(server)
    [(kind, seen_by_ben)] = until(ben, last)
    [(_, seen_by_finn)] = until(finn, last)
    assert kind == "status.update"
    assert seen_by_ben["content"] == seen_by_finn["content"] == "<p>Friends, lunch?</p>"
    # Rendered once, with each reader's own buttons.
    assert seen_by_ben["favourited"] is True
    assert seen_by_finn["favourited"] is False
    assert until(cleo, last) == []


def test_a_token_revoked_where_no_event_reaches_ends_at_the_next_check(
    server: Running, listen: Any
) -> None:
    """A CLI command without Redis revokes the token: the batched check ends the stream."""
    server.member("ben")
    stream = listen("/api/v1/streaming/user", "ben")
    assert stream.response.status_code == 200

    async def revoke_quietly() -> None:
        sessions = make_sessions(server.app.state.engine)  # no bus: nobody hears of it
        async with sessions() as session:
            await session.exec(update(OAuthToken).values(revoked_at=server.clock.now()))
            await session.commit()
        assert stream_hub.hub(server.app).connections  # still open: no event came
        await stream_hub.hub(server.app).recheck()

    server.run(revoke_quietly())
    assert "revoked" in stream.next("error")["error"]
    assert stream.ended()


def test_streams_close_when_their_process_missed_events(
    server: Running, listen: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events lost to an overflowing listener close the streams: apps reconnect and
    read the timelines again rather than miss something silently."""
    server.member("ben")
    monkeypatch.setattr(stream_hub, "LISTEN_SIZE", 2)
    stream = listen("/api/v1/streaming/public", "ben")

    async def flood() -> None:
        server.app.state.bus.emit([Event(EventKind.post_deleted, i) for i in range(1, 6)])

    server.run(flood())
    assert "fell behind" in stream.next("error")["error"]
    assert stream.ended()


def test_posts_in_their_pause_never_send_a_false_delete(server: Running, listen: Any) -> None:
    """Ben's published post stays put while he writes many more that are still in
    their pause (a timeline that re-reads its newest page took it for deleted)."""
    community(server, "ben")
    ben = listen("/api/v1/streaming/user", "ben")
    published = post(server, "ben", "Out there")
    server.publish_due(31)
    last = post(server, "zed", "Marker")
    server.clock.advance(10)
    for n in range(41):
        post(server, "ben", f"Draft thought {n}")
    server.publish_due(21)  # the marker goes out; Ben's drafts are still in their pause
    events = until(ben, last)
    assert ids(events) == {published}
    assert ids(events, "delete") == set()
