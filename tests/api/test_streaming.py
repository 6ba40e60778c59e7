"""Streaming: apps hear of new posts, notifications and deletions without reloading."""

from __future__ import annotations

import contextlib
import json
import queue
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from server.api.mastodon import stream_limits
from server.models import MemberState
from server.services import accounts
from tests.api.conftest import Running, csrf


class SSE:
    """Reads a server-sent event stream in a thread; events land in a queue."""

    def __init__(self, server: Running, path: str, token: str) -> None:
        self.events: queue.Queue[tuple[str, str]] = queue.Queue()
        self.client = httpx.Client(base_url=server.base, timeout=None)
        self.response = self.client.send(
            self.client.build_request("GET", path, headers={"Authorization": f"Bearer {token}"}),
            stream=True,
        )
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        event = None
        try:
            for line in self.response.iter_lines():
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: ") and event:
                    self.events.put((event, line.removeprefix("data: ")))
                    event = None
        except httpx.HTTPError:
            pass  # closed by the test

    def ended(self, timeout: float = 10) -> bool:
        """Whether the server closed the stream."""
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def seen(self) -> list[str]:
        """The events received and not yet read."""
        found = []
        while not self.events.empty():
            found.append(self.events.get()[0])
        return found

    def next(self, wanted: str, timeout: float = 10) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event, data = self.events.get(timeout=0.2)
            except queue.Empty:
                continue
            if event == wanted:
                return json.loads(data) if data.startswith("{") else data
        raise AssertionError(f"no {wanted} event within {timeout} s")

    def close(self) -> None:
        self.response.close()
        self.client.close()


@pytest.fixture
def sse(server: Running) -> Iterator[Any]:
    opened: list[SSE] = []

    def open_stream(path: str, username: str) -> SSE:
        stream = SSE(server, path, server.token(username))
        opened.append(stream)
        return stream

    yield open_stream
    for stream in opened:
        stream.close()


def test_the_user_stream_brings_a_post_when_its_pause_ends_and_not_before(
    server: Running, sse: Any
) -> None:
    server.member("ana")
    server.member("ben")
    with server.api("ana") as ana, server.api("ben") as ben:
        ana_id = ana.get("/api/v1/accounts/verify_credentials").json()["id"]
        ben.post(f"/api/v1/accounts/{ana_id}/follow")
        stream = sse("/api/v1/streaming/user", "ben")
        assert stream.response.status_code == 200
        posted = ana.post("/api/v1/statuses", data={"status": "Soup is ready"}).json()
        time.sleep(0.5)
        assert stream.events.empty()  # still in its pause
        server.publish_due(31)
        update = stream.next("update")
        assert update["id"] == posted["id"]
        assert update["content"] == "<p>Soup is ready</p>"

        ana.post(f"/api/v1/statuses/{posted['id']}/favourite")  # ana likes her own: no news
        reply = ben.post(
            "/api/v1/statuses", data={"status": "@ana coming!", "in_reply_to_id": posted["id"]}
        ).json()
        server.publish_due(21)
        assert stream.next("update")["id"] == reply["id"]

        ana.delete(f"/api/v1/statuses/{posted['id']}")
        assert stream.next("delete") == posted["id"]


def test_the_notification_stream_tells_of_a_new_follower(server: Running, sse: Any) -> None:
    server.member("ana")
    server.member("ben")
    stream = sse("/api/v1/streaming/user/notification", "ana")
    with server.api("ana") as ana, server.api("ben") as ben:
        ana_id = ana.get("/api/v1/accounts/verify_credentials").json()["id"]
        ben.post(f"/api/v1/accounts/{ana_id}/follow")
    notification = stream.next("notification")
    assert notification["type"] == "follow"
    assert notification["account"]["acct"] == "ben"


