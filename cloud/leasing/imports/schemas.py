"""What an import reports."""

from pydantic import BaseModel, Field


class RowProblem(BaseModel):
    sheet: str
    row: int = Field(description="the row number Excel shows (the header is row 1)")
    code: str | None = Field(description="the code in the row, when it has one")
    reason: str


class ImportReport(BaseModel):
    dry_run: bool
    applied: bool = Field(description="true when the rows are stored: all or nothing")
    rows: int = Field(description="rows read")
    good: dict[str, int] = Field(description="rows without a problem, by sheet")
    problems: list[RowProblem]
