"""Tone care: wording that often reads harsher than it is meant, found before a reply goes.

The community keeps the list of words and phrases (a norm, one per line, optionally
prefixed with a language: "de: Idiot"; a leading "^" means "at the start", for accusing
openings such as "^why would you"). Shouting in capitals and piles of exclamation or
question marks are caught whatever the language. The check never blocks: it only
offers the author a moment to look again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from server.services.errors import ServiceError

WORD = re.compile(r"[^\W\d_]+")
PILES = re.compile(r"[!?]{3,}")
#: Words in capitals in a row that read as shouting.
SHOUTED_WORDS = 3


@dataclass(frozen=True)
class Flag:
    """A passage that may land harder than meant, and why."""

    start: int
    end: int
    reason: str


class ToneNudge(ServiceError):
    """Not a refusal: the composer shows the passages and lets the author choose."""

    status = 200

    def __init__(self, flags: list[Flag]) -> None:
        super().__init__("Some of these words may land harder than you mean.", field="text")
        self.flags = flags


@dataclass(frozen=True)
class _Compiled:
    anywhere: re.Pattern[str] | None
    opening: re.Pattern[str] | None


#: The "@name " and "@name@server " mentions a reply opens with (the composer fills them
#: in): an opening phrase is looked for in the words after them.
LEADING_MENTIONS = r"^(?:\s*@[\w.\-]+(?:@[\w.\-]+)?[,:]?)*\s*"


def _union(phrases: list[str], *, anchored: bool) -> re.Pattern[str] | None:
    if not phrases:
        return None
    # Longest first, so "you people" wins over "you".
    body = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    prefix = LEADING_MENTIONS if anchored else r"(?<!\w)"
    return re.compile(f"{prefix}(?P<phrase>{body})(?!\\w)", re.IGNORECASE)


@lru_cache(maxsize=64)
def _compile(phrases: tuple[str, ...], language: str | None) -> _Compiled:
    anywhere, opening = [], []
    for line in phrases:
        lang, sep, phrase = line.partition(":")
        if sep and re.fullmatch(r"[a-z]{2,3}", lang.strip()):
            if language and lang.strip() != language.split("-")[0]:
                continue
            line = phrase
        line = line.strip()
        if line.startswith("^"):
            opening.append(line[1:].strip())
        elif line:
            anywhere.append(line)
    return _Compiled(_union(anywhere, anchored=False), _union(opening, anchored=True))


def check(text: str, phrases: tuple[str, ...], language: str | None = None) -> list[Flag]:
    """The passages of `text` worth a second look, in order.

    `language` (an ISO 639 code) limits the language-specific phrases to that language;
    without it every phrase applies. Built patterns are cached: a 500-character reply
    takes microseconds.
    """
    compiled = _compile(phrases, language)
    flags: list[Flag] = []
    if compiled.opening is not None and (found := compiled.opening.match(text)):
        start, end = found.span("phrase")
        flags.append(Flag(start, end, "an opening that can sound accusing"))
    if compiled.anywhere is not None:
        for found in compiled.anywhere.finditer(text):
            flags.append(Flag(found.start(), found.end(), "a word that often reads as harsh"))
    flags += _shouting(text)
    for found in PILES.finditer(text):
        flags.append(Flag(found.start(), found.end(), "piled-up marks can read as anger"))
    return merge(flags)


def merge(flags: list[Flag]) -> list[Flag]:
    """Flags in order, overlapping passages merged (the first reason names them)."""
    kept: list[Flag] = []
    for flag in sorted(flags, key=lambda f: f.start):
        if kept and flag.start < kept[-1].end:
            last = kept[-1]
            kept[-1] = Flag(last.start, max(last.end, flag.end), last.reason)
        else:
            kept.append(flag)
    return kept


@lru_cache(maxsize=16)
def _advice_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    return _union([p.strip() for p in phrases if p.strip()], anchored=False)


def advice(text: str, phrases: tuple[str, ...]) -> list[Flag]:
    """Passages that offer advice (for a post that asked for none)."""
    pattern = _advice_pattern(phrases)
    if pattern is None:
        return []
    reason = "advice, on a post that asked for none"
    return [Flag(m.start(), m.end(), reason) for m in pattern.finditer(text)]


def _shouting(text: str) -> list[Flag]:
    """Runs of SHOUTED_WORDS or more words written in capitals (any alphabet with case)."""
    found: list[Flag] = []
    run: list[re.Match[str]] = []
    for word in [*WORD.finditer(text), None]:
        if word is not None and len(word.group()) >= 2 and word.group().isupper():
            run.append(word)
            continue
        if len(run) >= SHOUTED_WORDS:
            found.append(Flag(run[0].start(), run[-1].end(), "capitals read as shouting"))
        run = []
    return found
