"""A rendered document as an HTTP response: shown inline under its own file name, with the
reason in `X-Document-Note` when it is HTML instead of the PDF asked for."""

from typing import Any

from fastapi import Response

from cloud.documents.render import Rendered

NOTE_HEADER = "X-Document-Note"
OPENAPI: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            "text/html": {"schema": {"type": "string"}},
        },
        "description": "the document, PDF or printable HTML",
    }
}


def document_response(rendered: Rendered, name: str) -> Response:
    headers = {"Content-Disposition": f'inline; filename="{name}.{rendered.extension}"'}
    if rendered.note:
        headers[NOTE_HEADER] = rendered.note
    return Response(rendered.content, media_type=rendered.media_type, headers=headers)
