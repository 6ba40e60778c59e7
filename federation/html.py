"""Sanitising and flattening the HTML that remote servers put in posts and profiles."""

import html
import re
from collections.abc import Callable
from html.parser import HTMLParser

import nh3

# Mastodon's MASTODON_STRICT allow-list (lib/sanitize_ext/sanitize_config.rb, 4.2+), so a
# post looks the same here as on the author's server and in every Mastodon client.
_TAGS = {"p", "br", "span", "a", "del", "pre", "code", "em", "strong", "b", "i", "u", "ul", "ol"}
_TAGS |= {"li", "blockquote"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_ATTRIBUTES = {"a": {"href", "class"}, "span": {"class"}, "ol": {"start", "reversed"}}
_ATTRIBUTES["li"] = {"value"}
# Mastodon 4.5 keeps the "RE:" line of a quote (p.quote-inline), which readers that show
# the quote itself hide.
_ATTRIBUTES["p"] = {"class"}
_SCHEMES = {"http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet"}
_SCHEMES |= {"gemini"}
# Sanitize's default remove_contents: these elements' text is never meant to be read.
_DROP_WITH_CONTENT = {"script", "style", "iframe", "math", "svg", "noscript", "noembed", "xmp"}
_DROP_WITH_CONTENT |= {"noframes", "plaintext"}
_CLASS = re.compile(r"^(?:(?:h|p|u|dt|e)-.*|mention|hashtag|ellipsis|invisible|quote-inline)$")


def _keep_classes(element: str, attribute: str, value: str) -> str | None:
    """Keep microformats and Mastodon's semantic classes only: other classes would let a
    remote post borrow Porch's own styles (to hide text, or look like the interface)."""
    if attribute != "class":
        return value
    kept = [name for name in value.split() if _CLASS.match(name)]
    return " ".join(kept) or None


_CLEANER = nh3.Cleaner(
    tags=_TAGS | _HEADINGS,
    clean_content_tags=_DROP_WITH_CONTENT,
    attributes=_ATTRIBUTES,
    attribute_filter=_keep_classes,
    url_schemes=_SCHEMES,
    url_relative="deny",  # a relative link would point into Porch, not the author's server
    link_rel="nofollow noopener noreferrer",
    set_tag_attribute_values={"a": {"target": "_blank"}},
)


class _Finisher(HTMLParser):
    """Second pass over nh3's already-safe output, for what nh3 cannot express: headings
    turn into bold paragraphs, links that lost their href become plain text (as Mastodon
    does), and mentions may be pointed at local profiles."""

    def __init__(
        self,
        mention_href: Callable[[str], str | None] | None,
        tag_href: Callable[[str], str | None] | None = None,
    ) -> None:
        super().__init__(convert_charrefs=True)
        self.mention_href = mention_href
        self.tag_href = tag_href
        self.out: list[str] = []
        self.links: list[bool] = []  # for each open <a>: was its tag written?

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HEADINGS:
            self.out.append("<p><strong>")
            return
        values = {name: value or "" for name, value in attrs}
        if tag == "a":
            self.links.append("href" in values)
            if "href" not in values:
                return
            classes = values.get("class", "").split()
            if self.mention_href and "mention" in classes and "hashtag" not in classes:
                values["href"] = self.mention_href(values["href"]) or values["href"]
            elif self.tag_href and "hashtag" in classes:
                values["href"] = self.tag_href(values["href"]) or values["href"]
        rendered = "".join(f' {name}="{html.escape(value)}"' for name, value in values.items())
        self.out.append(f"<{tag}{rendered}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HEADINGS:
            self.out.append("</strong></p>")
        elif tag == "a" and self.links and not self.links.pop():
            return
        elif tag != "br":  # a void element: nothing to close
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))


def sanitize_remote_html(
    html_text: str,
    *,
    mention_href: Callable[[str], str | None] | None = None,
    tag_href: Callable[[str], str | None] | None = None,
) -> str:
    """Keep only what Mastodon keeps (the tags, attributes, classes and link schemes above);
    h1–h6 become <p><strong>…</strong></p>; links with other schemes, or relative ones, are
    unwrapped to their contents; every link gets rel="nofollow noopener noreferrer" and
    target="_blank"; script and style are dropped with their contents.

    mention_href, if given, is called with the href of each <a> whose classes include
    "mention" but not "hashtag", and may return a local URL to link to instead;
    tag_href likewise for hashtag links."""
    finisher = _Finisher(mention_href, tag_href)
    finisher.feed(_CLEANER.clean(html_text))
    finisher.close()
    return "".join(finisher.out)


class _Flattener(HTMLParser):
    """Collects text, turning <br> and block boundaries into newlines."""

    _BREAKS = {"li": "\n"} | dict.fromkeys({"p", "div", "blockquote", "pre", "ul", "ol"}, "\n\n")
    _BREAKS |= dict.fromkeys(_HEADINGS, "\n\n")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.pending = ""  # the break owed before the next text, if any text follows
        self.hidden = 0  # depth inside elements whose text is not content
        self.pre = 0

    def _owe(self, newlines: str) -> None:
        if self.out and len(newlines) > len(self.pending):
            self.pending = newlines

    def _emit(self, text: str, newline: str = "") -> None:
        breaking = self.pending + newline
        if breaking and not self.pre:
            # Spaces next to a line break are left over from source formatting.
            self.out[-1:] = [chunk.rstrip(" ") for chunk in self.out[-1:]]
            text = text.lstrip(" ")
        self.out.append(breaking + text)
        self.pending = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_WITH_CONTENT:
            self.hidden += 1
        elif tag == "br":
            self._emit("", "\n")
        elif tag in self._BREAKS:
            self._owe(self._BREAKS[tag])
        if tag == "pre":
            self.pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_WITH_CONTENT:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self._BREAKS:
            self._owe(self._BREAKS[tag])
        if tag == "pre":
            self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        # Source formatting is not content, except inside <pre>; &nbsp; is content.
        text = data if self.pre else re.sub(r"[ \t\n\f\r]+", " ", data)
        if text.strip() or (self.out and not self.pending):
            self._emit(text)


def plain_text(html_text: str) -> str:
    """Readable plain text of a post's HTML: <br> becomes a newline and paragraphs are
    separated by a blank line, tags are removed, entities unescaped, and surrounding
    whitespace trimmed. For length checks, search and notification previews."""
    flattener = _Flattener()
    flattener.feed(html_text)
    flattener.close()
    return "".join(flattener.out).strip()
