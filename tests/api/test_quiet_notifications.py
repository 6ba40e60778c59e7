"""Quieter notifications through the client API, as apps use them: Mastodon.py for mutes
with a duration, muted conversations and the notification policy and requests; a
pushed stream for what a filtered notification must never do."""

from __future__ import annotations

from typing import Any

import pytest
from mastodon import MastodonNotFoundError

from tests.api.conftest import Running
from tests.api.test_stream_push import act, community, ids, listen, marker, post, until

__all__ = ["listen"]  # the fixture, used by name


def members(server: Running, *names: str) -> dict[str, str]:
    found = {}
    for name in names:
        server.member(name)
        found[name] = str(server.mastodon(name).account_verify_credentials()["id"])
    return found


def with_filtered(server: Running, name: str) -> list[Any]:
    """The member's notifications with the filtered ones (Mastodon.py has no parameter
    for `include_filtered`)."""
    found = act(server, name, "GET", "/api/v1/notifications?include_filtered=true")
    assert isinstance(found, list)
    return found


def test_a_mute_for_an_hour_is_listed_with_its_end_and_ends_by_itself(server: Running) -> None:
    people = members(server, "ana", "ben")
    ana = server.mastodon("ana")
    relation = ana.account_mute(people["ben"], notifications=False, duration=3600)
    assert relation["muting"] and not relation["muting_notifications"]
    listed = ana.mutes()
    assert [a["acct"] for a in listed] == ["ben"]
    ends = listed[0]["mute_expires_at"]
    assert (ends - server.clock.now()).total_seconds() == pytest.approx(3600, abs=1)

    ana.account_mute(people["ben"], duration=0)  # for good, and their notifications too
    relation = ana.account_relationships(people["ben"])[0]
    assert relation["muting"] and relation["muting_notifications"]
    assert ana.mutes()[0]["mute_expires_at"] is None

    ana.account_mute(people["ben"], duration=60)
    server.clock.advance(61)
    # Over: the next read shows it, without waiting for any sweep.
    relation = ana.account_relationships(people["ben"])[0]
    assert not relation["muting"] and not relation["muting_notifications"]
    assert ana.mutes() == []


def test_a_bad_duration_is_refused_with_a_message(server: Running) -> None:
    people = members(server, "ana", "ben")
    with server.api("ana") as client:
        response = client.post(f"/api/v1/accounts/{people['ben']}/mute", data={"duration": "-5"})
    assert response.status_code == 422
    assert "duration" in response.json()["error"]


def test_a_muted_conversation_says_so_and_stops_notifying(server: Running) -> None:
    members(server, "ana", "ben")
    ana, ben = server.mastodon("ana"), server.mastodon("ben")
    asked = ana.status_post("Where do the swifts go in winter?")
    server.publish_due(31)
    muted = ana.status_mute(asked["id"])
    assert muted["muted"] is True
    answer = ben.status_post("@ana Africa!", in_reply_to_id=asked["id"])
    server.publish_due(31)
    ben.status_favourite(asked["id"])
    assert ana.notifications() == []
    # Every post of the thread reads as muted for Ana, and for nobody else.
    assert ana.status(answer["id"])["muted"] is True
    assert ben.status(answer["id"])["muted"] is False
    # Both of the viewer's marks come from one read, and neither hides the other.
    marked = ana.status_bookmark(answer["id"])
    assert marked["bookmarked"] is True and marked["muted"] is True
    assert ana.status(asked["id"])["bookmarked"] is False
    # A timeline page reads both marks with the page's figures: the same answers.
    home = {s["id"]: s for s in ana.timeline_home()}
    assert home[asked["id"]]["muted"] is True and home[asked["id"]]["bookmarked"] is False
    assert all(not s["muted"] for s in ben.timeline_home())
    assert ana.status_unmute(asked["id"])["muted"] is False
    assert not any(s["muted"] for s in ana.timeline_home())
    # What came during the mute was never kept; what comes after notifies again.
    assert ana.notifications() == []
    ben.status_post("@ana or Spain", in_reply_to_id=asked["id"])
    server.publish_due(31)
    assert [n["type"] for n in ana.notifications()] == ["mention"]


def test_muting_a_conversation_one_cannot_see_is_not_found(server: Running) -> None:
    members(server, "ana", "ben")
    ana, ben = server.mastodon("ana"), server.mastodon("ben")
    private = ana.status_post("Just for me and nobody", visibility="direct")
    server.publish_due(31)
    with pytest.raises(MastodonNotFoundError):
        ben.status_mute(private["id"])


