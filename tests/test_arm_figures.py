"""Holdouts and norm experiments on the dashboard: both arms side by side, each with its
95 % interval, the difference with its own, the verdict in words, and never an arm of
fewer than ten different members."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import (
    Actor,
    CareEvent,
    CareKind,
    Member,
    NormExperiment,
    Post,
    PostState,
    ReplyWelcome,
)
from server.services.experiment_arms import HOLDOUT, SHOWN, arm_of, label
from server.services.intervals import clustered_difference, newcombe, verdict
from tests.test_admin import make_admin
from tests.test_dashboard import Tables

TODAY = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
SALT = "a-fixed-salt-for-the-tests"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(TODAY)


async def members(app: Starlette, count: int, *, local: bool = False, tag: str = "m") -> list[int]:
    async with app.state.sessions() as session:
        domain = None if local else "far.example"
        made = [
            Actor(
                username=f"{tag}{n}",
                domain=domain,
                acct_key=f"{tag}{n}" if local else f"{tag}{n}@far.example",
            )
            for n in range(count)
        ]
        session.add_all(made)
        await session.flush()
        if local:  # members in good standing, who signed up before the experiment
            for actor in made:
                assert actor.id is not None
                session.add(
                    Member(
                        actor_id=actor.id,
                        email=f"{actor.username}@example.com",
                        password_hash="-",
                        created_at=TODAY - timedelta(days=60),
                    )
                )
        await session.commit()
        return [m.id for m in made if m.id is not None]


async def moments(
    app: Starlette, kind: CareKind, arm: str, people: list[int], answers: list[bool], **more: object
) -> None:
    """One followed-up reply moment per answer, by each person in turn, yesterday."""
    async with app.state.sessions() as session:
        for n, answered in enumerate(answers):
            session.add(
                CareEvent(
                    kind=kind,
                    detail="stranger" if kind == CareKind.card else "reply",
                    arm=arm,
                    actor_id=people[n % len(people)],
                    reply_id=None,
                    answered=answered,
                    turned_away=False,
                    hidden=False,
                    followed_up_at=TODAY,
                    created_at=TODAY - timedelta(days=1),
                    **more,
                )
            )
        await session.commit()


async def dashboard(
    app: Starlette, clock: FrozenClock, admin_name: str = "root_ana"
) -> tuple[str, dict[str, list[list[str]]]]:
    admin = await make_admin(app, clock, admin_name)
    page = (await admin.get("/admin/dashboard")).text
    await admin.aclose()
    return page, Tables(page).found


def rows_of(table: list[list[str]]) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in table if row and row[0] != "Measure"}


async def test_holdouts_show_both_arms_and_newcombes_difference(app, clock) -> None:
    ten, other = await members(app, 10), await members(app, 10, tag="o")
    # Shown: 30 of 40 replies answered; held back: 10 of 20.
    await moments(app, CareKind.card, SHOWN, ten, [True] * 30 + [False] * 10)
    await moments(app, CareKind.card, HOLDOUT, other, [True] * 10 + [False] * 10)
    page, tables = await dashboard(app, clock)
    assert "Shown: 40 moments from 10 members; held back: 20 moments from 10 members." in page
    section = page.split('id="holdouts-card"', 1)[1].split("</table>", 1)[0]
    rows = rows_of(Tables(f'<section id="x">{section}').found["x"])
    answered = rows["answered within 48 hours by the person replied to"]
    # Wilson: 30/40 → 59.8–85.8 %, 10/20 → 29.9–70.1 %; Newcombe: +25.0, −0.2 to +47.8.
    assert answered[:2] == ["75% (60–86%), 30 of 40", "50% (30–70%), 10 of 20"]
    assert answered[2] == "+25.0 points (-0.2 to +47.8)"
    assert answered[3] == verdict(newcombe(30, 40, 10, 20))
    assert answered[3].startswith("Within noise")
    turned = rows["replier blocked, muted or reported within 7 days"]
    assert turned[0] == "0 per 1,000 (0–88), 0 of 40"
    # Nudges: nothing held back yet, said in words.
    assert "No tone nudges were held back in these 30 days." in page
    assert 'id="experiments"' in page and "No norm experiment is running" in page
    assert tables["holdouts"][0][0] == "Measure"


async def test_holdouts_count_every_moment_drawn_not_only_the_replies_sent(app, clock) -> None:
    ten, other = await members(app, 10), await members(app, 10, tag="o")
    # Shown: 20 nudged replies went out and were answered; 20 more were given up on
    # (no reply, nine days ago: settled). Held back: every reply goes out; 20 of 40 answered.
    await moments(app, CareKind.tone_nudge, SHOWN, ten, [True] * 20, still_flagged=False)
    async with app.state.sessions() as session:
        for n in range(20):
            session.add(
                CareEvent(
                    kind=CareKind.tone_nudge,
                    arm=SHOWN,
                    actor_id=ten[n % 10],
                    outcome="draft",
                    created_at=TODAY - timedelta(days=9),
                )
            )
        # A moment two days old with no reply yet may still lead to one: not counted.
        session.add(
            CareEvent(
                kind=CareKind.tone_nudge,
                arm=SHOWN,
                actor_id=ten[0],
                created_at=TODAY - timedelta(days=2),
            )
        )
        await session.commit()
    await moments(
        app, CareKind.tone_nudge, HOLDOUT, other, [True] * 20 + [False] * 20, still_flagged=True
    )
    page, _ = await dashboard(app, clock)
    section = page.split('id="holdouts-tone_nudge"', 1)[1].split("</table>", 1)[0]
    rows = rows_of(Tables(f'<section id="x">{section}').found["x"])
    # Of the moments drawn, not of the replies written: 20 of 40 answered in both arms.
    assert rows["a reply was sent"][:2] == ["50% (35–65%), 20 of 40", "100% (91–100%), 40 of 40"]
    answered = rows["answered within 48 hours by the person replied to"]
    assert answered[:2] == ["50% (35–65%), 20 of 40", "50% (35–65%), 20 of 40"]
    assert answered[3].startswith("Within noise")
    # Whether the words still trip the check is of the replies sent.
    assert rows["still trips the tone check as posted"][:2] == [
        "0% (0–16%), 0 of 20",
        "100% (91–100%), 40 of 40",
    ]


async def test_a_holdout_arm_of_nine_members_is_too_few_to_show(app, clock) -> None:
    ten, nine = await members(app, 10), await members(app, 9, tag="n")
    await moments(app, CareKind.tone_nudge, SHOWN, ten, [True] * 30, still_flagged=False)
    await moments(app, CareKind.tone_nudge, HOLDOUT, nine, [False] * 27, still_flagged=True)
    page, _ = await dashboard(app, clock)
    section = page.split('id="holdouts-tone_nudge"', 1)[1].split("</table>", 1)[0]
    assert "held back: too few to show (fewer than 10 members)" in section
    rows = rows_of(Tables(f'<section id="x">{section}').found["x"])
    for row in rows.values():
        assert row[1] == "too few to show" and row[2] == "—"
        assert row[3] == "Not compared: an arm has fewer than 10 members."
    assert "0 of 27" not in section and "27 of 27" not in section


async def test_a_held_back_card_is_never_counted_as_shown_or_answered(app, clock) -> None:
    ten = await members(app, 10)
    await moments(app, CareKind.card, SHOWN, ten, [True] * 10, outcome="didnt_fit")
    await moments(app, CareKind.card, HOLDOUT, ten, [False] * 50)
    page, tables = await dashboard(app, clock)
    # The outcomes table and the cards panel count the ten shown, not the fifty held back.
    outcome_section = page.split('id="outcomes-card"', 1)[1].split("<h3", 1)[0]
    assert "10 from 10 different members." in outcome_section
    assert "Of 10 replies whose windows have passed" in outcome_section
    rows = {row[0]: row[1:] for row in tables["outcomes"] if row}
    assert rows["answered within 48 hours by the person replied to"][0] == "10 of 10"
    assert "10 cards shown; 10 answered" in page
    assert ["Stranger", "10", "10"] in tables["cards"]


async def experiment(app: Starlette, **more: object) -> NormExperiment:
    async with app.state.sessions() as session:
        values: dict[str, object] = {
            "name": "pause.stranger_reply_seconds",
            "old_value": 300,
            "new_value": 600,
            "salt": SALT,
            "started_at": TODAY - timedelta(days=7),
            "ends_at": TODAY + timedelta(days=7),
        }
        found = NormExperiment.model_validate(values | more)
        session.add(found)
        await session.commit()
        await session.refresh(found)
        return found


async def pauses(
    app: Starlette, tried: NormExperiment, people: list[int], per: int
) -> dict[str, list[tuple[int, int]]]:
    """`per` followed-up reply pauses by each person, labelled with their arm: in the new
    arm every member's first reply is answered, in the old arm all but the last. Each
    person's own replies: (answered, replies) per member, by arm."""
    assert tried.id is not None
    groups: dict[str, list[tuple[int, int]]] = {"new": [], "old": []}
    async with app.state.sessions() as session:
        for person in people:
            arm = arm_of(tried.salt, person)
            answered = 1 if arm == "new" else per - 1
            groups[arm].append((answered, per))
            for n in range(per):
                session.add(
                    CareEvent(
                        kind=CareKind.pause,
                        detail="reply",
                        outcome="edited" if n == 0 else "as_written",
                        arm=label(tried.id, arm),
                        actor_id=person,
                        reply_id=person * 100 + n,
                        answered=n < answered,
                        turned_away=False,
                        followed_up_at=TODAY,
                        created_at=TODAY - timedelta(days=3),
                    )
                )
        await session.commit()
    return groups


