"""A member's own settings: profile (display name, bio, avatar, header, fields)."""

from __future__ import annotations

import logging
from typing import TypedDict

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from server.services import accounts, media
from server.services.errors import ServiceError
from server.web.context import db, flash, now, redirect, render, require_member, settings
from server.web.forms import read_form, text

log = logging.getLogger(__name__)


#: Rows of name/value pairs the form offers (accounts.MAX_FIELDS).
FIELD_ROWS = accounts.MAX_FIELDS


class ProfileForm(TypedDict):
    display_name: str
    bio: str
    locked: bool
    interaction_note: str
    show_counts: bool
    fields: list[tuple[str, str]]


def _field_rows(fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`fields` padded with empty rows to FIELD_ROWS, for the form."""
    return (fields + [("", "")] * FIELD_ROWS)[:FIELD_ROWS]


async def edit_page(request: Request) -> Response:
    async with db(request) as session:
        me = await require_member(request, session)
        values = {
            "display_name": me.actor.display_name,
            "bio": me.actor.bio,
            "locked": me.actor.locked,
            "show_counts": me.member.show_counts,
            "interaction_note": me.actor.interaction_note,
            "fields": _field_rows([(f["name"], f["value"]) for f in me.actor.fields]),
        }
        context = {"values": values, "error": None, "max_bio": accounts.MAX_BIO}
        return await render(request, session, "settings_profile.html", context, me=me)


async def save(request: Request) -> Response:
    form = await read_form(request)
    try:
        return await _save(request, form)
    finally:
        await form.close()  # the upload's spooled temporary file


async def _save(request: Request, form: FormData) -> Response:
    values: ProfileForm = {
        "display_name": text(form, "display_name"),
        "bio": text(form, "bio"),
        "locked": form.get("locked") == "on",
        "interaction_note": text(form, "interaction_note"),
        "show_counts": form.get("show_counts") == "on",
        "fields": [
            (text(form, f"field_name_{i}"), text(form, f"field_value_{i}"))
            for i in range(FIELD_ROWS)
        ],
    }
    async with db(request) as session:
        me = await require_member(request, session)
        try:
            avatar_path = None
            upload = form.get("avatar")
            if isinstance(upload, UploadFile) and upload.filename:
                data = await upload.read()
                avatar_path = await media.store_avatar(
                    data, settings(request).media_dir, me.actor_id
                )
            header_path = None
            upload = form.get("header")
            if isinstance(upload, UploadFile) and upload.filename:
                data = await upload.read()
                header_path = await media.store_header(
                    data, settings(request).media_dir, me.actor_id
                )
            await accounts.update_profile(
                session,
                me.actor,
                display_name=values["display_name"],
                bio=values["bio"],
                avatar_path=avatar_path,
                header_path=header_path,
                fields=values["fields"],
                locked=values["locked"],
                interaction_note=values["interaction_note"],
                now=now(request),
            )
            await accounts.set_show_counts(session, me.member, values["show_counts"])
        except ServiceError as error:
            log.info("profile change refused for %s: %s", me.actor.username, error.message)
            shown = {**values, "fields": _field_rows(values["fields"])}
            context = {"values": shown, "error": error, "max_bio": accounts.MAX_BIO}
            return await render(
                request, session, "settings_profile.html", context, status=error.status, me=me
            )
        flash(request, "Your profile is saved.")
        return redirect(f"/@{me.actor.username}")
