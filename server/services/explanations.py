"""Why a post is on the Conversations timeline, in plain words.

Each term of its score becomes a sentence with its points. Sentences name only the
post's author and people the reader follows who are talking there, both of whom the
reader can already see; everyone else is a number. The reader is "you", never a name.
Given the conversation's exchange (server/services/exchanges.py), the counts are worded
so they agree with the replies shown under the post.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.services.exchanges import Exchange
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


def _voices(item: Ranked, viewer_id: int, exchange: Exchange | None, long: bool) -> str | None:
    """How many people replied, in numbers that agree with the exchange shown under the
    post: the score counts people other than the thread's author whose replies count
    (long enough, from accounts known here); the exchange lists everyone the reader may
    see replying, the author too."""
    counted = item.counts.get("repliers", 0)
    if exchange is None:
        return f"{_people(counted)} replied"
    repliers = exchange.repliers
    seen = len(repliers)
    author = item.author
    besides = ""
    if any(a.id == author.id for a in exchange.people):
        besides = " besides you" if author.id == viewer_id else f" besides {author.name}"
    if seen > counted:
        text = f"{counted} of the {seen} people who replied{besides} count here"
        if long:
            text += " (short replies, and replies from accounts new here, do not)"
        return text
    if seen == 0:
        return None
    if any(a.id == viewer_id for a in repliers):
        if seen == 1:
            return "You replied"
        return f"{_people(seen)} replied{besides}, you among them"
    return f"{_people(seen)} replied{besides}"


def _sentence(
    key: str, item: Ranked, viewer_id: int, exchange: Exchange | None = None, long: bool = False
) -> str | None:
    """The words for one term, to this reader: never about themselves in the third
    person. None when the term says nothing to them (it still counts)."""
    if key in FIXED:
        return FIXED[key]
    author = item.author
    yours = author.id == viewer_id
    terms = item.terms
    if key == "base":
        if yours:
            return "You started this conversation"
        points = terms["base"]
        if points >= 3 and author.id is not None:
            return f"You and {author.name} follow each other"
        return f"You follow {author.name}" if points >= 2 else "People you follow are here"
    counts = item.counts
    if key == "voices":
        return _voices(item, viewer_id, exchange, long)
    if key == "exchange":
        pairs = counts.get("pairs", 0)
        return "A real back-and-forth" if pairs <= 1 else f"{pairs} real back-and-forths"
    if key == "author":
        answered = counts.get("answered", 0)
        if yours:
            return f"You answered {_people(answered)} here"
        if answered == 1 and exchange is not None and _answered_you(exchange, viewer_id):
            return f"{author.name} answered you here"
        return f"{author.name} answered {_people(answered)} here"
    if key == "known":
        count = len(item.known)
        if count == 1:
            return f"{_names(item)}, whom you follow, is talking here"
        return f"{count} people you follow are talking"
    if key == "quiet":
        # Rarely posting is a reason to show someone else's post, not one's own.
        if yours:
            return "You post rarely" if long else None
        return f"{author.name} posts rarely"
    if key == "diversity":
        if yours:
            return "Shown lower: more of your posts on this page"
        return f"Shown lower: more from {author.name} on this page"
    return key


def _answered_you(exchange: Exchange, viewer_id: int) -> bool:
    """Whether, among the replies shown, the thread's author answered the reader."""
    return any(
        v.author.id == exchange.author_id
        and exchange.answering.get(v.post.id) is not None
        and exchange.answering[v.post.id].id == viewer_id
        for v in exchange.shown
    )


def lines(item: Ranked, viewer_id: int, exchange: Exchange | None = None) -> list[Line]:
    """Every term, additive ones first (largest first), then the multipliers."""
    out: list[Line] = []
    additive = sorted(
        ((k, v) for k, v in item.terms.items() if k not in MULTIPLIERS), key=lambda kv: -kv[1]
    )

    def text(key: str) -> str:
        # Every term that counted has its line, even one with nothing to say on the chips.
        return _sentence(key, item, viewer_id, exchange, long=True) or key

    for key, points in additive:
        out.append(Line(key, text(key), f"+{points:.2f} points"))
    for key in MULTIPLIERS:
        if key in item.terms:
            factor = item.terms[key]
            out.append(Line(key, text(key), f"× {factor:.2f}", factor < 1))
    return out


def reasons(item: Ranked, viewer_id: int, exchange: Exchange | None = None) -> list[str]:
    """The top two reasons, as short phrases; a penalty, when one applied, is always
    one of them (a reader should know when something was shown lower)."""
    terms = item.terms
    total = sum(v for k, v in terms.items() if k not in MULTIPLIERS) or 1.0
    weighed = [(k, v) for k, v in terms.items() if k not in MULTIPLIERS and k not in MINOR]
    if "quiet" in terms:
        # Comparable with the points: what the boost added.
        weighed.append(("quiet", total * (terms["quiet"] - 1)))
    weighed.sort(key=lambda kv: -kv[1])
    said = {k: _sentence(k, item, viewer_id, exchange) for k in terms}
    chosen = [k for k, _ in weighed if k != "base" and said.get(k)][:2] or ["base"]
    if len(chosen) < 2 and "base" not in chosen:
        chosen.append("base")
    penalty = next((k for k in ("pileon", "dominated") if k in terms), None)
    if penalty is not None:
        chosen = [*chosen[:1], penalty]
    return [text for k in chosen if (text := said.get(k))]
