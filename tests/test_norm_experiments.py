"""Root Ana tries a longer stranger-reply pause on a random half of members for two
weeks, watches both halves, then adopts it for everyone or drops it."""

from __future__ import annotations

import pytest
from sqlmodel import col, select
from starlette.applications import Starlette

from server.models import CareEvent, CareKind, NormExperiment, Post
from server.services import accounts, experiment_arms, experiments, norms
from server.services.errors import Conflict, Invalid, NotFound, ServiceError
from tests.conftest import Person, client_for, publish_due, sign_up
from tests.test_exactly_once import bearer

PAUSE = "pause.stranger_reply_seconds"  # 20 s in the tests' settings


async def start(app: Starlette, clock, value: object = 90, days: object = 14, name: str = PAUSE):  # type: ignore[no-untyped-def]
    async with app.state.sessions() as session:
        return await experiments.start(
            session,
            app.state.settings,
            name,
            value,
            days=days,
            reason="Do replies to strangers land better after a minute and a half?",
            actor_id=None,
            now=clock.now(),
        )


async def decide(app: Starlette, clock, experiment_id: int, adopt: bool) -> NormExperiment:  # type: ignore[no-untyped-def]
    async with app.state.sessions() as session:
        return await experiments.decide(
            session,
            app.state.settings,
            experiment_id,
            adopt,
            reason="Seen the figures",
            actor_id=None,
            now=clock.now(),
        )


async def actor_id_of(app: Starlette, username: str) -> int:
    async with app.state.sessions() as session:
        actor = await accounts.local_actor(session, username)
    assert actor.id is not None
    return actor.id


async def one_in_each_arm(app: Starlette, salt: str) -> dict[str, Person]:
    """Members signed up until one is in each arm (a fair coin: two or three, usually)."""
    found: dict[str, Person] = {}
    for n in range(40):
        person = await sign_up(client_for(app), f"member{n}")
        arm = experiment_arms.arm_of(salt, await actor_id_of(app, person.name))
        if arm in found:
            await person.client.aclose()
            continue
        found[arm] = person
        if len(found) == 2:
            return found
    raise AssertionError("forty members all in one arm")


async def reply_pause(app: Starlette, person: Person, parent_id: int) -> tuple[float, str]:
    """How long `person`'s reply waits, and the arm on its pause's care event."""
    reply_id = await person.post("Welcome to the street!", reply_to=parent_id)
    async with app.state.sessions() as session:
        reply = await session.get(Post, reply_id)
        assert reply is not None
        event = (
            await session.exec(
                select(CareEvent).where(
                    CareEvent.kind == CareKind.pause, col(CareEvent.reply_id) == reply_id
                )
            )
        ).one()
    return (reply.publish_at - reply.created_at).total_seconds(), event.arm


def test_arms_are_about_half_and_stable() -> None:
    for salt in ("a fixed salt", "another one"):
        arms = [experiment_arms.arm_of(salt, actor_id) for actor_id in range(1, 401)]
        assert 160 <= arms.count("new") <= 240  # 200 ± 4 standard deviations
        assert arms == [experiment_arms.arm_of(salt, actor_id) for actor_id in range(1, 401)]
    one = [experiment_arms.arm_of("a fixed salt", i) for i in range(1, 401)]
    other = [experiment_arms.arm_of("another one", i) for i in range(1, 401)]
    assert one != other  # each experiment draws its own halves
    assert experiment_arms.label(12, "new") == "x12:new"


async def test_half_of_members_wait_longer_before_replying_to_a_stranger(
    app, clock, people
) -> None:
    ana, ben = people["ana"], people["ben"]
    question = await ana.post("New on Elm Street: hello!")
    await publish_due(app, clock, 31)
    # Root Ana tries 90 s instead of 20 s on a random half of members for 14 days.
    experiment = await start(app, clock)
    arms = await one_in_each_arm(app, experiment.salt)
    # The composer tells each member their own pause before they write,
    assert "2 minutes" in (await arms["new"].client.get(f"/compose?reply_to={question}")).text
    assert "20 seconds" in (await arms["old"].client.get(f"/compose?reply_to={question}")).text
    # and a member in arm "new" replying to a stranger waits 90 s; one in arm "old", 20 s.
    assert await reply_pause(app, arms["new"], question) == (90, f"x{experiment.id}:new")
    assert await reply_pause(app, arms["old"], question) == (20, f"x{experiment.id}:old")
    # Fourteen days on, nobody is decided yet: everyone has the old value again.
    clock.advance(14 * 86400)
    greeting = await ben.post("Ben here, also new")
    await publish_due(app, clock, 31)
    assert await reply_pause(app, arms["new"], greeting) == (20, "")
    assert await reply_pause(app, arms["old"], greeting) == (20, "")
    for person in arms.values():
        await person.client.aclose()


