"""Configuring a deployment's external services: residency, keys sealed like upstream keys, never in clear.

`replace_filter` is the one way to change a deployment's content filter with its services (API and CLI).

A key given in a PUT is sealed under its own data key (scope `safety-service:<deployment>:<name>`) with
`gateway.deployments.sealing`, the same code that seals upstream API keys. A PUT without a key keeps the
sealed one only while the service's kind and address are unchanged, so a key is never sent anywhere it was
not given for. A service removed from the filter has its data key destroyed.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from tutela.config import RegionSettings
from tutela.errors import InvalidInput
from tutela.gateway.deployments import sealing
from tutela.gateway.safety import service as safety
from tutela.gateway.safety.external.models import SafetyServiceKey
from tutela.gateway.safety.external.runner import AnyServiceSettings, allowed_jurisdictions
from tutela.gateway.safety.external.schemas import NEEDS_KEY
from tutela.gateway.safety.schemas import FilterSettings
from tutela.runtime import Runtime
from tutela.storage.tenancy import scoped


def _address(settings: AnyServiceSettings) -> tuple[str, str]:
    url = getattr(settings, "endpoint", None) or getattr(settings, "base_url", "")
    return settings.kind, str(url).rstrip("/")


def _rows(db: Session, *, org_id: str, deployment_id: str) -> dict[str, SafetyServiceKey]:
    stmt = scoped(SafetyServiceKey, org_id).where(SafetyServiceKey.deployment_id == deployment_id)
    return {row.service: row for row in db.scalars(stmt)}


def check_services(services: Sequence[AnyServiceSettings], *, region: RegionSettings) -> None:
    """Unique names, and only jurisdictions the region allows (InvalidInput names the service)."""
    allowed = allowed_jurisdictions(region)
    seen: set[str] = set()
    for index, service in enumerate(services):
        if service.name in seen:
            raise InvalidInput(f"two services are named {service.name!r}", param=f"services[{index}].name")
        seen.add(service.name)
        if service.jurisdiction not in allowed:
            raise InvalidInput(
                f"service {service.name!r} is in {service.jurisdiction!r}; region {region.name!r} sends text "
                f"for screening only to: {', '.join(sorted(allowed))}",
                param=f"services[{index}].jurisdiction",
            )


def save_keys(
    runtime: Runtime,
    db: Session,
    *,
    org_id: str,
    deployment_id: str,
    services: Sequence[AnyServiceSettings],
    previous: Sequence[AnyServiceSettings],
) -> None:
    """Seal new keys, keep the ones still valid, destroy the rest (see the module docstring)."""
    rows = _rows(db, org_id=org_id, deployment_id=deployment_id)
    before = {s.name: _address(s) for s in previous}
    keep: set[str] = set()
    for index, service in enumerate(services):
        row = rows.get(service.name)
        if service.api_key is not None:
            if row is not None:
                _drop(runtime, db, row)
            key_id, sealed = sealing.seal_secret(
                runtime,
                db,
                org_id=org_id,
                owner=f"{deployment_id}:{service.name}",
                scope=f"safety-service:{deployment_id}:{service.name}",
                secret=service.api_key.get_secret_value(),
            )
            db.add(
                SafetyServiceKey(
                    org_id=org_id,
                    deployment_id=deployment_id,
                    service=service.name,
                    data_key_id=key_id,
                    sealed_key=sealed,
                )
            )
            keep.add(service.name)
        elif row is not None and before.get(service.name) == _address(service):
            keep.add(service.name)
        elif service.kind in NEEDS_KEY and not service.api_key_env:
            changed = " (its kind or address changed)" if row is not None else ""
            raise InvalidInput(
                f"service {service.name!r} needs api_key or api_key_env{changed}",
                param=f"services[{index}].api_key",
            )
    for name, row in rows.items():
        if name not in keep:
            _drop(runtime, db, row)
    db.flush()


def _drop(runtime: Runtime, db: Session, row: SafetyServiceKey) -> None:
    sealing.destroy_secret(runtime, org_id=row.org_id, key_id=row.data_key_id)
    db.delete(row)
    db.flush()


def sealed_names(db: Session, *, org_id: str, deployment_id: str) -> list[str]:
    """The services of a deployment whose key Tutela keeps (names only)."""
    return sorted(_rows(db, org_id=org_id, deployment_id=deployment_id))


def open_keys(runtime: Runtime, db: Session, *, org_id: str, deployment_id: str) -> dict[str, str]:
    """The sealed keys of a deployment's services, opened (in memory only, for the gateway)."""
    return {
        name: sealing.open_secret(
            runtime,
            db,
            org_id=org_id,
            owner=f"{deployment_id}:{name}",
            key_id=row.data_key_id,
            sealed=row.sealed_key,
        )
        for name, row in _rows(db, org_id=org_id, deployment_id=deployment_id).items()
    }


def destroy_keys(runtime: Runtime, db: Session, *, org_id: str, deployment_id: str) -> None:
    """Destroy every service key of a deployment (before the deployment itself is deleted)."""
    for row in _rows(db, org_id=org_id, deployment_id=deployment_id).values():
        _drop(runtime, db, row)


def replace_filter(
    runtime: Runtime, db: Session, *, org_id: str, deployment_id: str, settings: FilterSettings
) -> int:
    """Check the services against the region, store the filter, seal or keep their keys; the new version."""
    check_services(settings.services, region=runtime.region_of(org_id).settings)
    previous, _ = safety.get_filter(db, org_id=org_id, deployment_id=deployment_id)
    version = safety.set_filter(db, org_id=org_id, deployment_id=deployment_id, settings=settings)
    save_keys(
        runtime,
        db,
        org_id=org_id,
        deployment_id=deployment_id,
        services=settings.services,
        previous=previous.services,
    )
    return version
