"""Streaming: apps hear of new posts, notifications and deletions without reloading."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from server.api.mastodon import streaming
from tests.api.conftest import Running


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streaming, "POLL_SECONDS", 0.1)


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
