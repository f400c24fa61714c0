"""The organization's AI resources, keys and deployments in words, by the `kind:id` a limit or an audit
entry names them with (`key:<id>` → "API key ci-bot of resource default")."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tutela.gateway.deployments.models import Deployment
from tutela.gateway.resources.models import AIResource, ApiKey
from tutela.storage.tenancy import scoped


def key_name(key: ApiKey, resource: str) -> str:
    """One API key in words: its name (or the start of its id) and its resource."""
    name = key.name or f"{key.id[:8]}…"
    revoked = " (revoked)" if key.revoked_at is not None else ""
    return f"API key {name} of resource {resource}{revoked}"


def gateway_names(db: Session, *, org_id: str) -> dict[str, str]:
    """`resource:<id>`, `key:<id>`, `deployment:<id>` and `organization:<id>` of an organization in words."""
    resources = {r.id: r.name for r in db.scalars(scoped(AIResource, org_id))}
    names = {f"resource:{i}": f"AI resource {name}" for i, name in resources.items()}
    keys = db.scalars(scoped(ApiKey, org_id))
    names |= {f"key:{k.id}": key_name(k, resources.get(k.resource_id, "?")) for k in keys}
    names |= {
        f"deployment:{d.id}": f"deployment {d.name} of resource {resources.get(d.resource_id, '?')}"
        for d in db.scalars(scoped(Deployment, org_id))
    }
    names[f"organization:{org_id}"] = "the whole organization"
    return names
