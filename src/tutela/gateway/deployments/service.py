"""Creating, listing and resolving deployments into provider configurations."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from tutela.errors import Conflict, InvalidInput, NotFound
from tutela.gateway.deployments import sealing
from tutela.gateway.deployments.models import Deployment
from tutela.gateway.providers.base import DeploymentConfig
from tutela.gateway.providers.registry import ProviderRegistry
from tutela.gateway.wire.exceptions import ProviderConfigurationError
from tutela.runtime import Runtime
from tutela.storage.tenancy import get_owned, scoped

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
BUILTIN_DEPLOYMENT = "extractive"
BUILTIN_MODEL = "tutela-extractive-1"
SPEECH_DEPLOYMENT = "whisper"
SPEECH_MODEL = "whisper-tiny.en"
# The model name a built-in provider's deployment gets when none is given.
_DEFAULT_MODELS = {"extractive": BUILTIN_MODEL, "whisper": SPEECH_MODEL}


def _upstream_options(
    provider: str,
    *,
    model: str,
    base_url: str | None,
    api_key_env: str | None,
    api_version: str | None,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """Provider options from the CLI/API vocabulary (base URL, model, key variable, API version)."""
    options: dict[str, Any] = dict(extra)
    if provider == "openai":
        options |= {"base_url": base_url, "model": model}
    elif provider == "azure-openai":
        options |= {"endpoint": base_url, "deployment": model}
        if api_version:
            options["api_version"] = api_version
    if api_key_env:
        options["api_key_env"] = api_key_env
    return {k: v for k, v in options.items() if v is not None}


def create(
    runtime: Runtime,
    db: Session,
    *,
    registry: ProviderRegistry,
    org_id: str,
    resource_id: str,
    name: str,
    provider: str,
    model: str | None = None,
    base_url: str | None = None,
    api_key_env: str | None = None,
    api_key: str | None = None,
    api_version: str | None = None,
    extra_options: dict[str, Any] | None = None,
) -> Deployment:
    """Add a deployment, validating its options against the provider before anything is stored."""
    if not NAME_PATTERN.match(name):
        raise InvalidInput(
            "deployment names use letters, digits, '.', '_', ':' or '-' (max 64)", param="name"
        )
    if provider not in registry:
        raise InvalidInput(
            f"unknown provider {provider!r}; available: {', '.join(registry.names())}", param="provider"
        )
    if (
        db.scalars(
            scoped(Deployment, org_id).where(Deployment.resource_id == resource_id, Deployment.name == name)
        ).first()
        is not None
    ):
        raise Conflict(f"a deployment named {name!r} already exists on this resource", param="name")
    if provider == "extractive" and (extra_options or {}).get("pii", "off") != "off":
        raise InvalidInput("pii: the built-in model sends nothing off this machine", param="pii")
    model = model or _DEFAULT_MODELS.get(provider)
    if not model:
        raise InvalidInput(f"provider {provider!r} needs --model", param="model")
    options = _upstream_options(
        provider,
        model=model,
        base_url=base_url,
        api_key_env=api_key_env,
        api_version=api_version,
        extra=extra_options or {},
    )
    probe = DeploymentConfig(
        name=name, provider=provider, options=options | ({"api_key": api_key} if api_key else {})
    )
    try:
        registry.parse_options(probe)
    except ProviderConfigurationError as exc:
        raise InvalidInput(exc.message, param="options") from exc
    deployment = Deployment(
        org_id=org_id, resource_id=resource_id, name=name, provider=provider, model=model, options=options
    )
    db.add(deployment)
    db.flush()
    if api_key:
        _seal_key(runtime, db, deployment, api_key)
    return deployment


def create_builtin(db: Session, *, org_id: str, resource_id: str) -> Deployment:
    """The built-in deployments every new organization starts with: the extractive model (returned) and
    offline speech to text."""
    deployment = Deployment(
        org_id=org_id,
        resource_id=resource_id,
        name=BUILTIN_DEPLOYMENT,
        provider="extractive",
        model=BUILTIN_MODEL,
        options={},
    )
    db.add(deployment)
    db.add(
        Deployment(
            org_id=org_id,
            resource_id=resource_id,
            name=SPEECH_DEPLOYMENT,
            provider="whisper",
            model=SPEECH_MODEL,
            options={},
        )
    )
    db.flush()
    return deployment


def _seal_key(runtime: Runtime, db: Session, deployment: Deployment, api_key: str) -> None:
    key_id, sealed = sealing.seal_secret(
        runtime,
        db,
        org_id=deployment.org_id,
        owner=deployment.id,
        scope=f"deployment:{deployment.id}",
        secret=api_key,
    )
    deployment.api_key_data_key_id = key_id
    deployment.sealed_api_key = sealed
    db.flush()


def config(runtime: Runtime, db: Session, deployment: Deployment) -> DeploymentConfig:
    """The provider configuration of a deployment, with its sealed key opened (in memory only)."""
    options = dict(deployment.options)
    if deployment.sealed_api_key is not None and deployment.api_key_data_key_id is not None:
        options["api_key"] = sealing.open_secret(
            runtime,
            db,
            org_id=deployment.org_id,
            owner=deployment.id,
            key_id=deployment.api_key_data_key_id,
            sealed=deployment.sealed_api_key,
        )
    routing = deployment.routing or {}
    return DeploymentConfig(
        name=deployment.name,
        provider=deployment.provider,
        options=options,
        targets=tuple((t["deployment"], int(t["weight"])) for t in routing.get("targets", [])),
        fallbacks=tuple(routing.get("fallbacks", [])),
    )


def set_routing(
    db: Session,
    *,
    org_id: str,
    deployment_id: str,
    targets: list[tuple[str, int]],
    fallbacks: list[str],
) -> Deployment:
    """Name the deployments this one spreads over and falls back to: of the same AI resource only, so
    of the same organization and region (residency holds whatever is named)."""
    row = get(db, org_id=org_id, deployment_id=deployment_id)
    names = [name for name, _ in targets] + fallbacks
    if len(set(names)) != len(names):
        raise InvalidInput("a deployment may be named once among targets and fallbacks")
    siblings = {d.name for d in list_deployments(db, org_id=org_id, resource_id=row.resource_id)}
    for name in names:
        if name not in siblings:
            raise InvalidInput(f"no deployment {name[:64]!r} in this deployment's AI resource")
    row.routing = (
        {"targets": [{"deployment": n, "weight": w} for n, w in targets], "fallbacks": fallbacks}
        if names
        else None
    )
    db.flush()
    return row


def list_deployments(db: Session, *, org_id: str, resource_id: str | None = None) -> list[Deployment]:
    """Deployments of an organization (optionally of one resource), by name."""
    stmt = scoped(Deployment, org_id)
    if resource_id is not None:
        stmt = stmt.where(Deployment.resource_id == resource_id)
    return list(db.scalars(stmt.order_by(Deployment.name)))


def find(db: Session, *, org_id: str, resource_id: str, name: str) -> Deployment:
    """A deployment of a resource by name, or NotFound in OpenAI's words."""
    if not NAME_PATTERN.match(name):  # also keeps NUL bytes and the like away from the database
        raise NotFound(
            f"The model or deployment '{name[:64]}' does not exist or you do not have access to it.",
            param="model",
        )
    found = db.scalars(
        scoped(Deployment, org_id).where(Deployment.resource_id == resource_id, Deployment.name == name)
    ).one_or_none()
    if found is None:
        raise NotFound(
            f"The model or deployment '{name}' does not exist or you do not have access to it.", param="model"
        )
    return found


def get(db: Session, *, org_id: str, deployment_id: str) -> Deployment:
    """A deployment by id."""
    return get_owned(db, Deployment, deployment_id, org_id=org_id, what="deployment")


def delete(runtime: Runtime, db: Session, *, org_id: str, deployment_id: str) -> None:
    """Remove a deployment and destroy its sealed key."""
    deployment = get(db, org_id=org_id, deployment_id=deployment_id)
    if deployment.api_key_data_key_id:
        sealing.destroy_secret(runtime, org_id=org_id, key_id=deployment.api_key_data_key_id)
    db.delete(deployment)
    db.flush()
