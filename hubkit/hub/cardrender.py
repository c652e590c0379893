"""A repo card (README.md) rendered to HTML the way huggingface.co shows it.

huggingface.co lets card authors write raw HTML (centred logos, ``<details>`` blocks, badges)
and hides HTML comments (hubkit's own ``<!-- hubkit:begin summary -->`` section markers among
them). Escaping the HTML would show markup as text, and dropping it would lose the layout, so
markdown-it renders it and nh3 (the maintained sanitiser; bleach is deprecated) then keeps only an
allow-list: no scripts, no event handlers, no ``style``, no ``javascript:`` URLs, no comments,
and no classes but the highlighter's.

Relative links and images, in markdown or in raw HTML, point at the repo's ``resolve`` URL of
the shown commit, as the Hub does, so a plot pushed next to the card shows. Fenced code is
highlighted server-side by Pygments; its stylesheet is served by the hub (:func:`highlight_css`),
so the page needs no script and nothing from the network.
"""

from __future__ import annotations

import functools
import html
import urllib.parse

import nh3
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_all_lexers, get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

# What a card may keep: nh3's safe defaults (text, tables, lists, images, links, <details>) plus
# the few presentation tags cards on huggingface.co use. No <style>/<script>/<iframe>/<form>.
ALLOWED_TAGS = nh3.ALLOWED_TAGS | {"picture", "source", "video", "audio"}
_SHARED_ATTRIBUTES = {"title", "align", "dir", "lang"}
ALLOWED_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": _SHARED_ATTRIBUTES,
    "a": {"href", "hreflang", "target", "name"},
    "img": {"src", "alt", "width", "height", "align", "loading"},
    "source": {"src", "srcset", "type", "media"},
    "video": {"src", "controls", "width", "height", "poster", "loop", "muted"},
    "audio": {"src", "controls", "loop", "muted"},
    "details": {"open"},
}
# Classes only from the highlighter: a card must not dress its text up as the hub's own badges
# (``badge ok`` reads "verified"), so an author's own ``class`` attributes are dropped.
ALLOWED_CLASSES = {
    "pre": {"highlight"},
    "span": {name for name in STANDARD_TYPES.values() if name},
    "code": {f"language-{alias}" for _, aliases, _, _ in get_all_lexers() for alias in aliases},
}
# Only these tags may carry a URL-valued attribute; checked again in :func:`_attribute`.
URL_ATTRIBUTES = {"href", "src", "srcset", "poster"}
URL_SCHEMES = {"http", "https", "mailto"}
HIGHLIGHT_CLASS = "highlight"


def render_card(text: str, file_base: str) -> str:
    """Card markdown to safe HTML; ``file_base`` is the repo's ``/…/resolve/{sha}/`` URL."""
    metadata, body = _split_metadata(text)
    md = MarkdownIt("commonmark", {"html": True, "highlight": _highlight}).enable(["table", "strikethrough"])
    rendered = md.render(body)
    clean = nh3.clean(
        rendered, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, allowed_classes=ALLOWED_CLASSES,
        strip_comments=True, url_schemes=URL_SCHEMES, link_rel="noopener noreferrer nofollow",
        attribute_filter=functools.partial(_attribute, file_base=file_base),
    )
    return metadata + clean


def highlight_css() -> str:
    """The stylesheet for Pygments' token classes inside ``.highlight`` blocks."""
    return HtmlFormatter(style="default").get_style_defs(f".{HIGHLIGHT_CLASS}")


def _split_metadata(text: str) -> tuple[str, str]:
    """The YAML header, shown folded as the Hub shows it in its metadata panel, and the body."""
    if not text.startswith("---"):
        return "", text
    lines = text.splitlines()
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        return "", text
    yaml_text = html.escape("\n".join(lines[1:end]))
    return (f"<details class='metadata'><summary>metadata</summary><pre>{yaml_text}</pre></details>",
            "\n".join(lines[end + 1:]))


def _highlight(code: str, lang: str, _attrs: str) -> str:
    """A fenced block in a language Pygments knows, as coloured spans; others stay plain (``""``)."""
    name = lang.split()[0] if lang else ""
    if not name:
        return ""
    try:
        lexer = get_lexer_by_name(name)
    except ClassNotFound:
        return ""
    spans = highlight(code, lexer, HtmlFormatter(nowrap=True))
    return (f'<pre class="{HIGHLIGHT_CLASS}"><code class="language-{html.escape(name, quote=True)}">'
            f"{spans}</code></pre>\n")


def _attribute(tag: str, attribute: str, value: str, *, file_base: str) -> str | None:
    """nh3's per-attribute hook: relative URLs point at the repo's files."""
    if attribute == "srcset":
        return ", ".join(_resolve(part.strip(), file_base) for part in value.split(",") if part.strip())
    if attribute in URL_ATTRIBUTES:
        return _resolve(value, file_base)
    return value


def _resolve(url: str, file_base: str) -> str:
    """``plot.png`` and ``./images/a.png`` → the file at the shown commit; other URLs unchanged."""
    stripped = url.strip()
    parsed = urllib.parse.urlparse(stripped)
    if parsed.scheme or parsed.netloc or stripped.startswith(("/", "#", "?")) or not stripped:
        return url
    path = stripped
    while path.startswith("./"):
        path = path[2:]
    return file_base + path
