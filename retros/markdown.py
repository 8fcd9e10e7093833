"""Markdown for retro notes and agendas: Python-Markdown, then nh3.

TODO(merge): switch to `knowledgebase.markdown.render_markdown` once the
knowledge base lands on main; this local helper applies the same rule
(only http, https and mailto links survive).
"""

import markdown as python_markdown
import nh3

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "del",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str) -> str:
    html = python_markdown.markdown(text or "", extensions=["tables", "fenced_code", "sane_lists"])
    return nh3.clean(
        html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
