"""Photos and floor plans: stored once under their SHA-256, kinds read from the bytes, seen only
by those who may see the unit."""

import hashlib
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from cloud.errors import Forbidden, Invalid, NotFound
from cloud.identity.actor import Actor
from cloud.properties import files
from cloud.properties.models import FileKind, UnitFile
from tests.cloud.factories import World

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 16
PDF = b"%PDF-1.7\n" + b"\x00" * 32


@pytest.fixture
def store(tmp_path: Path) -> files.FileStore:
    return files.FileStore(tmp_path / "files")


def photo(
    session: Session,
    actor: Actor,
    store: files.FileStore,
    content: bytes = PNG,
    unit: str = "U-101",
) -> UnitFile:
    return files.add_unit_file(
        session=session,
        actor=actor,
        store=store,
        unit_code=unit,
        kind=FileKind.photo,
        name="../../门面.png",
        content=content,
        caption="门面",
    )


@pytest.mark.parametrize(
    ("content", "kind"),
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp"), (PDF, "application/pdf")],
)
def test_the_kind_comes_from_the_bytes(content: bytes, kind: str) -> None:
    assert files.sniff(content) == kind
    assert files.sniff(b"<html><script>") is None


def test_a_photo_is_stored_once_under_its_hash(
    session: Session, staff: Actor, world: World, store: files.FileStore
) -> None:
    first = photo(session, staff, store)
    second = photo(session, staff, store, unit="U-102")
    digest = hashlib.sha256(PNG).hexdigest()
    assert first.file.sha256 == second.file.sha256 == digest
    assert store.path(digest).read_bytes() == PNG
    assert [p.name for p in store.root.rglob("*") if p.is_file()] == [digest]
    assert (first.file.name, first.file.content_type, first.file.size_bytes) == (
        "门面.png",  # no directories from the uploader's name
        "image/png",
        len(PNG),
    )
    listed = files.list_unit_files(session=session, actor=staff, unit_code="U-101")
    assert [(f.kind, f.caption) for f in listed] == [(FileKind.photo, "门面")]


def test_a_floor_plan_may_be_a_pdf_and_a_photo_may_not(
    session: Session, staff: Actor, world: World, store: files.FileStore
) -> None:
    floor = files.set_floor_plan(
        session=session,
        actor=staff,
        store=store,
        site_code="site1",
        building_code="A",
        level=1,
        name="1F.pdf",
        content=PDF,
    )
    assert floor.plan_file_id is not None
    for bad in (PDF, b"<html>not a picture</html>", b""):
        with pytest.raises(Invalid) as raised:
            photo(session, staff, store, content=bad)
        assert raised.value.field == "file"


def test_who_may_add_and_open_files(
    session: Session, world: World, outsider: Actor, store: files.FileStore
) -> None:
    with pytest.raises(Forbidden):
        photo(session, world.actors["finance"], store)
    stored = photo(session, world.actors["admin"], store).file
    for reader in ("finance", "engineer", "tenant"):  # TA leases U-101
        found, path = files.open_file(
            session=session, actor=world.actors[reader], store=store, file_id=stored.id
        )
        assert path.read_bytes() == PNG and found.id == stored.id
    for stranger in (world.actors["tenant_b"], outsider):
        with pytest.raises(NotFound):
            files.open_file(session=session, actor=stranger, store=store, file_id=stored.id)
