"""Images members upload: checked, re-encoded and resized with Pillow before storing.

Decoding is where an image costs memory (four bytes a pixel, whatever the file's size:
a 150 KB PNG can declare 40 million pixels), so the pixel count is checked from the
header before anything is decoded, JPEGs are decoded at the reduced scale their use
needs, and only a few images are decoded at a time in the whole process.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, TypeVar

from server.services.errors import Invalid

if TYPE_CHECKING:
    from PIL import Image

T = TypeVar("T")

AVATAR_SIZE = 400
HEADER_SIZE = (1500, 500)
PREVIEW_SIZE = 640
ALLOWED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
#: Pillow names phone photos that carry a second picture "MPO"; they open as JPEGs.
_JPEG = ("JPEG", "MPO")

#: The most pixels Porch decodes for one upload: 4096x4096, 64 MiB as RGBA. Twice what
#: apps scale photos down to before uploading (the instance's image_matrix_limit), and
#: more than a 12-megapixel phone photo or a 5K screenshot.
MAX_PIXELS = 4096 * 4096
#: JPEGs can be decoded at half scale (Pillow's draft), so a 64-megapixel camera's photo
#: still decodes within MAX_PIXELS.
MAX_JPEG_PIXELS = 4 * MAX_PIXELS
#: Uploads larger than this are scaled down (Mastodon's 3840x2160 worth of pixels).
MAX_STORED_PIXELS = 3840 * 2160


# Pillow's own guard is set to Porch's largest accepted header size: anything above it is
# refused (its DecompressionBombWarning is turned into an error, caught below), never
# decoded. The filter names the warning by its text: Pillow itself is loaded later.
warnings.filterwarnings(
    "error", message=r"Image size \(\d+ pixels\) exceeds limit", category=RuntimeWarning
)


def _pillow() -> ModuleType:
    """Pillow's Image module, loaded with the first image (a server nobody uploads to
    never needs its few MB) and given Porch's limit before any image is opened."""
    from PIL import Image as pillow

    pillow.MAX_IMAGE_PIXELS = MAX_JPEG_PIXELS
    return pillow


# Decoding is CPU and memory work: one image per core at a time, process-wide, and off
# the event loop. Further uploads wait their turn holding only their bytes.
_decoders = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="images")


async def _decode_in_turn(work: Callable[..., T], *args: object) -> T:
    return await asyncio.get_running_loop().run_in_executor(_decoders, work, *args)


def _too_large(field: str, width: int, height: int, limit: int) -> Invalid:
    side = int(limit**0.5)
    return Invalid(
        f"That image is too large to process ({width}x{height}, "
        f"{width * height / 1_000_000:.1f} megapixels). Use one of at most "
        f"{limit / 1_000_000:.1f} megapixels, such as {side}x{side}.",
        field=field,
    )


