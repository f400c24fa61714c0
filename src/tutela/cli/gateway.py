"""Commands for the AI gateway's deployments."""

from __future__ import annotations

import sys

import click

from tutela.cli.common import domain_errors, main, open_runtime


@main.group()
def deployments() -> None:
    """Deployments of the AI gateway: model names mapped to providers."""


@deployments.command("create")
@click.option("--org", "org_name", required=True, help="Organization name, slug or id.")
@click.option("--name", required=True, help="The name clients pass as `model` (or the Azure deployment).")
@click.option("--provider", required=True, type=click.Choice(["extractive", "openai", "azure-openai"]))
@click.option("--base-url", default=None, help="Upstream base URL (openai) or endpoint (azure-openai).")
@click.option("--model", default=None, help="Upstream model (openai) or Azure deployment name.")
@click.option(
    "--api-key-env", default=None, help="Environment variable holding the upstream key (never printed)."
)
@click.option(
    "--api-key-stdin", is_flag=True, help="Read the upstream key from stdin and store it encrypted."
)
@click.option("--api-version", default=None, help="Azure OpenAI api-version.")
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
    """List deployments: name, provider, model, resource, and where the upstream key comes from."""
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
            )
