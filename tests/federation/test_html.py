"""Remote HTML is cut down to what Mastodon keeps, and flattens to readable plain text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federation.html import plain_text, sanitize_remote_html

LINK = 'target="_blank" rel="nofollow noopener noreferrer"'
ZOE_MENTION = (
    '<p><span class="h-card" translate="no"><a href="https://mastodon.test/@zoe" '
    'class="u-url mention">@<span>zoe</span></a></span> hi <a href="https://mastodon.test/tags/'
    'porch" class="mention hashtag" rel="tag">#<span>porch</span></a></p>'
)
LONG_LINK = (
    '<p><a href="https://example.com/a/very/long/path" rel="nofollow noopener" translate="no" '
    'target="_blank"><span class="invisible">https://</span><span class="ellipsis">example.com/'
    'a/very/lo</span><span class="invisible">ng/path</span></a></p>'
)


@pytest.mark.parametrize(
    ("remote", "kept"),
    [
        ("<script>alert(1)</script><p>ok</p>", "<p>ok</p>"),
        ("<style>p { display: none }</style><p>ok</p>", "<p>ok</p>"),
        ('<iframe src="https://evil.test/"></iframe><p>ok</p>', "<p>ok</p>"),
        ('<p><img src="https://evil.test/a.png" alt="pic">ok</p>', "<p>ok</p>"),
        ('<p onclick="steal()">ok</p>', "<p>ok</p>"),
        ('<p style="color: red">ok</p>', "<p>ok</p>"),
        ('<p><svg onload="x()"><text>drawn</text></svg>ok</p>', "<p>ok</p>"),
        ('<a href="javascript:alert(1)">click</a>', "click"),
        ('<a href="JaVaScRiPt:alert(1)">click</a>', "click"),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">click</a>', "click"),
        # Unknown elements go, but Mastodon keeps their text.
        ("<div><table><tr><td>cell</td></tr></table></div>", "cell"),
        ('<p><font color="red">hi</font> x<sup>2</sup></p>', "<p>hi x2</p>"),
        ("<p>a &amp; b &lt;c&gt;</p>", "<p>a &amp; b &lt;c&gt;</p>"),
        ("<p>hi<!-- a comment --></p>", "<p>hi</p>"),
    ],
)
def test_only_what_mastodon_allows_survives(remote: str, kept: str) -> None:
    assert sanitize_remote_html(remote) == kept


@pytest.mark.parametrize(
    "markup",
    [
        "<p>one<br>two</p>",
        "<p><del>gone</del> <em>em</em> <strong>strong</strong> <b>b</b> <i>i</i> <u>u</u></p>",
        "<pre><code>print(1)\n  indented</code></pre>",
        "<blockquote><p>quoted</p></blockquote>",
        "<ul><li>one</li><li>two</li></ul>",
        '<ol start="3" reversed=""><li value="5">five</li></ol>',
    ],
)
def test_mastodon_formatting_is_kept(markup: str) -> None:
    assert sanitize_remote_html(markup) == markup


@pytest.mark.parametrize("level", range(1, 7))
def test_headings_become_bold_paragraphs(level: int) -> None:
    remote = f'<h{level} class="title">Big news</h{level}><p>details</p>'
    assert sanitize_remote_html(remote) == "<p><strong>Big news</strong></p><p>details</p>"


def test_only_microformats_and_mastodon_classes_are_kept() -> None:
    remote = (
        '<span class="h-card p-name u-photo dt-published e-content mention hashtag ellipsis '
        'invisible big-red mentions hidden">x</span><span class="sr-only">y</span>'
    )
    assert sanitize_remote_html(remote) == (
        '<span class="h-card p-name u-photo dt-published e-content mention hashtag ellipsis '
        'invisible">x</span><span>y</span>'
    )


@pytest.mark.parametrize(
    "scheme", ["http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "gemini"]
)
def test_links_with_supported_schemes_are_kept(scheme: str) -> None:
    remote = f'<a href="{scheme}://example.test/x">link</a>'
    assert sanitize_remote_html(remote) == f'<a href="{scheme}://example.test/x" {LINK}>link</a>'


@pytest.mark.parametrize(
    "href", ["ftp://example.test/", "vbscript:x", "file:///etc/passwd", "/relative", "#top", None]
)
def test_other_links_are_unwrapped_to_their_contents(href: str | None) -> None:
    attribute = "" if href is None else f' href="{href}"'
    assert sanitize_remote_html(f"<p><a{attribute}>see <b>this</b></a></p>") == (
        "<p>see <b>this</b></p>"
    )


def test_magnet_links_are_kept() -> None:
    remote = '<a href="magnet:?xt=urn:btih:abc">file</a>'
    assert sanitize_remote_html(remote) == f'<a href="magnet:?xt=urn:btih:abc" {LINK}>file</a>'


def test_every_link_opens_in_a_new_tab_without_passing_anything_on() -> None:
    remote = '<a href="https://example.test/" rel="me" target="_self" class="u-url">me</a>'
    assert sanitize_remote_html(remote) == (
        f'<a href="https://example.test/" class="u-url" {LINK}>me</a>'
    )


def test_a_mastodon_mention_and_hashtag_paragraph_keeps_its_shape() -> None:
    assert sanitize_remote_html(ZOE_MENTION) == (
        '<p><span class="h-card"><a href="https://mastodon.test/@zoe" class="u-url mention" '
        f'{LINK}>@<span>zoe</span></a></span> hi <a href="https://mastodon.test/tags/porch" '
        f'class="mention hashtag" {LINK}>#<span>porch</span></a></p>'
    )


def test_mentions_can_be_pointed_at_local_profiles() -> None:
    asked: list[str] = []

    def local(href: str) -> str | None:
        asked.append(href)
        return "https://porch.test/@zoe@mastodon.test?a=1&b=2"

    cleaned = sanitize_remote_html(ZOE_MENTION, mention_href=local)
    assert asked == ["https://mastodon.test/@zoe"]  # never the hashtag
    assert 'href="https://porch.test/@zoe@mastodon.test?a=1&amp;b=2"' in cleaned
    assert 'href="https://mastodon.test/tags/porch"' in cleaned


def test_unknown_mentions_keep_their_remote_link() -> None:
    cleaned = sanitize_remote_html(ZOE_MENTION, mention_href=lambda href: None)
    assert 'href="https://mastodon.test/@zoe"' in cleaned


def test_shortened_link_spans_are_kept() -> None:
    assert sanitize_remote_html(LONG_LINK) == (
        f'<p><a href="https://example.com/a/very/long/path" {LINK}><span class="invisible">'
        'https://</span><span class="ellipsis">example.com/a/very/lo</span><span class="invisible">'
        "ng/path</span></a></p>"
    )


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>Hello</p><p>World</p>", "Hello\n\nWorld"),
        ("<p>Hello</p>\n<p>World</p>", "Hello\n\nWorld"),
        ("<p>one<br>two<br />three</p>", "one\ntwo\nthree"),
        ("<p>Fish &amp; chips &lt;3 &#128516;&nbsp;!</p>", "Fish & chips <3 😄\xa0!"),
        (ZOE_MENTION, "@zoe hi #porch"),
        (LONG_LINK, "https://example.com/a/very/long/path"),
        ("  <p>  padded   out  </p>  ", "padded out"),
        ("<script>steal()</script><style>p{}</style>visible", "visible"),
        ("<ul><li>one</li><li>two</li></ul>", "one\ntwo"),
        ("<p>Code:</p><pre>  x = 1\n  y = 2</pre>", "Code:\n\n  x = 1\n  y = 2"),
        ("<h1>Title</h1>Body", "Title\n\nBody"),
        ("just text", "just text"),
        ("", ""),
    ],
)
def test_plain_text(markup: str, text: str) -> None:
    assert plain_text(markup) == text


class _Tags(HTMLParser):
    """Every tag of some HTML, with its attributes, leaving the text aside."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str], str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        markup = self.get_starttag_text() or ""
        self.tags.append((tag, {name: value or "" for name, value in attrs}, markup))


