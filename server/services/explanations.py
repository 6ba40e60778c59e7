"""Why a post is on the Conversations timeline, in plain words.

Each term of its score becomes a sentence with its points. Sentences name only the
post's author and people the reader follows who are talking there, both of whom the
reader can already see; everyone else is a number.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.services.ranked_timeline import Ranked
from server.services.ranking import MULTIPLIERS

#: Terms too small to be a reason on their own (they still show in the details).
MINOR = ("likes", "boosts", "substance")

#: Terms whose sentence names nobody and counts nothing.
FIXED = {
    "substance": "Replies with substance",
    "likes": "Likes (they count for almost nothing)",
    "boosts": "Boosts (they count for almost nothing)",
    "decay": "Newer conversations come first",
    "pileon": "Shown lower: many new voices arrived fast",
    "dominated": "Shown lower: two people wrote most of it",
}


@dataclass(frozen=True)
class Line:
    """One term of a score: what it says, and how it counted."""

    key: str
    text: str
    #: "+2.3 points" or "× 0.84".
    effect: str
    lowers: bool = False


def _people(n: int) -> str:
    return f"{n} {'person' if n == 1 else 'people'}"


def _names(item: Ranked) -> str:
    names = [a.name for a in item.known]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _sentence(key: str, item: Ranked, viewer_id: int) -> str:
    if key in FIXED:
        return FIXED[key]
    author = item.author
    terms = item.terms
    if key == "base":
        if author.id == viewer_id:
            return "Your post"
        points = terms["base"]
        if points >= 3 and author.id is not None:
            return f"You and {author.name} follow each other"
        return f"You follow {author.name}" if points >= 2 else "People you follow are here"
    counts = item.counts
    if key == "voices":
        return f"{_people(counts.get('repliers', 0))} replied"
    if key == "exchange":
        pairs = counts.get("pairs", 0)
        return "A real back-and-forth" if pairs <= 1 else f"{pairs} real back-and-forths"
    if key == "author":
        return f"{author.name} answered {_people(counts.get('answered', 0))} here"
    if key == "known":
        count = len(item.known)
        if count == 1:
            return f"{_names(item)}, whom you follow, is talking here"
        return f"{count} people you follow are talking"
    if key == "quiet":
        return f"{author.name} posts rarely"
    if key == "diversity":
        return f"Shown lower: more from {author.name} on this page"
    return key


def lines(item: Ranked, viewer_id: int) -> list[Line]:
    """Every term, additive ones first (largest first), then the multipliers."""
    out: list[Line] = []
    additive = sorted(
        ((k, v) for k, v in item.terms.items() if k not in MULTIPLIERS), key=lambda kv: -kv[1]
    )
    for key, points in additive:
        out.append(Line(key, _sentence(key, item, viewer_id), f"+{points:.2f} points"))
    for key in MULTIPLIERS:
        if key in item.terms:
            factor = item.terms[key]
            out.append(Line(key, _sentence(key, item, viewer_id), f"× {factor:.2f}", factor < 1))
    return out


def reasons(item: Ranked, viewer_id: int) -> list[str]:
    """The top two reasons, as short phrases; a penalty, when one applied, is always
    one of them (a reader should know when something was shown lower)."""
    terms = item.terms
    total = sum(v for k, v in terms.items() if k not in MULTIPLIERS) or 1.0
    weighed = [(k, v) for k, v in terms.items() if k not in MULTIPLIERS and k not in MINOR]
    if "quiet" in terms:
        # Comparable with the points: what the boost added.
        weighed.append(("quiet", total * (terms["quiet"] - 1)))
    weighed.sort(key=lambda kv: -kv[1])
    chosen = [k for k, _ in weighed if k != "base"][:2] or ["base"]
    if len(chosen) < 2 and "base" not in chosen:
        chosen.append("base")
    penalty = next((k for k in ("pileon", "dominated") if k in terms), None)
    if penalty is not None:
        chosen = [*chosen[:1], penalty]
    return [_sentence(k, item, viewer_id) for k in chosen]
