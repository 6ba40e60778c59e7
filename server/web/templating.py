"""The Jinja2 environment: templates/ with autoescaping and Porch's filters."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.templating import Jinja2Templates

from server import ROOT
from server.clock import utcnow
from server.services.cards import LINK
from server.services.content import plain_html
from server.web.fragments import post_part

templates = Jinja2Templates(directory=str(ROOT / "templates"))
# Templates change only with a deploy; checking their files on every render costs time.
templates.env.auto_reload = False


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """A short relative time: "now", "5m", "3h", "2d", or a date."""
    if moment is None:
        return ""
    seconds = int(((now or utcnow()) - moment).total_seconds())
    if seconds < 45:
        return "now"
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    if seconds < 7 * 86400:
        return f"{seconds // 86400}d"
    return moment.strftime("%-d %b %Y")


def long_ago(moment: datetime | None, now: datetime | None = None) -> str:
    """In words, for sentences: "today", "yesterday", "3 days ago", "2 months ago"."""
    if moment is None:
        return ""
    days = ((now or utcnow()) - moment).days
    if days < 1:
        return "today"
    if days < 2:
        return "yesterday"
    for size, unit in ((365, "year"), (30, "month"), (7, "week"), (1, "day")):
        if days >= size:
            count = days // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "today"  # pragma: no cover (days >= 1 is handled above)


def full_date(moment: datetime | None) -> str:
    """The whole moment, for a post's own page: "4 December 2026, 23:52 UTC"."""
    return moment.strftime("%-d %B %Y, %H:%M UTC") if moment else ""


def iso(moment: datetime | None) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z") if moment else ""


def seconds_until(moment: datetime, now: datetime) -> int:
    return max(0, int((moment - now).total_seconds() + 0.999))


def html(value: str) -> Markup:
    """Mark HTML that Porch itself rendered (escaped at write time) as safe."""
    return Markup(value)


def via_porch(content_html: str, post_id: int) -> Markup:
    """The post's HTML (escaped when it was written) with its web links pointed at /go,
    which notes that a member opened them; mentions and hashtags stay as they are."""

    def swap(found: re.Match[str]) -> str:
        target = urlencode({"to": Markup(found.group(1)).unescape(), "from": post_id})
        return f'<a href="/go?{Markup.escape(target)}"'

    return Markup(LINK.sub(swap, content_html))


def plural(count: object, one: str, many: str = "") -> str:
    """`one` after a count of exactly 1, else `many` (default: `one` + "s"): "1 point"."""
    return one if str(count) in ("1", "1.0") else (many or one + "s")


_SINGULAR = {"people": "person", "replies": "reply"}


def unit(name: str, count: object) -> str:
    """A unit after its number: "1 point", "2 points", "1 person"."""
    if str(count) not in ("1", "1.0") or not name.endswith("s") and name != "people":
        return name
    return _SINGULAR.get(name, name.removesuffix("s"))


def page_title(value: str, name: str) -> Markup:
    """A page's <title>: the page's own title, then the community's name, once."""
    page = Markup(value).strip()
    if not page or Markup.escape(name) in page:
        return page or Markup.escape(name)
    return page + Markup(" · ") + name


templates.env.filters.update(
    plural=plural,
    unit=unit,
    page_title=page_title,
    ago=ago,
    long_ago=long_ago,
    iso=iso,
    full_date=full_date,
    plain_html=plain_html,
    html=html,
    via_porch=via_porch,
)
templates.env.globals.update(seconds_until=seconds_until, post_part=post_part)
