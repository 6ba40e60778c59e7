"""Apps read the Conversations timeline as a built-in list."""

from __future__ import annotations

from tests.api.conftest import Running


def test_conversations_is_a_built_in_list_that_apps_can_read_and_page(server: Running) -> None:
    for name in ("ana", "ben", "cleo"):
        server.member(name)
    ana, ben, cleo = (server.mastodon(name) for name in ("ana", "ben", "cleo"))
    ben_id = ben.account_verify_credentials()["id"]
    cleo_id = cleo.account_verify_credentials()["id"]
    ana.account_follow(ben_id)
    ana.account_follow(cleo_id)
    ben.account_follow(ana.account_verify_credentials()["id"])
    quiet = cleo.status_post("A quiet note about the weather this morning.")
    talk = ben.status_post("What is everyone reading this winter? I need a long novel.")
    server.publish_due(31)
    answer = cleo.status_post(
        "Middlemarch, slowly, a chapter an evening. It rewards patience.", in_reply_to_id=talk
    )
    server.publish_due(600)
    ben.status_post(
        "Oh, I have never read it. Is the first part as slow as people say?",
        in_reply_to_id=answer,
    )
    server.publish_due(600)

    lists = ana.lists()
    assert lists[0]["id"] == "conversations"
    assert lists[0]["title"] == "Conversations"
    assert ana.list("conversations")["title"] == "Conversations"

    first = ana.timeline_list("conversations", limit=1)
    assert [s["id"] for s in first] == [str(talk["id"])]  # the thread with talk comes first
    second = ana.fetch_next(first)
    assert [s["id"] for s in second] == [str(quiet["id"])]
    assert ana.fetch_next(second) in (None, [])

    with server.api("ana") as client:
        # An app that pages by the last post it showed gets the same order.
        more = client.get(
            "/api/v1/timelines/list/conversations", params={"max_id": talk["id"], "limit": 5}
        )
        assert [s["id"] for s in more.json()] == [str(quiet["id"])]
        newer = client.get("/api/v1/timelines/list/conversations", params={"since_id": 1})
        assert newer.status_code == 200 and newer.json() == []
        for method, path, data in (
            ("PUT", "/api/v1/lists/conversations", {"title": "Mine"}),
            ("DELETE", "/api/v1/lists/conversations", None),
            ("POST", "/api/v1/lists/conversations/accounts", {"account_ids[]": ben_id}),
        ):
            refused = client.request(method, path, data=data)
            assert refused.status_code == 422, (method, path)
            assert "Conversations" in refused.json()["error"]
        assert client.get("/api/v1/lists/conversations/accounts").json() == []
        stream = client.get("/api/v1/streaming/list", params={"list": "conversations"})
        assert stream.status_code == 400 and "ranked" in stream.json()["error"]
    assert ana.lists()[0]["id"] == "conversations"  # still there after the refusals


def test_an_app_opening_conversations_again_gets_the_kept_order_until_a_mute(
    server: Running,
) -> None:
    """Apps poll: each first page within moments reads the order ranked for the member a
    moment ago; muting someone ranks anew, and their thread is gone at once."""
    from sqlmodel import func, select

    from server.models import RankedSnapshot

    def newest() -> int:
        async def read() -> int:
            async with server.app.state.sessions() as session:
                found = await session.exec(select(func.max(RankedSnapshot.id)))
                return int(found.one() or 0)

        return server.run(read())

    for name in ("ana", "ben", "cleo"):
        server.member(name)
    ana, ben, cleo = (server.mastodon(name) for name in ("ana", "ben", "cleo"))
    ben_id = ben.account_verify_credentials()["id"]
    ana.account_follow(ben_id)
    ana.account_follow(cleo.account_verify_credentials()["id"])
    bens = ben.status_post("Bread rose twice as high with the new flour.")
    cleos = cleo.status_post("The heron is back on the pond.")
    server.publish_due(31)

    first = ana.timeline_list("conversations")
    ranked = newest()
    assert {s["id"] for s in first} == {str(bens["id"]), str(cleos["id"])}
    server.clock.advance(10)
    assert ana.timeline_list("conversations") == first
    assert newest() == ranked  # read, not ranked again

    ana.account_mute(ben_id)
    after = ana.timeline_list("conversations")
    assert [s["id"] for s in after] == [str(cleos["id"])]
    assert newest() > ranked