async def test_a_reply_from_an_app_follows_the_members_arm(app, clock, people) -> None:
    question = await people["ana"].post("Who has a ladder?")
    await publish_due(app, clock, 31)
    experiment = await start(app, clock)
    arms = await one_in_each_arm(app, experiment.salt)
    for arm, wait in (("new", 90), ("old", 20)):
        async with await bearer(app, arms[arm].name, clock) as client:
            answer = await client.post(
                "/api/v1/statuses", data={"status": "I do", "in_reply_to_id": str(question)}
            )
        assert answer.status_code == 200, answer.text
        async with app.state.sessions() as session:
            reply = await session.get(Post, int(answer.json()["id"]))
        assert reply is not None
        assert (reply.publish_at - reply.created_at).total_seconds() == wait, arm
        await arms[arm].client.aclose()


async def test_adopting_sets_the_norm_for_everyone_with_its_history(app, clock) -> None:
    experiment = await start(app, clock)
    assert experiment.id is not None
    clock.advance(3 * 86400)  # an admin may decide before the days are over
    done = await decide(app, clock, experiment.id, adopt=True)
    assert done.decision == "adopted" and done.decided_at == clock.now()
    async with app.state.sessions() as session:
        found = await norms.current(session, app.state.settings)
        assert found[PAUSE] == 90 and found.experiment is None
        assert found.for_member(1, clock.now())[PAUSE] == 90
        assert found.for_member(2, clock.now())[PAUSE] == 90
        rows = await norms.history(session)
    assert [(r.old_value, r.new_value, r.experiment_id) for r in rows] == [
        (20, 90, experiment.id),
        (20, 90, experiment.id),
    ]
    assert rows[0].reason == "Experiment adopted for everyone. Seen the figures"
    assert rows[1].reason.startswith("Experiment: half of members for 14 days. Do replies")


async def test_dropping_keeps_the_old_value_with_a_history_row(app, clock) -> None:
    experiment = await start(app, clock)
    assert experiment.id is not None
    done = await decide(app, clock, experiment.id, adopt=False)
    assert done.decision == "dropped"
    async with app.state.sessions() as session:
        found = await norms.current(session, app.state.settings)
        assert found[PAUSE] == 20 and PAUSE not in found.changed and found.experiment is None
        assert {found.for_member(i, clock.now())[PAUSE] for i in range(1, 20)} == {20}
        rows = await norms.history(session)
    assert [(r.old_value, r.new_value, r.experiment_id) for r in rows[:1]] == [
        (20, 20, experiment.id)
    ]
    assert rows[0].reason.startswith("Experiment dropped: the value stays for everyone.")
    # A new experiment may start once the last is decided.
    assert (await start(app, clock, value=45)).id != experiment.id


@pytest.mark.parametrize(
    ("name", "value", "days", "error", "message"),
    [
        ("pause.forever", "90", 14, NotFound, "There is no norm called pause.forever."),
        ("registrations.mode", "closed", 14, Invalid, "applies to everyone at once"),
        (PAUSE, "20", 14, Invalid, "is already 20"),
        (PAUSE, "soon", 14, Invalid, "must be a whole number"),
        (PAUSE, "-5", 14, Invalid, "between 0 and"),
        (PAUSE, "90", 0, Invalid, "from 1 to 90 days, not 0"),
        (PAUSE, "90", 91, Invalid, "from 1 to 90 days, not 91"),
        (PAUSE, "90", "a fortnight", Invalid, "Days must be a whole number"),
    ],
)
async def test_an_experiment_that_cannot_run_is_refused_and_nothing_changes(
    app, clock, name: str, value: str, days: object, error: type[ServiceError], message: str
) -> None:
    with pytest.raises(error) as refused:
        await start(app, clock, value=value, days=days, name=name)
    assert message in refused.value.message
    assert 400 <= refused.value.status < 500
    async with app.state.sessions() as session:
        assert await experiments.undecided(session) is None
        assert await norms.history(session) == []


