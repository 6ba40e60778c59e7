"""Uploaded images cost bounded memory: too many pixels are refused before decoding,
big JPEGs decode at reduced scale, and only a few images are decoded at once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from io import BytesIO
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlmodel import func, select
from starlette.applications import Starlette

from server.models import Actor, Attachment
from server.services import accounts, media, oauth_tokens
from tests.conftest import Person, client_for


def encoded(image: Image.Image, kind: str, **options: object) -> bytes:
    out = BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A PNG of 6,300 x 6,300 pixels (39.7 million) in a few kilobytes: small on the wire,
    119 MB once decoded as RGB."""
    return encoded(Image.new("1", (6300, 6300)), "PNG")


@pytest.fixture
async def ana_app(app: Starlette, people: dict[str, Person]) -> AsyncIterator[httpx.AsyncClient]:
    """Ana's app, signed in with a bearer token that may write media and her profile."""
    async with app.state.sessions() as session:
        member = (await accounts.local_member(session, "ana")).member
        assert member.id is not None
        issued = await oauth_tokens.create_token(
            session, member.id, "Ana's app", "read write", app.state.clock.now()
        )
    async with client_for(app) as client:
        client.headers["Authorization"] = f"Bearer {issued.access_token}"
        yield client


async def stored_files(app: Starlette) -> list[Path]:
    return [p for p in app.state.settings.media_dir.rglob("*") if p.is_file()]


async def ana(app: Starlette) -> Actor:
    async with app.state.sessions() as session:
        return await accounts.local_actor(session, "ana")


async def attachments(app: Starlette) -> int:
    async with app.state.sessions() as session:
        return int((await session.exec(select(func.count()).select_from(Attachment))).one())


async def test_a_small_png_of_forty_million_pixels_is_refused_on_every_upload_path(
    app: Starlette, people: dict[str, Person], ana_app: httpx.AsyncClient, bomb: bytes
) -> None:
    # Ana's file is a few kilobytes: the body limit lets it in, its pixels must not.
    assert len(bomb) < 200_000
    token = await people["ana"].token("/settings/profile")
    page = await people["ana"].client.post(
        "/settings/profile",
        data={"display_name": "Ana", "bio": "", "csrf_token": token},
        files={"avatar": ("big.png", bomb, "image/png")},
    )
    assert page.status_code == 422
    assert "too large to process (6300x6300, 39.7 megapixels)" in page.text
    assert "at most 16.8 megapixels" in page.text

    for path in ("/api/v1/media", "/api/v2/media"):
        response = await ana_app.post(path, files={"file": ("big.png", bomb, "image/png")})
        assert response.status_code == 422, path
        assert "too large to process" in response.json()["error"]
    for name in ("avatar", "header"):
        response = await ana_app.patch(
            "/api/v1/accounts/update_credentials", files={name: ("big.png", bomb, "image/png")}
        )
        assert response.status_code == 422, name
        assert "too large to process" in response.json()["error"]

    # Nothing was stored: no attachment, no file, Ana's profile as it was.
    assert await attachments(app) == 0
    assert await stored_files(app) == []
    profile = await ana(app)
    assert profile.avatar_path is None and profile.header_path is None


async def test_a_big_camera_jpeg_is_decoded_at_half_scale_and_accepted(
    app: Starlette, ana_app: httpx.AsyncClient
) -> None:
    # 4,200 x 4,200 pixels is over the decoding cap; a JPEG decodes at half scale within it,
    # and so does a phone's JPEG that carries a second picture (Pillow's "MPO").
    big = Image.new("RGB", (4200, 4200), (200, 120, 40))
    photo = encoded(big, "JPEG", quality=50)
    phone = encoded(big, "MPO", quality=50, save_all=True, append_images=[Image.new("RGB", (8, 8))])
    for data in (photo, phone):
        answer = await ana_app.post(
            "/api/v2/media", files={"file": ("cat.jpg", data, "image/jpeg")}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["meta"]["original"]["width"] == 2100
    response = await ana_app.patch(
        "/api/v1/accounts/update_credentials", files={"avatar": ("me.jpg", photo, "image/jpeg")}
    )
    assert response.status_code == 200, response.text
    with Image.open(app.state.settings.media_dir / str((await ana(app)).avatar_path)) as stored:
        assert stored.size == (media.AVATAR_SIZE, media.AVATAR_SIZE)


async def test_an_animated_gif_is_stored_as_its_first_frame(
    app: Starlette, ana_app: httpx.AsyncClient
) -> None:
    frames = [Image.new("RGB", (300, 200), (i, 0, 0)) for i in range(0, 250, 10)]
    gif = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=40)
    response = await ana_app.post("/api/v2/media", files={"file": ("a.gif", gif, "image/gif")})
    assert response.status_code == 200, response.text
    async with app.state.sessions() as session:
        item = (await session.exec(select(Attachment))).one()
    with Image.open(app.state.settings.media_dir / item.file_name) as stored:
        assert getattr(stored, "n_frames", 1) == 1


async def test_no_more_images_are_decoded_at_once_than_the_machine_has_cores(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cores = media._decoders._max_workers
    entered, go = threading.Semaphore(0), threading.Event()
    running = most = 0
    lock = threading.Lock()

    def decode(data: bytes, media_dir: Path, actor_id: int) -> media.StoredImage:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        entered.release()
        go.wait()
        with lock:
            running -= 1
        return media.StoredImage("a", "b", "image/webp", (1, 1), (1, 1), "")

    monkeypatch.setattr(media, "_attachment", decode)
    # Six members upload at once: as many decode as there are cores, the rest wait.
    uploads = [
        asyncio.create_task(media.store_attachment(b"", tmp_path, n)) for n in range(cores + 4)
    ]
    try:
        for _ in range(cores):
            assert await asyncio.to_thread(entered.acquire, timeout=30), "a decoder never began"
        assert running == cores
        assert media._decoders._work_queue.qsize() == 4
    finally:
        go.set()  # the pool is shared: never leave its threads waiting
        await asyncio.gather(*uploads)
    assert most == cores
