"""What followed each reply a moment of care touched, filled in by the worker once its
windows have passed: answered within 48 hours, blocked, muted or reported within 7 days,
the thread slowed, the reply hidden, and whether a nudged reply's words still trip the
check. Computed once, in a fixed number of statements."""

from __future__ import annotations

from sqlmodel import col, select
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.models import CareEvent, CareKind
from server.services import accounts, blocks, care_upkeep, follow_ups, mutes, reports
from tests.conftest import csrf_from, publish_due
from tests.statements import statements
from tests.test_care_moments import two_nudged_replies

DAY = 24 * 3600.0


async def upkeep(app: Starlette, clock: FrozenClock) -> care_upkeep.Upkeep:
    """The worker's periodic care run, now."""
    async with app.state.sessions() as session:
        return await care_upkeep.run(session, app.state.settings, clock.now())


async def of_reply(app: Starlette, reply_id: int, kind: CareKind = CareKind.pause) -> CareEvent:
    async with app.state.sessions() as session:
        found = await session.exec(
            select(CareEvent).where(CareEvent.reply_id == reply_id, CareEvent.kind == kind)
        )
        return found.one()


def row(event: CareEvent) -> tuple[object, ...]:
    return (event.outcome, event.followed_up_at, event.still_flagged, *followed(event))


def followed(event: CareEvent) -> tuple[bool | None, ...]:
    return (event.answered, event.turned_away, event.slowed, event.hidden)


async def quiet(app: Starlette, clock: FrozenClock, who: str, whom: str, how: str) -> None:
    """`who` blocks, mutes or reports `whom`, now."""
    async with app.state.sessions() as session:
        actor = await accounts.actor_by_handle(session, who)
        target = await accounts.actor_by_handle(session, whom)
        assert actor.id is not None and target.id is not None
        if how == "block":
            await blocks.block(session, actor, target, clock.now())
        elif how == "mute":
            await mutes.mute(session, actor, target, clock.now())
        else:
            await reports.file(
                session,
                app.state.settings,
                reporter_id=actor.id,
                target_id=target.id,
                comment="Unkind again",
                now=clock.now(),
            )


async def test_what_followed_each_reply_is_filled_in_once_a_week_has_passed(
    app, clock, people
) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    question = await ana.post("Who has a ladder?")
    await publish_due(app, clock, 31)
    # Ben and Cleo reply; Ana answers Ben within the hour,
    bens = await ben.post("I do, come by", reply_to=question)
    cleos = await cleo.post("Buy your own ladder", reply_to=question)
    await publish_due(app, clock, 60)
    anas = await ana.post("Thank you Ben!", reply_to=bens)
    await publish_due(app, clock, 3600)
    # and on the third day she mutes Cleo and hides Cleo's reply from her thread.
    await publish_due(app, clock, 2 * DAY)
    await quiet(app, clock, "ana", "cleo", "mute")
    token = await csrf_from(ana.client, f"/@ana/{question}")
    hidden = await ana.client.post(f"/posts/{cleos}/hide", data={"csrf_token": token})
    assert hidden.status_code == 303

    # On the sixth day the week is not over: nothing is filled in yet.
    await publish_due(app, clock, 3 * DAY)  # the worker's sweeps run, as they would
    assert (await upkeep(app, clock)).followed_up == 0
    assert (await of_reply(app, bens)).followed_up_at is None

    # After the week, everything is.
    clock.advance(2 * DAY)
    assert (await upkeep(app, clock)).followed_up == 4
    assert followed(await of_reply(app, bens)) == (True, False, False, False)
    assert followed(await of_reply(app, cleos)) == (False, True, False, True)
    assert followed(await of_reply(app, anas)) == (False, False, False, False)
    # A post that answers nobody has nothing to follow; it is settled all the same.
    top = await of_reply(app, question)
    assert top.followed_up_at is not None and followed(top) == (None, None, None, None)

    # Running again changes nothing and settles nothing.
    before = [row(await of_reply(app, r)) for r in (question, bens, cleos, anas)]
    await publish_due(app, clock, DAY)
    assert (await upkeep(app, clock)).followed_up == 0
    after = [row(await of_reply(app, r)) for r in (question, bens, cleos, anas)]
    assert after == before


async def test_only_what_falls_inside_the_windows_counts(app, clock, people) -> None:
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    question = await ana.post("Street party on Sunday?")
    await publish_due(app, clock, 31)
    late = await ben.post("Yes please", reply_to=question)
    reported = await cleo.post("Nobody wants that", reply_to=question)
    await publish_due(app, clock, 60)
    # Ana slows her thread on the second day, reports Cleo on the sixth,
    await publish_due(app, clock, DAY)
    token = await csrf_from(ana.client, f"/@ana/{question}")
    await ana.client.post(f"/threads/{question}/slow_mode", data={"on": "on", "csrf_token": token})
    await publish_due(app, clock, 4 * DAY)
    await quiet(app, clock, "ana", "cleo", "report")
    # answers Ben only on the sixth day (too late to count), and blocks him on the ninth.
    await ana.post("Sorry for the slow answer, Ben", reply_to=late)
    await publish_due(app, clock, 3 * DAY)
    await quiet(app, clock, "ana", "ben", "block")
    await upkeep(app, clock)
    assert followed(await of_reply(app, late)) == (False, False, True, False)
    assert followed(await of_reply(app, reported)) == (False, True, True, False)


async def test_a_nudged_reply_is_checked_as_it_went_out(app, clock, people) -> None:
    _, kinder, _, harsh = await two_nudged_replies(app, clock, people)
    await publish_due(app, clock, 8 * DAY)
    assert (await of_reply(app, kinder, CareKind.tone_nudge)).still_flagged is False
    assert (await of_reply(app, harsh, CareKind.tone_nudge)).still_flagged is True
    # The pause of the same replies is not a nudge: not checked.
    assert (await of_reply(app, harsh)).still_flagged is None


async def test_following_up_many_replies_takes_as_many_statements_as_a_few(
    app, clock, people
) -> None:
    ana, ben = people["ana"], people["ben"]
    question = await ana.post("Tell me your favourite tree")
    await publish_due(app, clock, 31)
    await publish_due(app, clock, 8 * DAY)  # the question's own pause is settled first

    async def replies(count: int) -> list[str]:
        for n in range(count):
            await ben.post(f"Tree number {n}", reply_to=question)
            clock.advance(150)  # the thread runs hot: slow mode lets Ben in every 2 minutes
        await publish_due(app, clock, 60)
        clock.advance(8 * DAY)  # the worker has not looked yet
        with statements(app.state.engine) as seen:
            async with app.state.sessions() as session:
                await follow_ups.follow_up(session, (), clock.now())
        return seen

    few = await replies(2)
    many = await replies(12)
    assert len(few) == len(many), many
    async with app.state.sessions() as session:
        open_ = await session.exec(
            select(CareEvent.id).where(
                col(CareEvent.reply_id).is_not(None), col(CareEvent.followed_up_at).is_(None)
            )
        )
        assert open_.all() == []