async def test_an_experiment_runs_no_longer_than_its_moments_are_kept(app, clock) -> None:
    async with app.state.sessions() as session:
        await norms.change(
            session,
            app.state.settings,
            "outcomes.keep_days",
            30,
            reason="Keep less",
            actor_id=None,
            now=clock.now(),
        )
    # Kept 30 days: the last follow-ups and a week to decide leave 16 days to run.
    with pytest.raises(Invalid, match="at most 16 days here") as refused:
        await start(app, clock, days=17)
    assert refused.value.field == "days"
    assert (await start(app, clock, days=16)).id is not None
    # While it is undecided, its moments are not kept for less than it needs.
    async with app.state.sessions() as session:
        with pytest.raises(Conflict, match="needs its moments kept 30 days"):
            await norms.change(
                session,
                app.state.settings,
                "outcomes.keep_days",
                29,
                reason="",
                actor_id=None,
                now=clock.now(),
            )


async def test_two_admins_starting_at_the_same_moment_get_one_experiment(
    app, clock, monkeypatch
) -> None:
    # Both checked that none was undecided before either wrote (the check is made to
    # answer as it did then); the second to write is refused by the database.
    async def none_yet(session: object) -> None:
        return None

    monkeypatch.setattr(experiments, "undecided", none_yet)
    async with app.state.sessions() as first, app.state.sessions() as second:
        first.add(
            NormExperiment(name=PAUSE, old_value=20, new_value=90, salt="a", ends_at=clock.now())
        )
        await first.commit()
        with pytest.raises(Conflict, match="Another experiment started just now"):
            await experiments.start(
                second,
                app.state.settings,
                "pause.post_seconds",
                60,
                days=7,
                reason="",
                actor_id=None,
                now=clock.now(),
            )
    async with app.state.sessions() as session:
        rows = (await session.exec(select(NormExperiment))).all()
    assert [(r.name, r.undecided) for r in rows] == [(PAUSE, True)]
    # Once decided, its place is free again.
    monkeypatch.undo()
    assert rows[0].id is not None
    await decide(app, clock, rows[0].id, adopt=False)
    assert (await start(app, clock, name="pause.post_seconds", value=60)).undecided is True


async def test_one_experiment_at_a_time_and_each_decided_once(app, clock) -> None:
    first = await start(app, clock)
    assert first.id is not None
    with pytest.raises(Conflict) as second:
        await start(app, clock, name="pause.post_seconds", value=60)
    assert f"“Pause before a first reply to a stranger” (experiment {first.id})" in (
        second.value.message
    )
    assert "Adopt it or drop it first" in second.value.message
    # While it is undecided, the tried norm changes for everyone only by adopting it.
    async with app.state.sessions() as session:
        with pytest.raises(Conflict, match="being tried on half of members"):
            await norms.change(
                session, app.state.settings, PAUSE, 30, reason="", actor_id=None, now=clock.now()
            )
    # Ended but undecided still holds the place: the admins have a decision to make.
    clock.advance(15 * 86400)
    with pytest.raises(Conflict):
        await start(app, clock, name="pause.post_seconds", value=60)
    await decide(app, clock, first.id, adopt=False)
    with pytest.raises(Conflict, match="already dropped"):
        await decide(app, clock, first.id, adopt=True)
    with pytest.raises(NotFound, match="no norm experiment 999"):
        await decide(app, clock, 999, adopt=True)
    async with app.state.sessions() as session:
        found = await norms.current(session, app.state.settings)
    assert found[PAUSE] == 20


async def test_the_about_page_says_what_is_being_tried_while_it_runs(app, clock, visitor) -> None:
    assert "A change being tried" not in (await visitor.get("/about")).text
    await start(app, clock, days=7)
    about = (await visitor.get("/about")).text
    assert "A change being tried" in about
    assert "half of members, chosen at random, have 90 seconds instead of 20 seconds" in about, (
        about
    )
    clock.advance(8 * 86400)  # over: everyone has the old value until the admins decide
    assert "A change being tried" not in (await visitor.get("/about")).text
