"""The instance's usage figures, which apps ask for each time they start, are counted at
most once a minute (as NodeInfo's are), and afresh after that."""

from __future__ import annotations

import httpx

from tests.api.conftest import Running


def users(server: Running) -> tuple[int, int]:
    with httpx.Client(base_url=server.base, timeout=30) as visitor:
        v1 = visitor.get("/api/v1/instance")
        v2 = visitor.get("/api/v2/instance")
    assert v1.status_code == v2.status_code == 200
    return v1.json()["stats"]["user_count"], v2.json()["usage"]["users"]["active_month"]


def test_the_usage_figures_are_kept_for_a_minute_then_counted_again(server: Running) -> None:
    server.member("ana")
    server.clock.advance(1)
    assert users(server)[0] == 1
    server.member("ben")
    server.clock.advance(30)
    assert users(server)[0] == 1  # counted a moment ago: the kept figures
    server.clock.advance(31)
    assert users(server)[0] == 2
