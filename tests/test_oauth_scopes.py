"""Scopes grant as Mastodon's do: a scope grants its narrower ones, never an admin scope."""

from __future__ import annotations

import pytest

from server.services.errors import Invalid
from server.services.oauth_scopes import grants, parse_scopes


def test_a_broad_scope_grants_its_narrower_ones() -> None:
    assert grants({"read"}, "read:statuses")
    assert grants({"admin:read"}, "admin:read:reports")
    assert grants({"admin:write"}, "admin:write:accounts")
    assert grants({"admin:write:reports"}, "admin:write:reports")
    assert grants({"follow"}, "write:blocks")


def test_no_member_scope_grants_an_admin_one() -> None:
    for held in ({"read", "write", "follow", "push"}, {"read:statuses"}, {"admin:read"}):
        assert not grants(held, "admin:write:reports"), held
    assert not grants({"read", "write"}, "admin:read:reports")
    assert not grants({"admin:read:accounts"}, "admin:read:reports")


def test_apps_may_ask_for_mastodons_admin_scopes_and_no_others() -> None:
    assert parse_scopes("read admin:read admin:write:reports") == {
        "read",
        "admin:read",
        "admin:write:reports",
    }
    with pytest.raises(Invalid, match="admin:everything"):
        parse_scopes("admin:everything")
