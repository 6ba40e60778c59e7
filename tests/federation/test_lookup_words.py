"""Ana looks for people who cannot be found, and is told why in words, never with the
exception Porch caught (porch-a.test and porch-b.test on one shared network)."""

from __future__ import annotations

import html

from tests.federation.conftest import World

A = "porch-a.test"


async def test_a_server_that_does_not_exist_is_named_as_unreachable(world: World) -> None:
    ana = await world.instances[A].sign_up("ana")
    found = await ana.client.get("/search", params={"q": "@nobody@example.invalid"})
    assert found.status_code == 404
    page = html.unescape(found.text)
    assert "We couldn't reach example.invalid" in page
    assert "ConnectError" not in page and "no server at" not in page


async def test_a_server_that_answers_but_does_not_know_the_name_says_so(world: World) -> None:
    ana = await world.instances[A].sign_up("ana")
    await world.instances["porch-b.test"].sign_up("ben")
    found = await ana.client.get("/search", params={"q": "@nobody@porch-b.test"})
    assert found.status_code == 404
    page = html.unescape(found.text)
    assert "porch-b.test does not know @nobody@porch-b.test" in page
    assert "answered 404" not in page and "GET " not in page


async def test_a_pasted_url_on_an_unreachable_server_names_only_its_host(world: World) -> None:
    ana = await world.instances[A].sign_up("ana")
    found = await ana.client.get("/search", params={"q": "https://gone.invalid/@zed/1"})
    assert found.status_code == 404
    page = html.unescape(found.text)
    assert "We couldn't reach gone.invalid" in page
    assert "ConnectError" not in page
