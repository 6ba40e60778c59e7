"""Root Ana tries a norm on half of members from the norms console and the command line,
and every process hears it; the rules are tested in tests/test_norm_experiments.py."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from starlette.applications import Starlette

from server import norms_kept
from server.services import experiments, norms
from tests.conftest import csrf_from
from tests.test_admin import make_admin
from tests.test_cli import last_line, porch
from tests.test_norm_experiments import PAUSE, decide, start


async def try_form(admin, **fields: str):  # type: ignore[no-untyped-def]
    """Root Ana sends the "Try on half of members" form of the pauses section."""
    token = await csrf_from(admin, "/admin/norms")
    data = {"name": PAUSE, "value": "90", "days": "14", "reason": "", **fields}
    return await admin.post("/admin/norms/experiments", data={**data, "csrf_token": token})


async def test_the_console_starts_shows_and_decides_an_experiment(app, clock) -> None:
    admin = await make_admin(app, clock)
    pauses = (await admin.get("/admin/norms")).text
    assert 'id="try-pause.stranger_reply_seconds"' in pauses
    assert 'name="days" inputmode="numeric" value="14"' in pauses
    # Moments are kept 90 days: a week of follow-ups and a week to decide leave 76.
    assert 'For how many days <span class="optional">(1 to 76)</span>' in pauses
    budgets = (await admin.get("/admin/norms?section=budgets")).text
    assert "Try on half of members" not in budgets  # shared by everyone at once
    started = await try_form(admin, reason="Kinder first replies?")
    assert started.status_code == 303
    assert started.headers["location"] == "/admin/norms?section=pauses#experiment"
    page = (await admin.get("/admin/norms")).text
    assert "Trying “Pause before a first reply to a stranger” on half of members" in page
    panel = page[page.index('id="experiment"') : page.index("How this community works")]
    assert "Pause before a first reply to a stranger" in panel
    assert "<strong>90 seconds</strong>" in panel and "<strong>20 seconds</strong>" in panel
    assert "(14 days left)" in panel and 'href="/admin/dashboard#experiments"' in panel
    assert 'value="adopt">Adopt for everyone' in panel and 'value="drop"' in panel
    assert "Try on half of members" not in page  # one at a time
    clock.advance(14 * 86400)
    page = (await admin.get("/admin/norms")).text
    assert "waiting for your decision: until you decide, everyone has 20 seconds" in page
    async with app.state.sessions() as session:
        experiment = await experiments.undecided(session)
    assert experiment is not None
    token = await csrf_from(admin, "/admin/norms")
    adopted = await admin.post(
        f"/admin/norms/experiments/{experiment.id}",
        data={"decision": "adopt", "reason": "Fewer blocks", "csrf_token": token},
    )
    assert adopted.status_code == 303
    history = (await admin.get("/admin/norms/history")).text
    assert history.count(f"Experiment {experiment.id}</strong>") == 2
    assert "Experiment adopted for everyone. Fewer blocks" in history
    twice = await admin.post(
        f"/admin/norms/experiments/{experiment.id}",
        data={"decision": "drop", "csrf_token": token},
    )
    assert twice.status_code == 409 and "already adopted" in twice.text
    await admin.aclose()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"days": "0"}, "An experiment runs from 1 to 90 days, not 0."),
        ({"value": "20"}, "is already 20: try a different value."),
        ({"value": "soon"}, "must be a whole number"),
        ({"name": "posts.max_chars", "value": "300"}, "applies to everyone at once"),
    ],
)
async def test_a_refused_experiment_shows_the_form_again_and_changes_nothing(
    app, clock, fields: dict[str, str], message: str
) -> None:
    admin = await make_admin(app, clock)
    refused = await try_form(admin, reason="Kinder first replies?", **fields)
    assert refused.status_code == 422
    assert message in refused.text and "Nothing changed." in refused.text
    if fields.get("name") is None:  # the form is open again with what was typed
        assert 'value="Kinder first replies?"' in refused.text
        assert '<details class="try" open>' in refused.text
        field = 'aria-invalid="true" aria-describedby="try-error-pause.stranger_reply_seconds"'
        assert field in refused.text
    async with app.state.sessions() as session:
        assert await experiments.undecided(session) is None
        assert await norms.history(session) == []
    await admin.aclose()


async def test_members_cannot_start_or_decide_and_forms_need_their_token(
    app, clock, people
) -> None:
    ana = people["ana"]
    token = await ana.token()
    data = {"name": PAUSE, "value": "90", "days": "14", "csrf_token": token}
    assert (await ana.client.post("/admin/norms/experiments", data=data)).status_code == 403
    experiment = await start(app, clock)
    decided = await ana.client.post(
        f"/admin/norms/experiments/{experiment.id}", data={"decision": "adopt", "csrf_token": token}
    )
    assert decided.status_code == 403
    admin = await make_admin(app, clock)
    forged = await admin.post(
        f"/admin/norms/experiments/{experiment.id}", data={"decision": "adopt"}
    )
    assert forged.status_code == 403
    token = await csrf_from(admin, "/admin/norms")
    unknown = await admin.post(
        "/admin/norms/experiments/999", data={"decision": "adopt", "csrf_token": token}
    )
    assert unknown.status_code == 404 and "There is no norm experiment 999." in unknown.text
    neither = await admin.post(
        f"/admin/norms/experiments/{experiment.id}", data={"decision": "", "csrf_token": token}
    )
    assert neither.status_code == 422
    async with app.state.sessions() as session:
        found = await norms.current(session, app.state.settings)
    assert found[PAUSE] == 20 and found.experiment is not None
    await admin.aclose()


def test_an_operator_tries_and_drops_a_norm_from_the_command_line(
    tmp_path: Path, sqlite_template: Path
) -> None:
    shutil.copy(sqlite_template, tmp_path / "porch.db")
    refused = porch(tmp_path, "norms", "try", "posts.max_chars", "300")
    assert refused.returncode == 2 and "applies to everyone at once" in last_line(refused)
    too_long = porch(tmp_path, "norms", "try", PAUSE, "90", "--days", "120")
    assert last_line(too_long) == "porch: An experiment runs from 1 to 90 days, not 120."
    started = porch(tmp_path, "norms", "try", PAUSE, "90", "--days", "7", "--reason", "Kinder?")
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith(f"Experiment 1: half of members have {PAUSE} = 90")
    busy = porch(tmp_path, "norms", "set", PAUSE, "30")
    assert "is being tried on half of members (experiment 1)" in last_line(busy)
    dropped = porch(tmp_path, "norms", "drop", "1", "--reason", "No difference")
    assert dropped.stdout.strip() == f"Experiment 1 dropped: {PAUSE} is 60 for everyone."
    again = porch(tmp_path, "norms", "adopt", "1")
    assert again.returncode == 2 and "already dropped" in last_line(again)
    history = porch(tmp_path, "norms", "history").stdout
    assert "Experiment dropped: the value stays for everyone. No difference" in history
    assert "Experiment: half of members for 7 days. Kinder?" in history


async def test_every_process_hears_an_experiment_start_and_its_decision(
    two_processes: tuple[Starlette, Starlette], clock
) -> None:
    one, two = two_processes

    async def kept_on_two() -> norms.Norms:
        async with two.state.sessions() as session:
            return await norms_kept.in_force(two.state, session)

    assert (await kept_on_two()).experiment is None  # read, and kept until a change
    with two.state.bus.listen() as heard_on_two:
        await start(one, clock)  # an admin on the first process
        await asyncio.wait_for(heard_on_two.get(), 5)
    running = (await kept_on_two()).experiment
    assert running is not None and running.new_value == 90
    with two.state.bus.listen() as heard_on_two:
        await decide(one, clock, running.id, adopt=False)
        await asyncio.wait_for(heard_on_two.get(), 5)
    assert (await kept_on_two()).experiment is None


async def test_restoring_the_defaults_leaves_the_tried_norm_to_its_decision(app, clock) -> None:
    async with app.state.sessions() as session:
        for name, value in ((PAUSE, 30), ("pause.post_seconds", 45)):
            await norms.change(
                session, app.state.settings, name, value, reason="", actor_id=None, now=clock.now()
            )
    experiment = await start(app, clock)
    admin = await make_admin(app, clock)
    asked = (await admin.get("/admin/norms/restore")).text
    assert "Pause before a post" in asked
    assert "Pause before a first reply to a stranger" not in asked
    await admin.aclose()
    async with app.state.sessions() as session:
        restored = await norms.restore_defaults(
            session, app.state.settings, reason="Start over", actor_id=None, now=clock.now()
        )
        found = await norms.current(session, app.state.settings)
    assert restored == ["pause.post_seconds"]
    assert found[PAUSE] == 30 and found.experiment is not None
    assert found.experiment.id == experiment.id
