"""What every new organization gets from the gateway: its default AI resource and the built-in deployments."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tutela.gateway.deployments import service as deployments
from tutela.gateway.resources import service as resources


def provision_organization(db: Session, *, org_id: str) -> None:
    """Create the default AI resource with the built-in model and offline speech to text on it."""
    resource = resources.create_resource(db, org_id=org_id, name=resources.DEFAULT_RESOURCE)
    deployments.create_builtin(db, org_id=org_id, resource_id=resource.id)
