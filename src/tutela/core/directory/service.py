"""The directory: placing organizations in regions, and platform staff."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from tutela.core.directory.models import OrganizationPlacement, StaffMember
from tutela.errors import Conflict, InvalidInput, NotFound

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def slugify(name: str) -> str:
    """A URL-safe slug from an organization name."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:63].strip("-")
    if not SLUG_PATTERN.match(slug):
        raise InvalidInput(f"cannot derive a slug from {name!r}: use letters or digits", param="name")
    return slug


def place(db: Session, *, org_id: str, slug: str, region: str) -> OrganizationPlacement:
    """Record that a new organization lives in `region`."""
    if db.scalars(select(OrganizationPlacement).where(OrganizationPlacement.slug == slug)).first():
        raise Conflict(f"an organization named {slug!r} already exists", param="name")
    placement = OrganizationPlacement(id=org_id, slug=slug, region=region)
    db.add(placement)
    db.flush()
    return placement


def region_of(db: Session, *, org_id: str) -> str:
    """The region of an organization, or NotFound."""
    placement = db.get(OrganizationPlacement, org_id)
    if placement is None:
        raise NotFound(f"organization {org_id!r} not found")
    return placement.region


def find_by_slug(db: Session, *, slug: str) -> OrganizationPlacement:
    """An organization's placement by slug, or NotFound."""
    placement = db.scalars(
        select(OrganizationPlacement).where(OrganizationPlacement.slug == slug)
    ).one_or_none()
    if placement is None:
        raise NotFound(f"organization {slug!r} not found")
    return placement


def list_placements(db: Session) -> list[OrganizationPlacement]:
    """Every organization's placement, by slug."""
    return list(db.scalars(select(OrganizationPlacement).order_by(OrganizationPlacement.slug)))


def remove(db: Session, *, org_id: str) -> None:
    """Forget an organization's placement."""
    placement = db.get(OrganizationPlacement, org_id)
    if placement is not None:
        db.delete(placement)
        db.flush()


def find_staff(db: Session, *, email: str) -> StaffMember | None:
    """A staff member by email."""
    return db.scalars(select(StaffMember).where(StaffMember.email == email.lower())).one_or_none()


def staff_emails(db: Session) -> dict[str, str]:
    """Every platform staff member's email by id (how the audit log names the staff who acted)."""
    return {m.id: m.email for m in db.scalars(select(StaffMember))}
