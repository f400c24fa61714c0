"""Turning pseudonymisation on or off for a deployment."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tutela.errors import InvalidInput, NotFound
from tutela.gateway.deployments import service as deployments
from tutela.gateway.deployments.models import Deployment
from tutela.gateway.pii.provider import PiiMode
from tutela.gateway.providers.base import DeploymentConfig
from tutela.gateway.providers.registry import ProviderRegistry
from tutela.gateway.wire.exceptions import ProviderConfigurationError


def set_mode(
    db: Session,
    *,
    registry: ProviderRegistry,
    org_id: str,
    resource_id: str,
    deployment_id: str,
    mode: PiiMode,
) -> Deployment:
    """Set a deployment's ``pii`` option; only providers that send requests off the machine take it."""
    row = deployments.get(db, org_id=org_id, deployment_id=deployment_id)
    if row.resource_id != resource_id:
        raise NotFound(f"deployment {deployment_id!r} not found")
    if row.provider == "extractive":
        raise InvalidInput("pii: the built-in model sends nothing off this machine", param="pii")
    options = {**row.options, "pii": mode}
    try:
        registry.parse_options(DeploymentConfig(name=row.name, provider=row.provider, options=options))
    except ProviderConfigurationError:
        raise InvalidInput(f"pii: provider {row.provider!r} does not support it", param="pii") from None
    row.options = options  # a new dict, so the JSON column is written
    db.flush()
    return row
