"""A page's tags and text as a browser's parser reads them, for tests of the HTML pages."""

from __future__ import annotations

from html.parser import HTMLParser


class Parsed(HTMLParser):
    """The tags and the text of a page, to check what a browser would make of it."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        if self.tags and self.tags[-1][0] not in ("style", "title"):
            self.text.append(data)

    def all(self, tag: str) -> list[dict]:
        return [attrs for name, attrs in self.tags if name == tag]

    def joined(self) -> str:
        return "".join(self.text)