def _scale_for(size: tuple[int, int], cover: tuple[int, int]) -> int:
    """The JPEG reduction (1, 2, 4 or 8) that decodes within MAX_PIXELS and, where it can,
    still covers `cover`."""
    width, height = size
    scale = 1
    while scale < 8 and (
        -(-width // scale) * -(-height // scale) > MAX_PIXELS
        or (width // (scale * 2) >= cover[0] and height // (scale * 2) >= cover[1])
    ):
        scale *= 2
    return scale


def _open(
    data: bytes, field: str, cover: Callable[[tuple[int, int]], tuple[int, int]]
) -> Image.Image:
    """The first frame of the image in `data`, upright, decoded no larger than needed to
    cover `cover(size)`; Invalid with a message for the uploader otherwise."""
    from PIL import ImageOps, UnidentifiedImageError

    pillow = _pillow()
    try:
        image = pillow.open(BytesIO(data), formats=ALLOWED_FORMATS)  # reads the header only
        width, height = image.size
        limit = MAX_JPEG_PIXELS if image.format in _JPEG else MAX_PIXELS
        if width * height > limit:
            raise _too_large(field, width, height, limit)
        if image.format in _JPEG:
            scale = _scale_for(image.size, cover(image.size))
            if scale > 1:
                image.draft(image.mode, (width // scale, height // scale))
            if image.width * image.height > MAX_PIXELS:
                raise _too_large(field, width, height, limit)
        # Animated GIFs and WebPs: only the first frame is ever decoded.
        ImageOps.exif_transpose(image, in_place=True)
        mode = "RGBA" if "A" in image.getbands() else "RGB"
        return image if image.mode == mode else image.convert(mode)
    except (pillow.DecompressionBombError, pillow.DecompressionBombWarning):
        raise Invalid(
            f"That image is too large to process. Use one of at most "
            f"{MAX_PIXELS / 1_000_000:.1f} megapixels (a JPEG may have up to "
            f"{MAX_JPEG_PIXELS / 1_000_000:.1f}).",
            field=field,
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise Invalid(
            "That file is not an image Porch can read (use JPEG, PNG, GIF or WebP).",
            field=field,
        ) from None


def _reduced(image: Image.Image, cover: tuple[int, int]) -> Image.Image:
    """`image` box-reduced by a whole factor while it stays at least twice `cover`, so the
    Lanczos filter that follows works on far fewer pixels (Pillow's reducing_gap)."""
    factor = min(image.width // cover[0], image.height // cover[1]) // 2
    return image.reduce(factor) if factor >= 2 else image


@dataclass(frozen=True)
class StoredImage:
    """An attachment's files under media/, and what apps show before they load."""

    file_name: str
    preview_name: str
    media_type: str
    size: tuple[int, int]
    preview_size: tuple[int, int]
    blurhash: str


def _stored_size(size: tuple[int, int]) -> tuple[int, int]:
    width, height = size
    if width * height <= MAX_STORED_PIXELS:
        return size
    scale = (MAX_STORED_PIXELS / (width * height)) ** 0.5
    return max(1, int(width * scale)), max(1, int(height * scale))


def _attachment(data: bytes, media_dir: Path, actor_id: int) -> StoredImage:
    import blurhash  # with the first upload, as Pillow

    image = _open(data, "file", _stored_size)
    target = _stored_size(image.size)
    if target != image.size:
        image = image.resize(target, _pillow().Resampling.LANCZOS, reducing_gap=2.0)
    preview = image.copy()
    preview.thumbnail((PREVIEW_SIZE, PREVIEW_SIZE), _pillow().Resampling.LANCZOS)
    folder = media_dir / "attachments"
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"attachments/{actor_id}-{secrets.token_hex(12)}"
    image.save(media_dir / f"{stem}.webp", "WEBP", quality=88)
    preview.save(media_dir / f"{stem}-small.webp", "WEBP", quality=80)
    small = preview.convert("RGB")
    small.thumbnail((64, 64))
    return StoredImage(
        file_name=f"{stem}.webp",
        preview_name=f"{stem}-small.webp",
        media_type="image/webp",
        size=image.size,
        preview_size=preview.size,
        blurhash=blurhash.encode(small, x_components=4, y_components=3),
    )


def _fitted(data: bytes, field: str, size: tuple[int, int], path: Path) -> None:
    # EXIF may turn the image a quarter: cover both orientations of `size`.
    longest = max(size)
    image = _open(data, field, lambda _: (longest, longest))
    from PIL import ImageOps

    image = ImageOps.fit(_reduced(image, size), size, _pillow().Resampling.LANCZOS)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "WEBP", quality=85)


async def store_attachment(data: bytes, media_dir: Path, actor_id: int) -> StoredImage:
    """Re-encode an uploaded image (dropping metadata, EXIF location included), scale it
    to at most 3840x2160 worth of pixels, and make a preview and a BlurHash.

    Animated GIFs keep only their first frame: Porch stores still images. Images over
    MAX_PIXELS are refused (Invalid) before they are decoded.
    """
    return await _decode_in_turn(_attachment, data, media_dir, actor_id)


async def store_avatar(data: bytes, media_dir: Path, actor_id: int) -> str:
    """Crop `data` to a square avatar, save it as WebP and return its path under media/.

    Re-encoding drops metadata (EXIF location included) and anything that is not pixels.
    """
    name = f"avatars/{actor_id}-{secrets.token_hex(8)}.webp"
    await _decode_in_turn(_fitted, data, "avatar", (AVATAR_SIZE, AVATAR_SIZE), media_dir / name)
    return name


async def store_header(data: bytes, media_dir: Path, actor_id: int) -> str:
    """Crop `data` to a 3:1 profile header, save it as WebP and return its path under media/."""
    name = f"headers/{actor_id}-{secrets.token_hex(8)}.webp"
    await _decode_in_turn(_fitted, data, "header", HEADER_SIZE, media_dir / name)
    return name