def test_a_websocket_app_subscribes_to_a_hashtag_and_hears_of_new_posts(
    server: Running,
) -> None:
    server.member("ana")
    server.member("ben")
    token = server.token("ben")
    url = server.base.replace("http://", "ws://") + f"/api/v1/streaming?access_token={token}"
    with connect(url, open_timeout=10) as socket, server.api("ana") as ana:
        socket.send(json.dumps({"type": "subscribe", "stream": "hashtag", "tag": "Soup"}))
        time.sleep(0.5)
        ana.post("/api/v1/statuses", data={"status": "Lentil #soup tonight"})
        ana.post("/api/v1/statuses", data={"status": "No tag here"})
        server.publish_due(31)
        message = json.loads(socket.recv(timeout=10))
    assert message["stream"] == ["hashtag", "soup"]
    assert message["event"] == "update"
    assert json.loads(message["payload"])["content"].startswith("<p>Lentil")


def test_streams_refuse_a_missing_token_and_unknown_streams(server: Running) -> None:
    server.member("ana")
    assert httpx.get(server.base + "/api/v1/streaming/health").text == "OK"
    missing = httpx.get(server.base + "/api/v1/streaming/user")
    assert missing.status_code == 401
    assert "error" in missing.json()
    unknown = httpx.get(
        server.base + "/api/v1/streaming/nonsense",
        headers={"Authorization": f"Bearer {server.token('ana')}"},
    )
    assert unknown.status_code == 404


def ben_follows_ana(server: Running) -> None:
    server.member("ana")
    server.member("ben")
    with server.api("ana") as ana, server.api("ben") as ben:
        ana_id = ana.get("/api/v1/accounts/verify_credentials").json()["id"]
        assert ben.post(f"/api/v1/accounts/{ana_id}/follow").status_code == 200


def ana_posts_for_followers(server: Running) -> None:
    with server.api("ana") as ana:
        posted = ana.post(
            "/api/v1/statuses", data={"status": "Only for friends", "visibility": "private"}
        )
        assert posted.status_code == 200, posted.text
    server.publish_due(31)


def take_access_back(server: Running, username: str) -> None:
    """The member takes the app's access back on Settings > Apps."""
    browser = server.browser(username)
    try:
        page = browser.get("/settings/apps")
        action = re.search(r'action="(/settings/apps/\d+/revoke)"', page.text)
        assert action
        browser.post(action.group(1), data={"csrf_token": csrf(page.text)})
    finally:
        browser.close()


def suspend(server: Running, username: str) -> None:
    async def run() -> None:
        async with server.app.state.sessions() as session:
            await accounts.set_state(session, username, MemberState.suspended, server.clock.now())

    server.run(run())


def test_a_stream_whose_access_is_taken_back_closes_before_the_next_post(
    server: Running, sse: Any
) -> None:
    ben_follows_ana(server)
    stream = sse("/api/v1/streaming/user", "ben")
    assert stream.response.status_code == 200
    take_access_back(server, "ben")
    ana_posts_for_followers(server)
    error = stream.next("error")
    assert "revoked" in error["error"]
    assert stream.ended()
    assert "update" not in stream.seen()


def test_a_suspended_members_stream_closes_and_hears_no_followers_only_post(
    server: Running, sse: Any
) -> None:
    ben_follows_ana(server)
    stream = sse("/api/v1/streaming/user", "ben")
    suspend(server, "ben")
    ana_posts_for_followers(server)
    stream.next("error")
    assert stream.ended()
    assert "update" not in stream.seen()


def test_an_idle_websocket_closes_when_its_access_is_taken_back(server: Running) -> None:
    server.member("ben")
    token = server.token("ben")
    url = server.base.replace("http://", "ws://") + f"/api/v1/streaming?access_token={token}"
    with connect(url, open_timeout=10) as socket:
        socket.send(json.dumps({"type": "subscribe", "stream": "user"}))
        take_access_back(server, "ben")
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4001
    assert "revoked" in closed.value.rcvd.reason


def app_token(server: Running) -> str:
    """A token for an app with no member behind it (client_credentials)."""
    client_id, secret = server.register_app()
    issued = httpx.post(
        server.base + "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "read",
        },
    )
    return str(issued.json()["access_token"])


