"""Commands for the AI gateway's deployments."""

from __future__ import annotations

import json
import sys
from typing import Literal, TextIO

import click

from tutela.cli.common import domain_errors, main, open_runtime


@main.group()
def deployments() -> None:
    """Deployments of the AI gateway: model names mapped to providers."""


@deployments.command("create")
@click.option("--org", "org_name", required=True, help="Organization name, slug or id.")
@click.option("--name", required=True, help="The name clients pass as `model` (or the Azure deployment).")
@click.option(
    "--provider", required=True, type=click.Choice(["extractive", "whisper", "openai", "azure-openai"])
)
@click.option("--base-url", default=None, help="Upstream base URL (openai) or endpoint (azure-openai).")
@click.option("--model", default=None, help="Upstream model (openai) or Azure deployment name.")
@click.option(
    "--api-key-env", default=None, help="Environment variable holding the upstream key (never printed)."
)
@click.option(
    "--api-key-stdin", is_flag=True, help="Read the upstream key from stdin and store it encrypted."
)
@click.option("--api-version", default=None, help="Azure OpenAI api-version.")
@click.option(
    "--pii",
    type=click.Choice(["off", "pseudonymise"]),
    default=None,
    help="Swap e-mails, phone numbers, IBANs and card numbers for placeholders before the upstream.",
)
@click.option("--resource", "resource_name", default="default", help="AI resource (default: default).")
@domain_errors
def deployments_create(
    org_name: str,
    name: str,
    provider: str,
    base_url: str | None,
    model: str | None,
    api_key_env: str | None,
    api_key_stdin: bool,
    api_version: str | None,
    pii: str | None,
    resource_name: str,
) -> None:
    """Create a deployment; upstream secrets come from an environment variable or are stored encrypted."""
    from tutela.core.organizations import service as organizations
    from tutela.errors import NotFound
    from tutela.gateway.deployments import service as deployment_service
    from tutela.gateway.providers.registry import default_registry
    from tutela.gateway.resources import service as resources

    runtime = open_runtime()
    api_key = sys.stdin.readline().strip() if api_key_stdin else None
    org_id, _ = organizations.resolve(runtime, name_or_id=org_name)
    with runtime.region_session(org_id) as db:
        resource = resources.find_resource(db, org_id=org_id, name=resource_name)
        if resource is None:
            raise NotFound(f"AI resource {resource_name!r} not found")
        deployment = deployment_service.create(
            runtime,
            db,
            registry=default_registry(),
            org_id=org_id,
            resource_id=resource.id,
            name=name,
            provider=provider,
            model=model,
            base_url=base_url,
            api_key_env=api_key_env,
            api_key=api_key,
            api_version=api_version,
            extra_options={"pii": pii} if pii else None,
        )
        organizations.record(
            runtime,
            db,
            org_id=org_id,
            actor="cli",
            action="ai.deployment_created",
            target=f"deployment:{deployment.id}",
            details={"name": name, "provider": provider},
        )
    click.echo(f"created deployment {deployment.name} ({deployment.provider}, {deployment.model})")


@deployments.command("list")
@click.option("--org", "org_name", required=True, help="Organization name, slug or id.")
@domain_errors
def deployments_list(org_name: str) -> None:
    """List deployments: name, provider, model, resource, where the upstream key comes from, pii."""
    from tutela.core.organizations import service as organizations
    from tutela.gateway.deployments import service as deployment_service
    from tutela.gateway.resources import service as resources

    runtime = open_runtime()
    org_id, _ = organizations.resolve(runtime, name_or_id=org_name)
    with runtime.region_session(org_id) as db:
        names = {r.id: r.name for r in resources.list_resources(db, org_id=org_id)}
        for d in deployment_service.list_deployments(db, org_id=org_id):
            secret = (
                "stored encrypted"
                if d.sealed_api_key
                else f"env {d.options['api_key_env']}"
                if "api_key_env" in d.options
                else "none"
            )
            click.echo(
                f"{d.name}\t{d.provider}\t{d.model}\tresource={names.get(d.resource_id)}\tkey={secret}"
                f"\tpii={d.options.get('pii', 'off')}"
            )