def test_the_policy_filters_a_stranger_into_a_request_the_member_accepts(
    server: Running,
) -> None:
    people = members(server, "ana", "ben", "cleo")
    ana, ben = server.mastodon("ana"), server.mastodon("ben")
    policy = ana.notifications_policy()
    assert policy["for_not_following"] == "accept"
    assert policy["for_private_mentions"] == "filter"  # the community's default
    assert policy["summary"] == {"pending_requests_count": 0, "pending_notifications_count": 0}

    changed = ana.update_notifications_policy(for_not_following="filter")
    assert changed["for_not_following"] == "filter"
    ben.status_post("@ana hello, I'm new around here")
    server.publish_due(31)
    ben.status_post("@ana are you there?")
    server.publish_due(31)

    assert ana.notifications() == []
    assert len(with_filtered(server, "ana")) == 2
    summary = ana.notifications_policy()["summary"]
    assert summary == {"pending_requests_count": 1, "pending_notifications_count": 2}
    requests = ana.notification_requests()
    assert [(r["account"]["acct"], r["notifications_count"]) for r in requests] == [("ben", "2")]
    assert "are you there" in requests[0]["last_status"]["content"]
    assert ana.notification_request(requests[0]["id"])["id"] == people["ben"]
    # The request's own notifications, as an app opens them.
    assert len(ana.notifications(account_id=people["ben"])) == 2

    ana.accept_notification_request(requests[0]["id"])
    assert ana.notifications_merged() is True
    assert len(ana.notifications()) == 2
    assert ana.notification_requests() == []
    with pytest.raises(MastodonNotFoundError):
        ana.notification_request(people["ben"])


def test_requests_are_dismissed_in_a_batch(server: Running) -> None:
    people = members(server, "ana", "ben", "cleo")
    ana = server.mastodon("ana")
    ana.update_notifications_policy(for_not_following="filter")
    for name in ("ben", "cleo"):
        server.mastodon(name).status_post("@ana buy my zine")
    server.publish_due(31)
    assert len(ana.notification_requests()) == 2
    ana.dismiss_multiple_notification_requests([people["ben"], people["cleo"]])
    assert ana.notification_requests() == []
    assert with_filtered(server, "ana") == []


def test_a_dropping_policy_stores_nothing_and_bad_values_are_refused(server: Running) -> None:
    members(server, "ana", "ben")
    ana = server.mastodon("ana")
    ana.update_notifications_policy(for_not_following="drop")
    server.mastodon("ben").status_post("@ana hi")
    server.publish_due(31)
    assert with_filtered(server, "ana") == []
    assert ana.notifications_policy()["summary"]["pending_notifications_count"] == 0
    with server.api("ana") as client:
        response = client.patch("/api/v2/notifications/policy", data={"for_new_accounts": "maybe"})
        assert response.status_code == 422
        assert "accept, filter, drop" in response.json()["error"]
        # Mastodon 4.2's shape still answers, in booleans.
        v1 = client.get("/api/v1/notifications/policy").json()
        assert v1["filter_not_following"] is True and v1["filter_new_accounts"] is False


def test_a_filtered_notification_is_never_streamed_but_a_friends_is(
    server: Running, listen: Any
) -> None:
    people = community(server, "ana", "ben", "cleo")
    act(server, "ana", "PATCH", "/api/v2/notifications/policy", for_not_following="filter")
    act(server, "ana", "POST", f"/api/v1/accounts/{people['cleo']}/follow")
    stream = listen("/api/v1/streaming/user", "ana")
    post(server, "ben", "@ana psst, from a stranger")
    post(server, "cleo", "@ana hello from a friend")
    server.publish_due(31)
    last = marker(server)
    told = [e for k, e in until(stream, last) if k == "notification"]
    assert [n["account"]["acct"] for n in told] == ["cleo"]
    # Nor does it leak through the unread count apps poll.
    assert act(server, "ana", "GET", "/api/v1/notifications/unread_count") == {"count": 1}


def test_a_muted_person_is_not_streamed_as_a_notification(server: Running, listen: Any) -> None:
    people = community(server, "ana", "ben")
    act(server, "ana", "POST", f"/api/v1/accounts/{people['ben']}/mute", duration="600")
    stream = listen("/api/v1/streaming/user", "ana")
    post(server, "ben", "@ana look at me")
    server.publish_due(31)
    last = marker(server)
    assert ids(until(stream, last), "notification") == set()


def test_a_request_shows_its_last_post_only_while_the_member_may_see_it(
    server: Running,
) -> None:
    people = members(server, "ana", "ben")
    ana, ben = server.mastodon("ana"), server.mastodon("ben")
    ana.update_notifications_policy(for_not_following="filter")
    ben.status_post("@ana a thought for you")
    server.publish_due(31)
    assert "a thought" in ana.notification_requests()[0]["last_status"]["content"]
    # Ben blocks Ana: she may no longer open his post, and the request no longer shows it.
    ben.account_block(people["ana"])
    assert ana.notification_request(people["ben"])["last_status"] is None
