"""What a document is made of: headings, paragraphs, label/value lists and tables of text.

A template is any function from its context to a `Document`; renderers know only these blocks,
so contracts, bills and invoices share one PDF and one HTML renderer.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

Align = Literal["left", "right", "center"]
C = TypeVar("C")


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1  # 0: the title, 1: a section, 2: a sub-section


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Fields:
    """Label: value lines (parties, dates), two columns without a heading row."""

    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: tuple[Align, ...] = ()  # per column; default left
    widths: tuple[int, ...] = ()  # relative; default equal

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"a row has {len(row)} cells for {len(self.columns)} columns")


Block = Heading | Paragraph | Fields | Table


@dataclass(frozen=True)
class Document:
    title: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)
    footer: str = ""


Template = Callable[[C], Document]
"""A template turns its context (whatever the caller's domain needs) into a document."""
