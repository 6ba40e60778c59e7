"""Images members upload: checked, re-encoded and resized with Pillow before storing."""

from __future__ import annotations

import secrets
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from server.services.errors import Invalid

AVATAR_SIZE = 400
ALLOWED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
# Refuse decompression bombs well before Pillow's own (much higher) limit.
MAX_PIXELS = 40_000_000


def store_avatar(data: bytes, media_dir: Path, actor_id: int) -> str:
    """Crop `data` to a square avatar, save it as WebP and return its path under media/.

    Re-encoding drops metadata (EXIF location included) and anything that is not pixels.
    """
    try:
        with Image.open(BytesIO(data)) as probe:
            if probe.format not in ALLOWED_FORMATS:
                raise Invalid("Avatars must be JPEG, PNG, GIF or WebP images.", field="avatar")
            if probe.width * probe.height > MAX_PIXELS:
                raise Invalid(
                    "That image is too large; use one under 40 megapixels.", field="avatar"
                )
            probe.seek(0)
            image = ImageOps.exif_transpose(probe)
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
            image = ImageOps.fit(image, (AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise Invalid("That file is not an image Porch can read.", field="avatar") from None
    folder = media_dir / "avatars"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"avatars/{actor_id}-{secrets.token_hex(8)}.webp"
    image.save(media_dir / name, "WEBP", quality=85)
    return name
