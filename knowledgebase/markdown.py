"""Markdown to safe HTML, for every app that shows text people wrote.

`render_markdown(text)` is the one way OpsPortal turns Markdown (runbooks,
postmortems, retro notes) into HTML. Two layers keep script out:

1. Python-Markdown runs without raw HTML: its HTML block preprocessor and
   inline HTML pattern are removed, so `<script>` in the source is shown as
   text. Only the listed extensions run (tables, fenced code with Pygments
   classes, table of contents, admonitions, sane lists); none passes HTML.
2. nh3 (ammonia) then cleans the output against an explicit allow-list of
   tags and attributes. Links keep only http, https and mailto URLs (and
   relative ones such as `#section`), images only http and https; every link
   gets `rel="noopener noreferrer"`.

Headings get ids prefixed with `kb-` so a heading called "Content" cannot
clobber an element id of the page that shows it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

import markdown
import nh3
from markdown.extensions.toc import slugify_unicode

HEADING_ID_PREFIX = "kb-"
# Markdown bodies are documents, not data dumps; the cap keeps rendering cheap.
MAX_MARKDOWN_CHARS = 200_000

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre",
    "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
# Removed together with their content, not just unwrapped.
REMOVED_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "svg", "math", "template",
                                  "noscript", "textarea", "select", "title"})
_HEADING_ATTRS = {"id"}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    # Pygments token classes, admonition and table-of-contents containers.
    "div": {"class"},
    "span": {"class"},
    "code": {"class"},
    "pre": {"class"},
    "p": {"class"},
    **{f"h{level}": _HEADING_ATTRS for level in range(1, 7)},
}
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
IMAGE_SCHEMES = frozenset({"http", "https"})
_SAFE_CLASS = re.compile(r"^[A-Za-z0-9_ -]{0,200}$")
_SAFE_ID = re.compile(r"^[\w-]{1,200}$")
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_SAFE_ALIGN = frozenset({"left", "right", "center"})


def _slugify(value: str, separator: str) -> str:
    return HEADING_ID_PREFIX + (slugify_unicode(value, separator) or "section")


def _markdown() -> markdown.Markdown:
    md = markdown.Markdown(
        extensions=["tables", "fenced_code", "codehilite", "toc", "admonition", "sane_lists"],
        extension_configs={
            "codehilite": {"css_class": "codehilite", "guess_lang": False, "use_pygments": True},
            "toc": {"slugify": _slugify, "toc_depth": "2-4", "permalink": False},
            "tables": {"use_align_attribute": True},
        },
        output_format="html",
    )
    # No raw HTML: what looks like a tag in the source is shown as text.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


def _scheme(url: str) -> str | None:
    # Browsers ignore whitespace and control characters inside a scheme; so do we.
    compact = re.sub(r"[\x00-\x20\x7f]+", "", url)
    if compact.startswith(("/", "#", "?", ".")):
        return None
    scheme = urlsplit(compact).scheme
    return scheme.lower() if scheme else None


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Second look at every attribute nh3 kept: URL schemes per tag, plain class, id and align values."""
    if attribute in ("href", "src"):
        if _UNPRINTABLE.search(value) or value.strip().startswith("//"):
            # Control characters hide schemes from naive checks; protocol-relative
            # URLs point off-site without saying so.
            return None
        scheme = _scheme(value)
        if scheme is None:
            return value
        allowed = IMAGE_SCHEMES if tag == "img" else LINK_SCHEMES
        return value if scheme in allowed else None
    if attribute == "class":
        return value if _SAFE_CLASS.match(value) else None
    if attribute == "id":
        return value if _SAFE_ID.match(value) and value.startswith(HEADING_ID_PREFIX) else None
    if attribute == "align":
        return value if value.lower() in _SAFE_ALIGN else None
    if attribute in ("width", "height", "start", "colspan", "rowspan"):
        return value if value.isdigit() and len(value) <= 5 else None
    return value


def sanitize_html(html: str) -> str:
    """Clean HTML with the knowledge base's allow-list (used on Markdown output)."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(REMOVED_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_filter_attribute,
        url_schemes=set(LINK_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render_markdown_with_toc(text: str) -> tuple[str, str]:
    """Render Markdown to sanitized HTML; also return the sanitized table of contents.

    The table of contents is an HTML list of links to the document's headings
    (levels 2-4), or "" when the document has none.
    """
    text = (text or "")[:MAX_MARKDOWN_CHARS]
    md = _markdown()
    html = md.convert(text)
    toc_html = md.toc if getattr(md, "toc_tokens", None) else ""
    return sanitize_html(html), sanitize_html(toc_html)


def render_markdown(text: str) -> str:
    """Render Markdown to sanitized HTML (see the module docstring for the rules)."""
    return render_markdown_with_toc(text)[0]


@lru_cache(maxsize=1)
def highlight_css() -> str:
    """Pygments CSS for the `codehilite` classes, to inline in pages that show rendered Markdown."""
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style="default").get_style_defs(".codehilite")
