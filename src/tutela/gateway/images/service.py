"""Keeping generated images behind links: sealed at rest in the organization's region, expiring, per resource.

A link names an image id only; fetching it needs an API key of the same organization and AI resource that
generated it, so a link that leaks to another tenant (or to anyone without the key) opens nothing. The image
is a `storage.objects` object: its own data key, wrapped by the service key and the organization's key if it
has one, ciphertext in the region's blob store. An expired image is deleted (key first) when it is next
asked for, and by the gateway's scheduled purge.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tutela.gateway.images.models import GeneratedImage
from tutela.runtime import Runtime
from tutela.storage import objects
from tutela.storage.tenancy import scoped

PURPOSE = "gateway-image"


def keep(
    runtime: Runtime,
    db: Session,
    *,
    org_id: str,
    resource_id: str,
    data: bytes,
    content_type: str,
) -> GeneratedImage:
    """Seal an image in the organization's region and return the row its link names."""
    stored = objects.put(runtime, db, org_id=org_id, purpose=PURPOSE, data=data, content_type=content_type)
    lifetime = timedelta(seconds=runtime.settings.gateway.image_link_seconds)
    image = GeneratedImage(
        org_id=org_id,
        resource_id=resource_id,
        object_id=stored.id,
        content_type=content_type,
        expires_at=runtime.clock.now() + lifetime,
    )
    db.add(image)
    db.flush()
    return image


def open_image(
    runtime: Runtime, db: Session, *, org_id: str, resource_id: str, image_id: str
) -> tuple[bytes, str] | None:
    """The bytes and media type of an image, for a caller of the resource that generated it.

    None when there is no such image for this caller, or it has expired (then it is deleted now).
    """
    image = db.scalars(
        scoped(GeneratedImage, org_id).where(
            GeneratedImage.id == image_id, GeneratedImage.resource_id == resource_id
        )
    ).one_or_none()
    if image is None:
        return None
    if image.expires_at <= runtime.clock.now():
        _delete(runtime, db, image)
        return None
    return objects.read(runtime, db, org_id=org_id, object_id=image.object_id), image.content_type


def purge_expired(runtime: Runtime, *, now: datetime | None = None) -> int:
    """Delete every expired image (its key destroyed first) in every region; the number deleted."""
    now = now or runtime.clock.now()
    deleted = 0
    for region in runtime.regions.values():
        with region.db.session() as db:
            expired = list(db.scalars(select(GeneratedImage).where(GeneratedImage.expires_at <= now)))
            for image in expired:
                _delete(runtime, db, image)
            deleted += len(expired)
        region.db.checkpoint()
    return deleted


def _delete(runtime: Runtime, db: Session, image: GeneratedImage) -> None:
    objects.delete(runtime, db, org_id=image.org_id, object_id=image.object_id)
    db.delete(image)
    db.flush()
