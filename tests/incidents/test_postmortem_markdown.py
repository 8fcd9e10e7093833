import re

import pytest

from knowledgebase.markdown import render_markdown


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "<iframe src='https://evil.example'></iframe>",
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
])
def test_script_cannot_survive_in_a_report(source):
    html = render_markdown(f"Before\n\n{source}\n\nAfter")
    live_tags = re.findall(r"<[a-zA-Z][^>]*>", html)  # escaped source (&lt;...) is text, not a tag
    assert live_tags, html
    for tag in live_tags:
        name = tag[1:].split()[0].rstrip(">").lower()
        assert name in {"p", "a", "h1", "h2", "div", "span", "pre", "code"}, tag
        assert not re.search(r"\son\w+=", tag) and "javascript:" not in tag.lower(), tag
    assert "<p>Before</p>" in html and "<p>After</p>" in html


def test_markdown_features_and_safe_links_survive():
    html = render_markdown("## Root causes\n\n- **bold** [runbook](https://runbooks.example/x)\n\n"
                           "| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode\n```")
    assert "Root causes</h2>" in html and "<strong>bold</strong>" in html
    assert '<a href="https://runbooks.example/x" rel="noopener noreferrer">runbook</a>' in html
    assert "<table>" in html and "code\n</code>" in html
