"""Text from outside that every database can store, cleaned the same way at every door.

PostgreSQL refuses NUL in text; JSON can carry lone surrogates, which UTF-8 cannot; the
other C0 control characters (all but tab, newline and carriage return) are invisible,
and would be stored and sent on to other servers as they came.
"""

from __future__ import annotations

import re

_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SURROGATES = re.compile("[\ud800-\udfff]")
#: The same characters, percent-decoded bytes of a request's address included.
CONTROL_BYTES = re.compile(b"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def clean(text: str) -> str:
    """`text` without NUL and the other C0 control characters (tab, newline and carriage
    return stay), and with any lone surrogate replaced by U+FFFD, as a UTF-8 decoder would."""
    text = _CONTROLS.sub("", text)
    if not text.isascii():
        text = _SURROGATES.sub("\ufffd", text)
    return text


def has_controls(text: str) -> bool:
    """Whether `text` holds a character `clean` would remove."""
    return _CONTROLS.search(text) is not None
