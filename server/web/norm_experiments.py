"""Admins try a norm change on half of members from the norms console, then adopt it for
everyone or drop it (server/services/experiments.py holds the rules)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.ids import MAX_SERIAL_ID
from server.services import experiments, norms
from server.services.errors import Invalid, ServiceError
from server.web.admin import require_admin
from server.web.context import db, flash, now, redirect, settings
from server.web.forms import read_form, text
from server.web.norms_console import console_page, section_of
from server.web.params import path_id


async def start(request: Request) -> Response:
    """POST /admin/norms/experiments: start trying a value on half of members; a refusal
    shows the console again with the message above the form, and nothing changes."""
    form = await read_form(request)
    typed = {key: text(form, key) for key in ("name", "value", "days", "reason")}
    async with db(request) as session:
        me = await require_admin(request, session)
        try:
            experiment = await experiments.start(
                session,
                settings(request),
                typed["name"],
                typed["value"],
                days=typed["days"] or experiments.DEFAULT_DAYS,
                reason=typed["reason"],
                actor_id=me.actor_id,
                now=now(request),
            )
        except ServiceError as error:
            section = section_of(typed["name"])
            return await console_page(request, session, me, section, error=error, trying=typed)
        label = norms.norm(experiment.name).label
        flash(request, f"Trying “{label}” on half of members until {experiment.ends_at:%d %b}.")
        return redirect(f"/admin/norms?section={section_of(experiment.name)}#experiment")


async def decide(request: Request) -> Response:
    """POST /admin/norms/experiments/{experiment_id}: adopt it for everyone or drop it."""
    form = await read_form(request)
    experiment_id = path_id(request, "experiment_id", most=MAX_SERIAL_ID)
    choice = text(form, "decision")
    async with db(request) as session:
        me = await require_admin(request, session)
        try:
            if choice not in ("adopt", "drop"):
                raise Invalid("Choose to adopt the experiment or to drop it.")
            experiment = await experiments.decide(
                session,
                settings(request),
                experiment_id,
                choice == "adopt",
                reason=text(form, "reason"),
                actor_id=me.actor_id,
                now=now(request),
            )
        except ServiceError as error:
            return await console_page(request, session, me, section_of(""), error=error, trying={})
        label = norms.norm(experiment.name).label
        done = "now applies to everyone" if choice == "adopt" else "keeps its value for everyone"
        flash(request, f"“{label}” {done}; the experiment is {experiment.decision}.")
        return redirect(f"/admin/norms?section={section_of(experiment.name)}")
