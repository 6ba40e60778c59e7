"""The admins' norms console: one section of norms at a time under a table of contents,
a refused value shown first with its field focused, and restoring every default only
after a confirmation that works without JavaScript."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from server.models import NormExperiment
from server.services import experiments, norms
from server.services.accounts import Signed
from server.services.errors import ServiceError
from server.web.admin import require_admin
from server.web.context import community_norms, db, flash, now, redirect, render, settings
from server.web.forms import read_form, text


def slug(group: str) -> str:
    """The section's address: "Pile-on shield" → "pile-on-shield"."""
    return re.sub(r"[^a-z0-9]+", "-", group.lower()).strip("-")


#: The sections in the registry's order, by address.
SECTIONS: dict[str, str] = {}
for _item in norms.REGISTRY:
    SECTIONS.setdefault(slug(_item.group), _item.group)


def _differing(found: norms.Norms, request: Request) -> set[str]:
    """The norms whose value in force is not their default (a row may hold the default)."""
    return {
        item.name
        for item in norms.REGISTRY
        if found[item.name] != item.default_for(settings(request))
    }


def section_of(name: str) -> str:
    known = norms.BY_NAME.get(name)
    return slug(known.group) if known else next(iter(SECTIONS))


def _panel(experiment: NormExperiment, at: datetime) -> dict[str, Any]:
    """The undecided experiment as the console shows it: which norm, from what to what,
    and how long it still runs ("ended" once members are no longer split)."""
    known = norms.BY_NAME.get(experiment.name)

    def shown(value: Any) -> str:
        return known.said(value) if known else str(value)

    left = (experiment.ends_at - at).total_seconds()
    return {
        "row": experiment,
        "label": known.label if known else experiment.name,
        "old": shown(experiment.old_value),
        "new": shown(experiment.new_value),
        "ended": at >= experiment.ends_at,
        "days_left": math.ceil(left / 86400),
    }


async def norms_page(request: Request) -> Response:
    """GET /admin/norms?section=: the table of contents and one section's norms."""
    wanted = request.query_params.get("section", "")
    async with db(request) as session:
        me = await require_admin(request, session)
        section = wanted if wanted in SECTIONS else next(iter(SECTIONS))
        return await console_page(request, session, me, section)


async def console_page(
    request: Request,
    session: AsyncSession,
    me: Signed,
    section: str,
    *,
    error: ServiceError | None = None,
    typed: dict[str, str] | None = None,
    trying: dict[str, str] | None = None,
) -> Response:
    """The console at `section`; `error` is shown first, for the norm's own form or (with
    `trying`, what was typed) for the form that tries a norm on half of members."""
    found = await community_norms(request, session)
    running = await experiments.undecided(session)
    differing = _differing(found, request)
    group = SECTIONS[section]
    items = [
        {
            "norm": item,
            "value": (typed or {}).get(item.name, item.show(found[item.name])),
            "default": item.show(item.default_for(settings(request))),
            "changed": item.name in found.changed,
            "triable": experiments.triable(item.name),
        }
        for item in norms.REGISTRY
        if item.group == group
    ]
    toc = [
        {
            "slug": key,
            "group": name,
            "count": sum(1 for n in norms.REGISTRY if n.group == name),
            "changed": sum(1 for n in norms.REGISTRY if n.group == name and n.name in differing),
        }
        for key, name in SECTIONS.items()
    ]
    context = {
        "section": section,
        "group": group,
        "items": items,
        "toc": toc,
        "changed": len(differing),
        "error": None if trying is not None else error,
        "experiment": _panel(running, now(request)) if running else None,
        "trying": trying,
        "trying_error": error if trying is not None else None,
        "default_days": experiments.DEFAULT_DAYS,
        "most_days": experiments.longest_days(found),
    }
    status = error.status if error else 200
    return await render(request, session, "admin_norms.html", context, status=status, me=me)


async def set_norm(request: Request) -> Response:
    """POST /admin/norms: change one norm; a refused value keeps the old one and the
    section is shown again with the error first."""
    form = await read_form(request)
    name, value, reason = text(form, "name"), text(form, "value"), text(form, "reason")
    async with db(request) as session:
        me = await require_admin(request, session)
        try:
            await norms.change(
                session,
                settings(request),
                name,
                value,
                reason=reason,
                actor_id=me.actor_id,
                now=now(request),
            )
        except ServiceError as error:
            section = section_of(name)
            return await console_page(
                request, session, me, section, error=error, typed={name: value}
            )
        flash(request, f"Saved “{norms.norm(name).label}”; it applies from now on.")
        return redirect(f"/admin/norms?section={section_of(name)}#{name}")


async def restore_page(request: Request) -> Response:
    """GET /admin/norms/restore: what restoring every default would change, to confirm."""
    async with db(request) as session:
        me = await require_admin(request, session)
        return await _confirm(request, session, me)


async def _confirm(
    request: Request, session: AsyncSession, me: Signed, reason: str = ""
) -> Response:
    found = await community_norms(request, session)
    differing = _differing(found, request)
    changed = [
        {
            "norm": item,
            "value": item.show(found[item.name]).replace("\n", " · "),
            "default": item.show(item.default_for(settings(request))).replace("\n", " · "),
        }
        for item in norms.REGISTRY
        # A norm tried in an experiment waits for its decision (norms.restore_defaults).
        if item.name in differing and not (found.experiment and found.experiment.name == item.name)
    ]
    context = {"changed": changed, "reason": reason}
    return await render(request, session, "admin_norms_restore.html", context, me=me)


async def restore_norms(request: Request) -> Response:
    """POST /admin/norms/restore: every norm back to its default (each change recorded),
    once the admin has confirmed; without the confirmation, the confirmation page."""
    form = await read_form(request)
    reason = text(form, "reason")
    async with db(request) as session:
        me = await require_admin(request, session)
        if text(form, "confirm") != "yes":
            return await _confirm(request, session, me, reason)
        restored = await norms.restore_defaults(
            session,
            settings(request),
            reason=reason or "Restored the defaults",
            actor_id=me.actor_id,
            now=now(request),
        )
        flash(request, restored_words(len(restored)))
        return redirect("/admin/norms")


def restored_words(count: int) -> str:
    """What restoring the defaults did, in a sentence."""
    if count == 0:
        return "Nothing to restore: every norm was at its default."
    if count == 1:
        return "1 norm is back to its default."
    return f"{count} norms are back to their defaults."