HOSTILE = [
    "<script>",
    "</script>",
    "<style>",
    "<p>",
    "</p>",
    "<a href=\"javascript:alert('x')\">",
    "<a href='JaVaScRiPt:x'>",
    '<a href="java&#x09;script:x">',
    '<a href=" &#106;avascript:x">',
    '<a href="data:text/html,<script>x</script>">',
    '<a href="https://ok.test/" class="u-url mention" onmouseover="x()">',
    "</a>",
    "<img src=x onerror=alert(1)>",
    '<p onclick="x()">',
    "<svg onload=alert(1)>",
    "<h2 onfocus=x>",
    "<ol start=1 onfocus=x>",
    "<base href=javascript:x>",
    "<form action=javascript:x>",
    "<textarea>",
    "<template>",
    "<!--",
    "-->",
    '"',
    "'",
    "<",
    ">",
    "=",
    " on",
    "&",
]
HTMLISH = st.lists(st.sampled_from(HOSTILE) | st.text(max_size=4), max_size=30).map("".join)


@given(st.text() | HTMLISH, st.booleans())
def test_no_script_handlers_or_javascript_links_survive(remote: str, rewrite: bool) -> None:
    cleaned = sanitize_remote_html(remote, mention_href=(lambda href: href) if rewrite else None)
    assert "<script" not in cleaned.lower()
    tags = _Tags()
    tags.feed(cleaned)
    tags.close()
    # Text may mention "javascript:" harmlessly (escaped); no tag may carry it.
    for tag, attrs, markup in tags.tags:
        assert tag not in {"script", "style", "img", "svg", "iframe", "base", "form"}
        assert not re.search(r"\son\w*\s*=", markup, re.IGNORECASE), markup
        assert "javascript:" not in markup.lower()
        assert not any(name.startswith("on") for name in attrs)
        href = re.sub(r"[\x00-\x20]", "", attrs.get("href", "")).lower()
        assert not href.startswith(("javascript:", "data:", "vbscript:"))
