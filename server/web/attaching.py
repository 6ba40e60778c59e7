"""Images in the web composer: chosen with a plain file field, uploaded with the form
(multipart, CSRF-checked by read_form like every form), described and given a focus
point on the same page. "Attach" shows a preview without posting; "Post" takes the
images as they are. A missing description is pointed out, never refused."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from server.models import Attachment
from server.services import uploads
from server.services.accounts import Signed
from server.services.errors import Invalid, ServiceError
from server.services.posts import Composition
from server.web.context import now
from server.web.forms import text


async def _chosen_files(form: FormData) -> list[bytes]:
    """What the files picked in the "images" field hold (a browser sends one empty part
    when none was picked); each upload's spooled file is closed once read."""
    found = []
    for part in form.getlist("images"):
        if isinstance(part, UploadFile):
            data = await part.read()
            await part.close()
            if part.filename or data:
                found.append(data)
    return found


async def with_uploads(
    request: Request, session: AsyncSession, me: Signed, form: FormData, values: Composition
) -> Composition:
    """`values` with the images the form carries: those listed before (each kept unless
    unticked, its description and focus point as edited) and the files just chosen,
    stored through the upload service. Invalid when there would be more than four."""
    files = await _chosen_files(form)
    kept = list(values.media_ids or ())
    for media_id in kept:
        raw_focus = text(form, f"focus_{media_id}")
        await uploads.describe(
            session,
            me.actor_id,
            media_id,
            description=text(form, f"description_{media_id}"),
            focus=uploads.parse_focus(raw_focus) if raw_focus.strip() else None,
        )
    if not files:
        return values
    if len(kept) + len(files) > uploads.MAX_ATTACHMENTS:
        raise Invalid(
            f"A post can have at most {uploads.MAX_ATTACHMENTS} images: "
            "untick one or choose fewer.",
            field="images",
        )
    settings = request.app.state.settings
    for data in files:
        item = await uploads.upload(
            session,
            me.actor_id,
            data,
            settings.media_dir,
            description=None,
            focus=None,
            now=now(request),
        )
        assert item.id is not None
        kept.append(item.id)
    return replace(values, media_ids=tuple(kept))


async def attached(session: AsyncSession, me: Signed, ids: tuple[int, ...]) -> list[Attachment]:
    """The member's own uploads named by `ids`, in that order, not yet on a post."""
    found = []
    for media_id in ids:
        try:
            item = await uploads.own(session, me.actor_id, media_id)
        except ServiceError:
            continue
        if item.post_id is None:
            found.append(item)
    return found
