"""Media uploads: an image (with description and focal point) for the member's next post."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.responses import Response

from server.api.mastodon import render
from server.api.mastodon.context import ApiError, Call, endpoint
from server.api.mastodon.entities.statuses import media_attachment
from server.json_response import JSONResponse
from server.services import uploads


@endpoint("write:media")
async def upload(call: Call) -> Response:
    """POST /api/v1/media and /api/v2/media: processed at once, so always 200."""
    assert call.actor.id is not None
    file = call.params.file("file")
    if not isinstance(file, UploadFile):
        raise ApiError(422, "Send the image as a multipart form field named file.")
    data = await file.read()
    if not data:
        raise ApiError(422, "The uploaded file is empty.")
    item = await uploads.upload(
        call.session,
        call.actor.id,
        data,
        call.settings.media_dir,
        description=call.params.text("description"),
        focus=uploads.parse_focus(call.params.text("focus")),
        now=call.now,
    )
    return JSONResponse(media_attachment(item, render.site(call)))


@endpoint("write:media")
async def show(call: Call) -> Response:
    assert call.actor.id is not None
    item = await uploads.own(call.session, call.actor.id, call.path_id())
    return JSONResponse(media_attachment(item, render.site(call)))


@endpoint("write:media")
async def update(call: Call) -> Response:
    assert call.actor.id is not None
    item = await uploads.describe(
        call.session,
        call.actor.id,
        call.path_id(),
        description=call.params.text("description"),
        focus=uploads.parse_focus(call.params.text("focus")),
    )
    return JSONResponse(media_attachment(item, render.site(call)))
