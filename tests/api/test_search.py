"""Search: people and hashtags Porch knows, and with resolve=true people and posts elsewhere."""

from __future__ import annotations

from tests.api.conftest import Running
from tests.federation.mastodon_double import ZOE, fixture


def test_resolve_finds_someone_on_mastodon_through_webfinger_and_follows_them(
    server: Running,
) -> None:
    server.member("ana")
    ana = server.mastodon("ana")
    assert ana.search_v2("@zoe@mastodon.test", resolve=False)["accounts"] == []
    found = ana.search_v2("@zoe@mastodon.test", resolve=True)["accounts"]
    assert [a["acct"] for a in found] == ["zoe@mastodon.test"]
    assert found[0]["url"] == "https://mastodon.test/@zoe"
    relation = ana.account_follow(found[0]["id"])
    assert relation["requested"] is True  # until Zoe's server accepts
    # Now Porch knows her: a plain search finds her too.
    assert [a["acct"] for a in ana.search_v2("zoe")["accounts"]] == ["zoe@mastodon.test"]


def test_resolve_fetches_a_post_by_its_url(server: Running) -> None:
    server.member("ana")
    note = fixture("create_note_cw_attachment")["object"]
    server.mastodon_double.publish(note)
    ana = server.mastodon("ana")
    found = ana.search_v2(note["id"], resolve=True)
    assert [s["uri"] for s in found["statuses"]] == [note["id"]]
    assert found["statuses"][0]["account"]["acct"] == "zoe@mastodon.test"
    assert found["statuses"][0]["spoiler_text"] == note["summary"]


def test_local_search_finds_members_and_hashtags(server: Running) -> None:
    server.member("ana")
    server.member("anabel")
    ana = server.mastodon("ana")
    ana.status_post("Lentils #soup and #sourdough")
    server.publish_due(31)
    found = ana.search_v2("ana")
    assert [a["acct"] for a in found["accounts"]] == ["ana", "anabel"]
    assert [t["name"] for t in ana.search_v2("#sou")["hashtags"]] == ["soup", "sourdough"]
    assert ana.search_v2("nobody-here")["accounts"] == []
    assert ZOE not in str(found)
