"""Reading a PDF back with a third-party reader (Debian's poppler-utils), as a person's viewer
would: text that does not come out of it was not really in the PDF."""

import shutil
import subprocess

from tests.conftest import need_service


def pdf_text(content: bytes) -> str:
    """The text of a PDF, by `pdftotext -layout`; lines kept."""
    if shutil.which("pdftotext") is None:
        need_service("no pdftotext (apt-get install poppler-utils)")
    done = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=content,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return done.stdout.decode("utf-8")


def pdf_fonts(content: bytes) -> str:
    """`pdffonts` of a PDF: which fonts it uses and whether they are embedded."""
    if shutil.which("pdffonts") is None:
        need_service("no pdffonts (apt-get install poppler-utils)")
    done = subprocess.run(
        ["pdffonts", "-"], input=content, capture_output=True, check=True, timeout=60
    )
    return done.stdout.decode("utf-8")
