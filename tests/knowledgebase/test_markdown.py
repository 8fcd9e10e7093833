"""Rendering features and the XSS corpus of `knowledgebase.markdown`."""

import re
from html.parser import HTMLParser

import pytest

from knowledgebase.markdown import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    highlight_css,
    render_markdown,
    render_markdown_with_toc,
)


class _Collector(HTMLParser):
    """Every start tag with its attributes, entities already decoded (as a browser sees them)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def parse(html: str) -> list[tuple[str, dict]]:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.elements


def url_scheme(value: str) -> str | None:
    # Drop everything a lenient browser might skip before the scheme.
    compact = re.sub(r"[\x00-\x20\x7f\ufffd]+", "", value).lower()
    match = re.match(r"^([a-z][a-z0-9+.-]*):", compact)
    return match.group(1) if match else None


def assert_safe(html: str) -> None:
    """Nothing executable: allowed tags only, allowed attributes only, safe URL schemes."""
    for tag, attrs in parse(html):
        assert tag in ALLOWED_TAGS, f"tag <{tag}> survived in {html!r}"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"event handler {name} survived in {html!r}"
            assert name != "style", f"style attribute survived in {html!r}"
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()) or (tag == "a" and name == "rel"), (
                f"attribute {name} on <{tag}> survived in {html!r}"
            )
            if name in ("href", "src"):
                scheme = url_scheme(value or "")
                allowed = {"http", "https"} if tag == "img" else {"http", "https", "mailto"}
                assert scheme is None or scheme in allowed, f"{scheme}: URL survived in {html!r}"
                assert not (value or "").strip().startswith("//"), f"protocol-relative URL in {html!r}"
        if tag == "a":
            assert attrs.get("rel") == "noopener noreferrer"


XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)"/>',
    "<body onload=alert(1)>",
    "<div onmouseover='alert(1)'>hover</div>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    "<iframe src=javascript:alert(1)></iframe>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](jav&#x61;script:alert(1))",
    "[click](jav&#97;script:alert(1))",
    "[click](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pic](javascript:alert(1))",
    "![pic](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![pic](mailto:someone@example.com)",
    "[ref link][evil]\n\n[evil]: javascript:alert(1)",
    "![ref image][evil]\n\n[evil]: data:text/html,<script>alert(1)</script>",
    "<javascript:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "[x](//evil.example/phish)",
    '[x](https://ok.example "title" onclick="alert(1)")',
    '<a href="https://ok.example" onclick="alert(1)">ok</a>',
    "<<script>script>alert(1)<</script>/script>",
    "<img src=x onerror=alert(1)//",
    "<div><p><b onclick=alert(1)>nested</p></div></b>",
    "<!--<script>alert(1)</script>-->",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<form action="javascript:alert(1)"><input type=submit></form>',
    '<base href="javascript:alert(1)//">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    "<details open ontoggle=alert(1)>",
    "```html\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "!!! note \"<img src=x onerror=alert(1)>\"\n    body",
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | [x](javascript:alert(1)) |",
    "# <img src=x onerror=alert(1)>\n\n## Heading",
    "<a href='&#x6A;avascript:alert(1)'>entity</a>",
    "[x](javascript&colon;alert(1))",
    "[x](\x00javascript:alert(1))",
]


def test_corpus_is_big_enough():
    assert len(XSS_CORPUS) >= 30


@pytest.mark.parametrize("source", XSS_CORPUS)
def test_xss_vector_does_not_survive(source):
    html, toc = render_markdown_with_toc(source)
    assert_safe(html)
    assert_safe(toc)


@pytest.mark.parametrize("source", XSS_CORPUS)
def test_xss_vector_inside_a_document_does_not_survive(source):
    html = render_markdown(f"# Runbook\n\nSome text.\n\n{source}\n\n## After\n\n[fine](https://ok.example)")
    assert_safe(html)
    assert '<a href="https://ok.example" rel="noopener noreferrer">fine</a>' in html


def test_assert_safe_catches_dangerous_html():
    """The checker itself must fail on what it is meant to catch."""
    for bad in ['<script>x</script>', '<a href="javascript:x" rel="noopener noreferrer">x</a>', '<img src=x onerror=y>',
                '<img src="data:image/png;base64,xx">', '<p style="x">', '<a href="//evil">x</a>',
                '<a href="jav&#x61;script:x" rel="noopener noreferrer">x</a>']:
        with pytest.raises(AssertionError):
            assert_safe(bad)


def test_raw_html_is_shown_as_text():
    assert render_markdown("<b>bold</b>") == "<p>&lt;b&gt;bold&lt;/b&gt;</p>"


def test_links_keep_safe_schemes_and_get_rel():
    html = render_markdown("[a](https://example.com/x) [b](http://example.com) [c](mailto:ops@example.com) [d](#kb-x)")
    hrefs = [attrs.get("href") for tag, attrs in parse(html) if tag == "a"]
    assert hrefs == ["https://example.com/x", "http://example.com", "mailto:ops@example.com", "#kb-x"]
    assert html.count('rel="noopener noreferrer"') == 4


def test_images_keep_http_and_https_only():
    html = render_markdown("![a](https://img.example/a.png) ![b](http://img.example/b.png) ![c](ftp://x/c.png)")
    assert [attrs.get("src") for tag, attrs in parse(html) if tag == "img"] == [
        "https://img.example/a.png", "http://img.example/b.png", None,
    ]


def test_tables_render_with_alignment():
    html = render_markdown("| step | owner |\n|:-----|------:|\n| page | oncall |")
    elements = parse(html)
    assert ("th", {"align": "left"}) in elements
    assert ("td", {"align": "right"}) in elements
    assert "<td align=\"left\">page</td>" in html


def test_fenced_code_is_highlighted_with_pygments_classes():
    html = render_markdown("```bash\nkubectl rollout restart deploy/checkout\n```")
    assert '<div class="codehilite">' in html
    assert '<span class="' in html and "kubectl" in html
    assert ".codehilite" in highlight_css()


def test_fenced_code_keeps_html_as_text():
    html = render_markdown("```\n<script>alert(1)</script>\n```")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html


def test_table_of_contents_lists_headings_with_prefixed_ids():
    html, toc = render_markdown_with_toc("# Checkout\n\n## Verify it is real\n\n### Commands\n\n## Escalation\n")
    assert '<h2 id="kb-verify-it-is-real">' in html
    assert [attrs["href"] for tag, attrs in parse(toc) if tag == "a"] == [
        "#kb-verify-it-is-real", "#kb-commands", "#kb-escalation",
    ]


def test_table_of_contents_is_empty_without_headings():
    assert render_markdown_with_toc("just text")[1] == ""


def test_admonition_renders():
    html = render_markdown('!!! warning "Do not restart everything"\n    Restart one pod at a time.')
    assert '<div class="admonition warning">' in html
    assert '<p class="admonition-title">Do not restart everything</p>' in html


def test_sane_lists_do_not_merge_ordered_and_unordered():
    html = render_markdown("1. one\n2. two\n\n* a\n* b\n")
    assert [tag for tag, _ in parse(html) if tag in ("ol", "ul")] == ["ol", "ul"]


def test_empty_and_none_render_to_empty():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""
