"""JSON answers, encoded with orjson: every door's JSON goes through `JSONResponse` here.

orjson encodes several times faster than the standard library, and its output means the
same: UTF-8 without escaping non-ASCII (as Starlette's own class), no spaces, and never
NaN or Infinity (it writes null for them). Integer keys become strings, as json.dumps does.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse as _StarletteJSON

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(content: Any) -> bytes:
    """`content` as compact JSON bytes."""
    return orjson.dumps(content, option=_OPTIONS)


class JSONResponse(_StarletteJSON):
    """Starlette's JSONResponse, encoded with orjson."""

    def render(self, content: Any) -> bytes:
        return dumps(content)
