"""AI resources and their API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tutela.core.auth import secrets
from tutela.errors import AuthenticationFailed, Conflict, NotFound
from tutela.gateway.resources.models import AIResource, ApiKey
from tutela.storage.tenancy import get_owned, scoped

DEFAULT_RESOURCE = "default"


def create_resource(db: Session, *, org_id: str, name: str) -> AIResource:
    """A new AI resource in the organization's region; it logs content only if the organization has not
    opted out of abuse monitoring's content logging."""
    from tutela.gateway.monitoring.service import get_policy  # monitoring builds on resources

    if db.scalars(scoped(AIResource, org_id).where(AIResource.name == name)).first() is not None:
        raise Conflict(f"an AI resource named {name!r} already exists", param="name")
    logging_on = get_policy(db, org_id=org_id).content_logging
    resource = AIResource(org_id=org_id, name=name, content_logging=logging_on)
    db.add(resource)
    db.flush()
    return resource


def get_resource(db: Session, *, org_id: str, resource_id: str) -> AIResource:
    """One resource of the organization."""
    return get_owned(db, AIResource, resource_id, org_id=org_id, what="AI resource")


def find_resource(db: Session, *, org_id: str, name: str) -> AIResource | None:
    """A resource by name."""
    return db.scalars(scoped(AIResource, org_id).where(AIResource.name == name)).one_or_none()


def list_resources(db: Session, *, org_id: str) -> list[AIResource]:
    """All resources of the organization."""
    return list(db.scalars(scoped(AIResource, org_id).order_by(AIResource.name)))


def create_key(
    db: Session, *, org_id: str, resource_id: str, name: str = "", expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """A new API key; the raw key is returned once and only its hash is kept."""
    get_resource(db, org_id=org_id, resource_id=resource_id)
    secret, secret_hash = secrets.new_secret()
    key = ApiKey(
        org_id=org_id, resource_id=resource_id, name=name, secret_hash=secret_hash, expires_at=expires_at
    )
    db.add(key)
    db.flush()
    return key, secrets.format_token("tk1", org_id=org_id, token_id=key.id, secret=secret)


def list_keys(db: Session, *, org_id: str, resource_id: str) -> list[ApiKey]:
    """Keys of one resource, newest first."""
    get_resource(db, org_id=org_id, resource_id=resource_id)
    stmt = scoped(ApiKey, org_id).where(ApiKey.resource_id == resource_id)
    return list(db.scalars(stmt.order_by(ApiKey.created_at.desc())))


def revoke_key(
    db: Session, *, org_id: str, key_id: str, now: datetime, resource_id: str | None = None
) -> ApiKey:
    """Revoke a key; it stops working at once. With `resource_id`, the key must belong to that resource."""
    key = get_owned(db, ApiKey, key_id, org_id=org_id, what="API key")
    if resource_id is not None and key.resource_id != resource_id:
        raise NotFound(f"API key {key_id!r} not found")  # same answer as an unknown id
    key.revoked_at = key.revoked_at or now
    db.flush()
    return key


def authenticate_key(db: Session, *, parsed: secrets.ParsedToken, now: datetime) -> ApiKey:
    """The live key behind a presented API key, or AuthenticationFailed saying why."""
    key = db.scalars(scoped(ApiKey, parsed.org_id).where(ApiKey.id == parsed.token_id)).one_or_none()
    if key is None or not secrets.secret_matches(key.secret_hash, parsed.secret):
        raise AuthenticationFailed("incorrect API key provided")
    if key.revoked_at is not None:
        raise AuthenticationFailed("this API key was revoked")
    if key.expires_at is not None and key.expires_at <= now:
        raise AuthenticationFailed("this API key has expired")
    if key.suspended:
        raise AuthenticationFailed(
            "this API key is suspended after an abuse review; contact your administrator"
        )
    return key
