"""Photos and floor plans: bytes on disk under their SHA-256 (PARKOPS_FILES_DIR), a row each.

The kind of a file is read from its first bytes, not taken from the upload's word: JPEG, PNG
and WebP for photos, those or PDF for floor plans. A stored blob is written before the row
commits; a rolled-back upload leaves an unreferenced blob, which is harmless (same content,
same name) and may be swept later.
"""

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.errors import Invalid, NotFound
from cloud.identity.actor import Actor, require_role
from cloud.leasing import service as leasing_service
from cloud.properties import service as properties_service
from cloud.properties.models import FileKind, Floor, StoredFile, UnitFile

MAX_BYTES: Final = 20 * 1024 * 1024
IMAGE_TYPES: Final = frozenset({"image/jpeg", "image/png", "image/webp"})
ALLOWED: Final[dict[FileKind, frozenset[str]]] = {
    FileKind.photo: IMAGE_TYPES,
    FileKind.floor_plan: IMAGE_TYPES | {"application/pdf"},
}


@dataclass(frozen=True)
class FileStore:
    """Content-addressed files under `root`: `root/ab/abcdef…` for SHA-256 `abcdef…`."""

    root: Path

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, content: bytes) -> str:
        """Store `content` (once: same bytes, same file) and return its SHA-256."""
        digest = hashlib.sha256(content).hexdigest()
        target = self.path(digest)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            # Written aside and renamed, so a reader never sees half a file.
            fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(content)
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        return digest


def sniff(content: bytes) -> str | None:
    """The content type the bytes themselves declare, for the kinds we keep."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def add_unit_file(
    *,
    session: Session,
    actor: Actor,
    store: FileStore,
    unit_code: str,
    kind: FileKind,
    name: str,
    content: bytes,
    caption: str | None = None,
) -> UnitFile:
    """Attach a photo or floor plan to a unit."""
    require_role(actor, *properties_service.WRITE_ROLES)
    unit = properties_service.get_unit(session=session, actor=actor, code=unit_code)
    stored = _store(session, actor, store, kind=kind, name=name, content=content)
    unit_file = UnitFile(
        org_id=actor.org_id, unit_id=unit.id, file=stored, kind=kind, caption=caption
    )
    session.add(unit_file)
    session.flush()
    return unit_file


def list_unit_files(*, session: Session, actor: Actor, unit_code: str) -> list[UnitFile]:
    """A visible unit's photos and floor plans, oldest first."""
    unit = properties_service.get_unit(session=session, actor=actor, code=unit_code)
    stmt = select(UnitFile).where(UnitFile.org_id == actor.org_id, UnitFile.unit_id == unit.id)
    return list(session.scalars(stmt.order_by(UnitFile.id)))


def set_floor_plan(
    *,
    session: Session,
    actor: Actor,
    store: FileStore,
    site_code: str,
    building_code: str,
    level: int,
    name: str,
    content: bytes,
) -> Floor:
    """Give a floor its plan (replacing the one it had; the old file stays stored)."""
    require_role(actor, *properties_service.WRITE_ROLES)
    floor = properties_service.get_floor(
        session=session, actor=actor, site_code=site_code, building_code=building_code, level=level
    )
    stored = _store(session, actor, store, kind=FileKind.floor_plan, name=name, content=content)
    floor.plan_file_id = stored.id
    session.flush()
    return floor


def open_file(
    *, session: Session, actor: Actor, store: FileStore, file_id: int
) -> tuple[StoredFile, Path]:
    """A stored file's record and where its bytes are; a tenant only gets its units' files."""
    stmt = select(StoredFile).where(StoredFile.org_id == actor.org_id, StoredFile.id == file_id)
    if actor.is_tenant:
        units = leasing_service.visible_unit_ids(session=session, actor=actor)
        stmt = stmt.where(
            StoredFile.id.in_(select(UnitFile.file_id).where(UnitFile.unit_id.in_(units)))
        )
    stored = session.scalar(stmt)
    if stored is None:
        raise NotFound(f"file {file_id} not found")
    path = store.path(stored.sha256)
    if not path.exists():
        raise NotFound(f"file {file_id} is missing from the file store")
    return stored, path


def _store(
    session: Session, actor: Actor, store: FileStore, *, kind: FileKind, name: str, content: bytes
) -> StoredFile:
    if not content:
        raise Invalid("the file is empty", field="file")
    if len(content) > MAX_BYTES:
        raise Invalid(f"the file is over {MAX_BYTES // (1024 * 1024)} MiB", field="file")
    content_type = sniff(content)
    if content_type not in ALLOWED[kind]:
        allowed = ", ".join(sorted(ALLOWED[kind]))
        raise Invalid(f"a {kind} must be one of {allowed}", field="file")
    stored = StoredFile(
        org_id=actor.org_id,
        sha256=store.put(content),
        content_type=content_type,
        size_bytes=len(content),
        name=Path(name).name[:255] or "file",
        uploaded_by_id=actor.user_id,
    )
    session.add(stored)
    session.flush()
    return stored