@deployments.command("pii")
@click.option("--org", "org_name", required=True, help="Organization name, slug or id.")
@click.option("--name", required=True, help="The deployment.")
@click.option("--resource", "resource_name", default="default", help="AI resource (default: default).")
@click.option("--set", "mode", required=True, type=click.Choice(["off", "pseudonymise"]))
@domain_errors
def deployments_pii(
    org_name: str, name: str, resource_name: str, mode: Literal["off", "pseudonymise"]
) -> None:
    """Turn PII pseudonymisation before the upstream on or off for a deployment."""
    from tutela.core.organizations import service as organizations
    from tutela.errors import NotFound
    from tutela.gateway.deployments import service as deployment_service
    from tutela.gateway.pii import service as pii
    from tutela.gateway.providers.registry import default_registry
    from tutela.gateway.resources import service as resources

    runtime = open_runtime()
    org_id, _ = organizations.resolve(runtime, name_or_id=org_name)
    with runtime.region_session(org_id) as db:
        resource = resources.find_resource(db, org_id=org_id, name=resource_name)
        if resource is None:
            raise NotFound(f"AI resource {resource_name!r} not found")
        row = deployment_service.find(db, org_id=org_id, resource_id=resource.id, name=name)
        pii.set_mode(
            db,
            registry=default_registry(),
            org_id=org_id,
            resource_id=resource.id,
            deployment_id=row.id,
            mode=mode,
        )
        organizations.record(
            runtime,
            db,
            org_id=org_id,
            actor="cli",
            action="ai.deployment_pii_changed",
            target=f"deployment:{row.id}",
            details={"pii": mode},
        )
    click.echo(f"deployment {name}: pii {mode}")


@deployments.command("content-filter")
@click.option("--org", "org_name", required=True, help="Organization name, slug or id.")
@click.option("--name", required=True, help="The deployment.")
@click.option("--resource", "resource_name", default="default", help="AI resource (default: default).")
@click.option(
    "--set",
    "document",
    type=click.File("r"),
    default=None,
    help="Replace the filter with this JSON document ('-' for stdin), as the content-filter API takes it; "
    "service API keys in it are stored encrypted and never printed.",
)
@domain_errors
def deployments_content_filter(org_name: str, name: str, resource_name: str, document: TextIO | None) -> None:
    """Show (or, with --set, replace) a deployment's content filter and its external safety services."""
    from pydantic import ValidationError

    from tutela.core.organizations import service as organizations
    from tutela.errors import InvalidInput, NotFound
    from tutela.gateway.deployments import service as deployment_service
    from tutela.gateway.resources import service as resources
    from tutela.gateway.safety import service as safety
    from tutela.gateway.safety.external import configuration as external_config
    from tutela.gateway.safety.schemas import FilterSettings

    runtime = open_runtime()
    org_id, _ = organizations.resolve(runtime, name_or_id=org_name)
    with runtime.region_session(org_id) as db:
        resource = resources.find_resource(db, org_id=org_id, name=resource_name)
        if resource is None:
            raise NotFound(f"AI resource {resource_name!r} not found")
        row = deployment_service.find(db, org_id=org_id, resource_id=resource.id, name=name)
        if document is not None:
            try:
                settings = FilterSettings.model_validate_json(document.read())
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "document"
                raise InvalidInput(f"{where}: {first['msg']}") from None
            version = external_config.replace_filter(
                runtime, db, org_id=org_id, deployment_id=row.id, settings=settings
            )
            organizations.record(
                runtime,
                db,
                org_id=org_id,
                actor="cli",
                action="safety.content_filter_updated",
                target=f"deployment:{row.id}",
                details={"version": version, "settings": settings.model_dump()},
            )
        settings, version = safety.get_filter(db, org_id=org_id, deployment_id=row.id)
        sealed = external_config.sealed_names(db, org_id=org_id, deployment_id=row.id)
    click.echo(
        json.dumps({"version": version, "settings": settings.model_dump(), "sealed_keys": sealed}, indent=2)
    )
