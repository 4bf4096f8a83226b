"""Turn the report's HTML (stdin) into a PDF (stdout): ``python -m
app.analytics.reports.pdf_process``.

WeasyPrint lays out pages in pure Python for a second or more; in its own process it holds
neither the server's GIL (the tracked redirect's click writer must never wait on it) nor its
memory. The page fetches nothing: its stylesheets are read here from the package and every
URL is refused, so nothing a user typed (a post's title, say) can make the renderer reach a
server or a file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher


class NothingFetched(URLFetcher):
    def fetch(self, url: str, headers: Any = None) -> Any:
        raise ValueError(f"the report fetches nothing ({url[:80]})")


# The dashboard's chart styles, then the print layout.
STYLESHEETS = (Path(__file__).parents[2] / "web" / "static" / "css" / "charts.css",
               Path(__file__).parent / "report.css")


def render(html: str) -> bytes:
    fetcher = NothingFetched()
    stylesheets = [CSS(string=path.read_text("utf-8"), url_fetcher=fetcher)
                   for path in STYLESHEETS]
    pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=stylesheets)
    return pdf


def main() -> None:
    sys.stdout.buffer.write(render(sys.stdin.buffer.read().decode("utf-8")))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