async def test_an_experiment_shows_both_arms_with_member_clustered_intervals(app, clock) -> None:
    tried = await experiment(app)
    people = await members(app, 40, local=True)
    groups = await pauses(app, tried, people, per=4)
    assert min(len(groups["new"]), len(groups["old"])) >= 10
    # Each member in the new arm answered 1 of the welcome questions about their replies.
    async with app.state.sessions() as session:
        for person in people:
            session.add(ReplyWelcome(post_id=person * 100, actor_id=person, welcome=True))
            session.add(
                Post(
                    id=person * 100 + 50,
                    actor_id=person,
                    root_id=person * 100 + 50,
                    text="hi",
                    content_html="<p>hi</p>",
                    state=PostState.published,
                    publish_at=TODAY - timedelta(days=2),
                    published_at=TODAY - timedelta(days=2),
                )
            )
        await session.commit()
    page, tables = await dashboard(app, clock)
    section = page.split(f'id="experiment-{tried.id}"', 1)[1].split("</table>", 1)[0]
    assert "300 seconds → 600 seconds" in page
    assert "Running: 7 days left" in section
    rows = rows_of(Tables(f'<section id="x">{section}').found["x"])
    answered = rows["answered within 48 hours by the person replied to"]
    new, old = len(groups["new"]), len(groups["old"])
    assert answered[0].endswith(f", {new} of {4 * new}")
    assert answered[1].endswith(f", {3 * old} of {4 * old}")
    found = clustered_difference(groups["new"], groups["old"])
    assert answered[2] == (
        f"{found.estimate * 100:+.1f} points ({found.low * 100:+.1f} to {found.high * 100:+.1f})"
    )
    assert answered[3].startswith("50.0 points lower")
    assert rows["pauses that ended with the post edited"][2].startswith("+0.0 points")
    assert rows["replies the person replied to called welcome"][0].startswith("100% (")
    # Volume: every local member (the admin too) in their arm, one post each in 7 days
    # (the admin none): Welch's interval.
    volume = rows["posts and replies per member a week (guardrail)"]
    assert volume[0].startswith("1.0 (") or volume[1].startswith("1.0 (")
    assert "Adopt or drop an experiment on" in page and 'href="/admin/norms"' in page
    assert tables["experiments"]


