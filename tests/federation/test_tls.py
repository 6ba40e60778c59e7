"""Two real Porch servers over TLS: the story of test_flows.py, on sockets this time.

Each server is a uvicorn subprocess on its own loopback address with a certificate from
a test CA; federation trusts that CA (PORCH_FEDERATION_CA_FILE) and may reach loopback
(PORCH_FEDERATION_ALLOW_PRIVATE). The servers run their own jobs every second, so the
test waits for results instead of draining queues. Slower than the rest: 10-20 s, most of it starting the two servers.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import anyio
import httpx
import pytest
import trustme

from tests.conftest import sign_up
from tests.federation.servers import Server, client_context, porch_servers

#: Generous: two real servers and their workers share a 2-core machine with the rest.
WAIT_SECONDS = 90.0
POLL_SECONDS = 0.2
ACTIVITY_JSON = {"Accept": "application/activity+json"}


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def servers(tmp_path: Path, ca: trustme.CA) -> Iterator[list[Server]]:
    with porch_servers(
        tmp_path,
        ca,
        PORCH_PAUSE_POST_SECONDS="1",
        PORCH_PAUSE_REPLY_SECONDS="1",
        PORCH_PAUSE_MUTUAL_REPLY_SECONDS="1",
        PORCH_PAUSE_STRANGER_REPLY_SECONDS="1",
    ) as running:
        yield running


@pytest.fixture
async def clients(
    servers: list[Server], ca: trustme.CA
) -> AsyncIterator[Callable[[Server], httpx.AsyncClient]]:
    """Opens browser-like clients (own cookies) that trust the test CA; closes them all."""
    opened: list[httpx.AsyncClient] = []
    context = client_context(ca)

    def open_client(server: Server) -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=server.base, verify=context, timeout=10.0)
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        await client.aclose()


def page_error(response: httpx.Response) -> str:
    """The error a page shows (such as a failed WebFinger look-up), or its status."""
    shown = re.search(r'class="field-error"[^>]*>(.*?)</p>', response.text, re.S)
    return f"{response.status_code}: {html.unescape(shown.group(1)) if shown else response.text}"


async def eventually(
    what: str, check: Callable[[], Awaitable[bool]], servers: list[Server]
) -> None:
    """Wait until `check` is true; on time-out, fail with both servers' logs."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not await check():
        if time.monotonic() > deadline:
            logs = "\n\n".join(f"--- {s.domain} ---\n{s.log_tail()}" for s in servers)
            pytest.fail(f"{what}: not within {WAIT_SECONDS:.0f} s.\n{logs}", pytrace=False)
        await anyio.sleep(POLL_SECONDS)


async def test_two_real_servers_federate_a_follow_a_post_and_a_reply_over_tls(
    servers: list[Server], clients: Callable[[Server], httpx.AsyncClient]
) -> None:
    a, b = servers
    ana = await sign_up(clients(a), "ana")
    ben = await sign_up(clients(b), "ben")
    outsider = clients(b)

    # Ana finds Ben through WebFinger on B, then follows him from his profile on A.
    found = await ana.client.get("/search", params={"q": f"@ben@{b.domain}"})
    assert found.status_code == 303, page_error(found)
    profile = found.headers["location"]
    assert profile == f"/@ben@{b.domain}"
    token = await ana.token(profile)
    response = await ana.client.post(profile + "/follow", data={"csrf_token": token})
    assert response.status_code == 303, response.text

    async def ben_has_a_follower() -> bool:
        followers = await outsider.get("/users/ben/followers", headers=ACTIVITY_JSON)
        return followers.status_code == 200 and followers.json()["totalItems"] == 1

    await eventually("B records Ana as Ben's follower", ben_has_a_follower, servers)

    # Ben posts on B; after its pause it reaches Ana's home on A.
    post_id = await ben.post("Hello over TLS from B")
    home_text = ""

    async def ana_sees_the_post() -> bool:
        nonlocal home_text
        home_text = (await ana.client.get("/")).text
        return "Hello over TLS from B" in home_text

    await eventually("Ben's post appears on Ana's home on A", ana_sees_the_post, servers)

    # Ana replies to A's copy; after its pause the reply threads under the post on B.
    local_copy = re.search(rf'href="/@ben@{re.escape(b.domain)}/(\d+)"', home_text)
    assert local_copy, "no link to A's copy of Ben's post on Ana's home"
    await ana.post("Hello back, securely!", reply_to=int(local_copy.group(1)))

    async def reply_is_threaded() -> bool:
        thread = await ben.client.get(f"/@ben/{post_id}")
        return "Hello back, securely!" in thread.text

    await eventually("Ana's reply appears under Ben's post on B", reply_is_threaded, servers)
