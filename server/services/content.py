"""Turning what a member typed into safe HTML: links, @mentions and #hashtags.

Everything typed is escaped; the only markup in the result is what this module writes,
in the shapes Mastodon emits (h-card mentions, rel=tag hashtags), so other servers and
apps render it the way they render Mastodon's own posts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from linkify_it import LinkifyIt
from markupsafe import Markup, escape

# Only links with a scheme, as Mastodon does: "example.com" in a sentence stays text.
_linkify = LinkifyIt(options={"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False})

MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9_]{1,30})(?:@([A-Za-z0-9.-]+\.[A-Za-z]{2,}))?\b")
HASHTAG = re.compile(r"(?<![\w#&/])#(\w{1,100})")
_URL_DISPLAY = 30


@dataclass
class Rendered:
    html: str
    mentions: list[str] = field(default_factory=list)  # lower-cased handles linked
    tags: list[str] = field(default_factory=list)  # lower-cased hashtags


def names_nothing(text: str) -> bool:
    """Whether `text` can hold no mention and no hashtag (so its post has none)."""
    return MENTION.search(text) is None and HASHTAG.search(text) is None


def mentioned_handles(text: str) -> set[str]:
    """Lower-cased handles @mentioned in `text`: "name" for people here, "name@domain"
    for people elsewhere."""
    return {
        (m.group(1) + ("@" + m.group(2) if m.group(2) else "")).lower()
        for m in MENTION.finditer(text)
    }


def _url_link(url: str) -> str:
    shown = re.sub(r"^https?://(www\.)?", "", url)
    if len(shown) > _URL_DISPLAY:
        shown = shown[:_URL_DISPLAY] + "…"
    return (
        f'<a href="{escape(url)}" rel="nofollow noopener noreferrer" target="_blank">'
        f"{escape(shown)}</a>"
    )


def _words(
    text: str, known: Mapping[str, tuple[str, str]], base_url: str, rendered: Rendered
) -> str:
    """Escape plain text, linking mentions of known members and hashtags."""
    out: list[str] = []
    pos = 0
    tokens = sorted(
        [(m.start(), m.end(), "mention", m) for m in MENTION.finditer(text)]
        + [(m.start(), m.end(), "tag", m) for m in HASHTAG.finditer(text)],
        key=lambda t: t[0],
    )
    for start, end, kind, match in tokens:
        if start < pos:
            continue
        if kind == "mention":
            handle = (match.group(1) + ("@" + match.group(2) if match.group(2) else "")).lower()
            if handle not in known:
                continue
            name, href = known[handle]
            link = (
                f'<span class="h-card" translate="no"><a href="{escape(href)}" '
                f'class="u-url mention">@<span>{escape(name)}</span></a></span>'
            )
            if handle not in rendered.mentions:
                rendered.mentions.append(handle)
        else:
            tag = match.group(1)
            if tag.isdigit():
                continue
            link = (
                f'<a href="{escape(base_url)}/tags/{escape(tag.lower())}" '
                f'class="mention hashtag" rel="tag">#<span>{escape(tag)}</span></a>'
            )
            if tag.lower() not in rendered.tags:
                rendered.tags.append(tag.lower())
        out.append(str(escape(text[pos:start])))
        out.append(link)
        pos = end
    out.append(str(escape(text[pos:])))
    return "".join(out)


def _line(
    text: str, known: Mapping[str, tuple[str, str]], base_url: str, rendered: Rendered
) -> str:
    out: list[str] = []
    pos = 0
    for match in _linkify.match(text) or []:
        if not match.url.startswith(("http://", "https://")):
            continue
        out.append(_words(text[pos : match.index], known, base_url, rendered))
        out.append(_url_link(match.url))
        pos = match.last_index
    out.append(_words(text[pos:], known, base_url, rendered))
    return "".join(out)


def render(text: str, known: Mapping[str, tuple[str, str]], base_url: str) -> Rendered:
    """Render plain text as HTML paragraphs.

    `known` maps lower-cased handles of people Porch knows to (their name as shown,
    their profile URL); other @mentions stay plain text.
    """
    rendered = Rendered(html="")
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip().replace("\r\n", "\n")) if p.strip()]
    html = []
    for paragraph in paragraphs:
        lines = [_line(line, known, base_url, rendered) for line in paragraph.split("\n")]
        html.append("<p>" + "<br>".join(lines) + "</p>")
    rendered.html = "".join(html)
    return rendered


def plain_html(text: str) -> Markup:
    """Escaped text with line breaks, for bios and other short fields."""
    return Markup("<br>").join(escape(line) for line in text.splitlines())


def labels_html(intent: str | None, tone_indicator: str | None) -> str:
    """The lines that carry a post's intent and a reply's tone to readers elsewhere (other
    servers, apps): `<p>Looking for: …</p><p>Meant as: …</p>`, for the ones given."""
    lines = ""
    if intent:
        lines += f"<p>Looking for: {escape(intent)}</p>"
    if tone_indicator:
        lines += f"<p>Meant as: {escape(tone_indicator)}</p>"
    return lines
