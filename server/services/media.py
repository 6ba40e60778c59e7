"""Images members upload: checked, re-encoded and resized with Pillow before storing."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import blurhash
from PIL import Image, ImageOps, UnidentifiedImageError

from server.services.errors import Invalid

AVATAR_SIZE = 400
ALLOWED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
# Refuse decompression bombs well before Pillow's own (much higher) limit.
MAX_PIXELS = 40_000_000


#: Uploads larger than this are scaled down (Mastodon's 3840x2160 worth of pixels).
MAX_STORED_PIXELS = 3840 * 2160
PREVIEW_SIZE = 640


def _open(data: bytes, field: str) -> Image.Image:
    """The image in `data`, upright, or Invalid with a message for the uploader."""
    try:
        probe = Image.open(BytesIO(data))
        if probe.format not in ALLOWED_FORMATS:
            raise Invalid("Images must be JPEG, PNG, GIF or WebP.", field=field)
        if probe.width * probe.height > MAX_PIXELS:
            raise Invalid("That image is too large; use one under 40 megapixels.", field=field)
        probe.seek(0)
        image = ImageOps.exif_transpose(probe)
        return image.convert("RGBA" if "A" in image.getbands() else "RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise Invalid("That file is not an image Porch can read.", field=field) from None


@dataclass(frozen=True)
class StoredImage:
    """An attachment's files under media/, and what apps show before they load."""

    file_name: str
    preview_name: str
    media_type: str
    size: tuple[int, int]
    preview_size: tuple[int, int]
    blurhash: str


def store_attachment(data: bytes, media_dir: Path, actor_id: int) -> StoredImage:
    """Re-encode an uploaded image (dropping metadata, EXIF location included), scale it
    to at most 3840x2160 worth of pixels, and make a preview and a BlurHash.

    Animated GIFs keep only their first frame: Porch stores still images.
    """
    image = _open(data, "file")
    pixels = image.width * image.height
    if pixels > MAX_STORED_PIXELS:
        scale = (MAX_STORED_PIXELS / pixels) ** 0.5
        target = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
        image = image.resize(target, Image.Resampling.LANCZOS)
    preview = image.copy()
    preview.thumbnail((PREVIEW_SIZE, PREVIEW_SIZE), Image.Resampling.LANCZOS)
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


def store_avatar(data: bytes, media_dir: Path, actor_id: int) -> str:
    """Crop `data` to a square avatar, save it as WebP and return its path under media/.

    Re-encoding drops metadata (EXIF location included) and anything that is not pixels.
    """
    image = _open(data, "avatar")
    image = ImageOps.fit(image, (AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS)
    folder = media_dir / "avatars"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"avatars/{actor_id}-{secrets.token_hex(8)}.webp"
    image.save(media_dir / name, "WEBP", quality=85)
    return name


HEADER_SIZE = (1500, 500)


def store_header(data: bytes, media_dir: Path, actor_id: int) -> str:
    """Crop `data` to a 3:1 profile header, save it as WebP and return its path under media/."""
    image = _open(data, "header")
    image = ImageOps.fit(image, HEADER_SIZE, Image.Resampling.LANCZOS)
    folder = media_dir / "headers"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"headers/{actor_id}-{secrets.token_hex(8)}.webp"
    image.save(media_dir / name, "WEBP", quality=85)
    return name
