"""Markdown to sanitized HTML for postmortems.

Stand-in with the same signature as `knowledgebase.markdown.render_markdown`
(owned by the knowledge-base app, not on main yet): at merge, point
`render_markdown` below at the knowledge base's. Raw HTML in the source is not
passed through, and nh3 keeps only a small allow-list; links keep only http,
https and mailto.
"""

import markdown as _markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "abbr": {"title"}}
REMOVED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript",
                        "textarea", "select", "title"}


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
        clean_content_tags=REMOVED_WITH_CONTENT, link_rel="noopener noreferrer",
    )


def render_markdown(text: str) -> str:
    """Markdown (tables, fenced code, sane lists) to sanitized HTML; raw HTML is shown as text."""
    md = _markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return sanitize_html(md.convert(text or ""))
