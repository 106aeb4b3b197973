"""The QBR pack: the current view as a PowerPoint deck and a PDF, every number with its
definition, its period and its data date, every slide with the link that reopens it.

A quarterly business review needs the dashboard's numbers on slides and on paper. The pack is
built once as data (gtm/qbr/build.py and sections.py: a title slide, the Overview's headline
row and findings, one slide per page with its tiles and one or two charts titled by their
finding, the growth plan and its market check, a glossary) from the same registry values,
breakdowns and narrative functions the pages use, then drawn twice: gtm/qbr/deck.py
(python-pptx, native charts) and gtm/qbr/pdf.py (reportlab). `python -m gtm qbr` and the
sidebar's "Download the QBR pack" button both call `pack`, so they give the same file.
"""

from __future__ import annotations

from pathlib import Path

from gtm.qbr.build import View, build
from gtm.qbr.model import Deck

MEDIA_TYPES = {"pptx": "application/vnd.openxmlformats-officedocument.presentationml."
               "presentation", "pdf": "application/pdf"}


def render(deck: Deck, kind: str) -> bytes:
    """The deck as 'pptx' or 'pdf' bytes."""
    if kind == "pptx":
        from gtm.qbr import deck as pptx_renderer

        return pptx_renderer.render(deck)
    if kind == "pdf":
        from gtm.qbr import pdf

        return pdf.render(deck)
    raise ValueError(f"unknown pack format {kind!r}; expected pptx or pdf")


def pack(con, view: View, kind: str) -> bytes:
    """The QBR pack of a view as 'pptx' or 'pdf' bytes."""
    return render(build(con, view), kind)


def render_file(deck: Deck, out: Path) -> None:
    """Write the deck to out, its format from the suffix (.pptx or .pdf)."""
    data = render(deck, out.suffix.lower().lstrip("."))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)


__all__ = ["MEDIA_TYPES", "View", "build", "pack", "render", "render_file"]
