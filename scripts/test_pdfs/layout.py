"""What the paper and the book share: paragraph styles and a document that records where things land."""

from __future__ import annotations

import re
from typing import Any

from reportlab.lib.enums import TA_JUSTIFY
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Paragraph,
)

# --- shared layout ------------------------------------------------------------------------------------


def style(name: str, **kwargs: Any) -> ParagraphStyle:
    base = {"fontName": "Times-Roman", "fontSize": 10.5, "leading": 13.5, "alignment": TA_JUSTIFY}
    return ParagraphStyle(name, **{**base, **kwargs})


class Mark(Flowable):  # type: ignore[misc]
    """A zero-size flowable that sets a value on the document when it is laid out (running heads)."""

    def __init__(self, key: str, value: Any) -> None:
        super().__init__()
        self.key, self.value = key, value

    def wrap(self, *_: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        setattr(self.canv._doctemplate, self.key, self.value)


class Recorder(BaseDocTemplate):  # type: ignore[misc]
    """A document that remembers on which page each marked flowable landed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.landed: list[tuple[int, Any]] = []
        self.running = ""

    def afterFlowable(self, flowable: Any) -> None:
        for item in [flowable, *getattr(flowable, "_content", [])]:
            tag = getattr(item, "tag", None)
            if tag is not None:
                self.landed.append((self.page, tag))


def tagged(text: str, paragraph_style: ParagraphStyle, tag: Any) -> Paragraph:
    paragraph = Paragraph(text, paragraph_style)
    paragraph.tag = tag
    return paragraph


def plain(markup: str) -> str:
    return re.sub(r"<[^>]+>", "", markup).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