async def test_an_experiment_arm_of_fewer_than_ten_members_shows_no_figures(app, clock) -> None:
    tried = await experiment(app)
    people = await members(app, 12, local=True)
    await pauses(app, tried, people, per=3)
    page, _ = await dashboard(app, clock)
    section = page.split(f'id="experiment-{tried.id}"', 1)[1].split("</table>", 1)[0]
    rows = rows_of(Tables(f'<section id="x">{section}').found["x"])
    # Twelve members split in two: neither arm reaches ten for the pause measures.
    answered = rows["answered within 48 hours by the person replied to"]
    assert answered[:3] == ["too few to show", "too few to show", "—"]


async def test_a_decided_experiment_is_shown_a_month_then_no_more(app, clock) -> None:
    tried = await experiment(
        app, decision="adopted", decided_at=TODAY - timedelta(days=2), ends_at=TODAY
    )
    page, _ = await dashboard(app, clock)
    assert f'id="experiment-{tried.id}"' in page and "Adopted." in page
    async with app.state.sessions() as session:
        stored = await session.get(NormExperiment, tried.id)
        assert stored is not None
        stored.decided_at = TODAY - timedelta(days=31)
        session.add(stored)
        await session.commit()
    page, _ = await dashboard(app, clock, "root_ben")
    assert f'id="experiment-{tried.id}"' not in page


async def test_welcome_answers_from_fewer_than_ten_people_are_never_shown(app, clock) -> None:
    tried = await experiment(app)
    people = await members(app, 40, local=True)
    groups = await pauses(app, tried, people, per=2)
    assert min(len(groups["new"]), len(groups["old"])) >= 10
    # Two members answered "was this reply welcome?" about every reply: forty repliers in
    # all, but only two answerers, whose private answers a share would give away.
    async with app.state.sessions() as session:
        for person in people:
            for n in range(2):
                answerer = people[n]
                session.add(
                    ReplyWelcome(post_id=person * 100 + n, actor_id=answerer, welcome=n == 0)
                )
        await session.commit()
    page, _ = await dashboard(app, clock)
    section = page.split(f'id="experiment-{tried.id}"', 1)[1].split("</table>", 1)[0]
    rows = rows_of(Tables(f'<section id="x">{section}').found["x"])
    welcome = rows["replies the person replied to called welcome"]
    assert welcome[:3] == ["too few to show", "too few to show", "—"]
    # The pause measures of the same repliers are shown.
    assert "%" in rows["answered within 48 hours by the person replied to"][0]