def test_user_streams_need_a_token_with_a_member_behind_it(server: Running) -> None:
    token = app_token(server)
    for path in ("user", "user/notification", "list?list=1"):
        refused = httpx.get(
            f"{server.base}/api/v1/streaming/{path}",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert refused.status_code == 401, path
        assert refused.json() == {"error": "This stream requires an authenticated user"}
    url = server.base.replace("http://", "ws://") + f"/api/v1/streaming?access_token={token}"
    with connect(url, open_timeout=10) as socket:
        socket.send(json.dumps({"type": "subscribe", "stream": "user:notification"}))
        answer = json.loads(socket.recv(timeout=10))
    assert answer == {"error": "This stream requires an authenticated user", "status": 401}


def test_a_connection_follows_a_limited_number_of_streams(
    server: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream_limits, "MAX_SUBSCRIPTIONS", 3)
    token = app_token(server)
    url = server.base.replace("http://", "ws://") + f"/api/v1/streaming?access_token={token}"
    with connect(url, open_timeout=10) as socket:
        for tag in ("soup", "bread", "tea", "cake"):
            socket.send(json.dumps({"type": "subscribe", "stream": "hashtag", "tag": tag}))
        answer = json.loads(socket.recv(timeout=10))
        assert answer["status"] == 429
        assert "at most 3 streams" in answer["error"]
        # Letting one go makes room again.
        socket.send(json.dumps({"type": "unsubscribe", "stream": "hashtag", "tag": "soup"}))
        socket.send(json.dumps({"type": "subscribe", "stream": "hashtag", "tag": "cake"}))
        socket.send(json.dumps({"type": "subscribe", "stream": "hashtag", "tag": "pie"}))
        answer = json.loads(socket.recv(timeout=10))
    assert "at most 3 streams" in answer["error"]


def test_one_token_holds_a_limited_number_of_connections(server: Running) -> None:
    token = app_token(server)
    url = server.base.replace("http://", "ws://") + f"/api/v1/streaming?access_token={token}"
    with contextlib.ExitStack() as stack:
        opened = [stack.enter_context(connect(url, open_timeout=10)) for _ in range(4)]
        refused = httpx.get(
            server.base + "/api/v1/streaming/public",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert refused.status_code == 429
        assert "4 streaming connections open already" in refused.json()["error"]
        with pytest.raises(InvalidStatus) as denied, connect(url, open_timeout=10):
            pass
        assert denied.value.response.status_code == 429
        # Closing one gives its place back.
        opened[0].close()
        deadline = time.monotonic() + 10
        while True:
            try:
                with connect(url, open_timeout=10):
                    break
            except InvalidStatus:
                assert time.monotonic() < deadline, "the closed connection kept its place"
                time.sleep(0.05)


def test_one_address_holds_a_limited_number_of_connections(
    server: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream_limits, "MAX_PER_ADDRESS", 2)
    opened = [SSE(server, "/api/v1/streaming/public", app_token(server)) for _ in range(2)]
    try:
        refused = httpx.get(
            server.base + "/api/v1/streaming/public",
            headers={"Authorization": f"Bearer {app_token(server)}"},
        )
        assert refused.status_code == 429
        assert "Your address has 2 streaming connections" in refused.json()["error"]
    finally:
        for stream in opened:
            stream.close()


def test_a_hashtag_subscription_holding_a_nul_or_no_text_keeps_the_connection(
    server: Running,
) -> None:
    token = app_token(server)
    url = server.base.replace("http://", "ws://") + f"/api/v1/streaming?access_token={token}"
    with connect(url, open_timeout=10) as socket:
        socket.send(json.dumps({"type": "subscribe", "stream": "hashtag", "tag": "tea\u0000"}))
        socket.send(json.dumps({"type": "subscribe", "stream": "hashtag", "tag": 5}))
        answer = json.loads(socket.recv(timeout=10))
        assert answer == {"error": "A hashtag stream needs a tag", "status": 400}
        # Still open: the next request is answered.
        socket.send(json.dumps({"type": "subscribe", "stream": "nonsense"}))
        answer = json.loads(socket.recv(timeout=10))
    assert answer == {"error": "Unknown stream type: nonsense", "status": 400}
