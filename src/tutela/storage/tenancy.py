"""Tenant scoping: every organization-owned row carries `org_id`, and every read goes through these helpers.

There is no helper that selects a tenant-owned model without an organization, so a query that crosses tenants
cannot be written by accident. Another tenant's id gets the same NotFound as an id that never existed.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ForeignKey, Select, String, select
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from tutela.errors import NotFound
from tutela.storage.db import ID_LENGTH, is_valid_id


class TenantMixin:
    """Adds the owning organization; deleting the organization deletes the row."""

    @declared_attr
    def org_id(cls) -> Mapped[str]:
        return mapped_column(
            String(ID_LENGTH), ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=False
        )


T = TypeVar("T", bound=TenantMixin)


def scoped(model: type[T], org_id: str) -> Select[T]:
    """SELECT of `model` restricted to one organization."""
    column: Any = model.org_id
    return select(model).where(column == org_id)


def get_owned(db: Session, model: type[T], object_id: str, *, org_id: str, what: str) -> T:
    """Fetch one object of the organization by id, or raise NotFound naming `what`."""
    if not is_valid_id(object_id):
        raise NotFound(f"{what} {object_id!r} not found")
    column: Any = getattr(model, "id")  # noqa: B009 - every tenant model has an id; mixins cannot type it
    found = db.scalars(scoped(model, org_id).where(column == object_id)).one_or_none()
    if found is None:
        raise NotFound(f"{what} {object_id!r} not found")
    return found
