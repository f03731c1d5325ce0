"""Turn an HTML mail body into plain text, without rendering or fetching anything.

HTML from the outside world is hostile: we never hand it to a browser engine and
never resolve a URL in it. The standard library's tokenizer is enough to keep the
words and the paragraph structure, which is all the classifier and a case worker
need.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Content of these elements is never text a person wrote for us to read.
_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript"})
# Elements after which a reader expects a new line.
_BLOCK = frozenset(
    {
        "address", "article", "blockquote", "br", "dd", "div", "dl", "dt",
        "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "li", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip


class _TextCollector(HTMLParser):
    """Collects character data outside skipped elements, with line breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip_depth += 1
        elif tag in _BLOCK:
            self.chunks.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # A self-closing <script/> opens nothing, so only the line break counts.
        if tag in _BLOCK:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.chunks.append(data)


_SPACES = re.compile(r"[ \t\f\v\xa0\u200b]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def html_to_text(html: str) -> str:
    """Return the readable text of an HTML document.

    Script, style and head content is dropped; block elements become line breaks;
    runs of spaces collapse. Broken markup never raises: the tokenizer is lenient
    and anything it cannot place is kept as text.
    """
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    text = "".join(collector.chunks).replace("\r\n", "\n").replace("\r", "\n")
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()
