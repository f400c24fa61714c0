"""Prices per deployment (per million tokens in and per million out, in one currency) and the estimated
cost of usage rows at today's prices.

A price is kept as whole millionths of its currency per million tokens, so sums are exact. A usage row
names its deployment by name; the deployment is the one of the row's key's AI resource, or, for the
product's own calls (no key), of the `default` resource the product calls.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tutela.core.organizations import service as organizations
from tutela.gateway.deployments import service as deployments
from tutela.gateway.deployments.models import Deployment
from tutela.gateway.resources.models import ApiKey
from tutela.gateway.resources.service import find_resource
from tutela.gateway.usage.models import DailyUsage
from tutela.runtime import Runtime
from tutela.storage.tenancy import scoped

MICROS = 1_000_000
PRODUCT_RESOURCE = "default"  # the resource the product's own calls use (gateway/access.caller_for_org)


@dataclass(frozen=True)
class Price:
    """What a million tokens cost, in millionths of `currency`."""

    input_micros: int
    output_micros: int
    currency: str

    @property
    def input_per_million(self) -> float:
        """The price of a million prompt tokens."""
        return self.input_micros / MICROS

    @property
    def output_per_million(self) -> float:
        """The price of a million completion tokens."""
        return self.output_micros / MICROS

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        """The estimated cost of these tokens, rounded to a millionth of the currency."""
        total = prompt_tokens * self.input_micros + completion_tokens * self.output_micros
        return round(total / MICROS / MICROS, 6)


def price_of(row: Deployment) -> Price | None:
    """A deployment's price, if an admin set one."""
    if row.price_currency is None or row.price_input_micros is None or row.price_output_micros is None:
        return None
    return Price(row.price_input_micros, row.price_output_micros, row.price_currency)


def set_price(
    runtime: Runtime,
    db: Session,
    *,
    org_id: str,
    actor: str,
    deployment_id: str,
    input_per_million: float,
    output_per_million: float,
    currency: str,
) -> Deployment:
    """Set the price of one of the organization's deployments (another tenant's id: NotFound). Audited."""
    row = deployments.get(db, org_id=org_id, deployment_id=deployment_id)
    before = price_of(row)
    row.price_input_micros = round(input_per_million * MICROS)
    row.price_output_micros = round(output_per_million * MICROS)
    row.price_currency = currency
    details: dict[str, object] = {
        "deployment": row.name,
        "input_per_million": f"{row.price_input_micros / MICROS:g} {currency}",
        "output_per_million": f"{row.price_output_micros / MICROS:g} {currency}",
    }
    if before is not None:
        was = (before.input_per_million, before.output_per_million, before.currency)
        details["before"] = "{:g} in, {:g} out {}".format(*was)
    _record(runtime, db, row, actor, "ai.deployment_price_set", details)
    return row


def clear_price(runtime: Runtime, db: Session, *, org_id: str, actor: str, deployment_id: str) -> Deployment:
    """Remove a deployment's price: its usage has no estimated cost any more. Audited."""
    row = deployments.get(db, org_id=org_id, deployment_id=deployment_id)
    row.price_input_micros = row.price_output_micros = None
    row.price_currency = None
    _record(runtime, db, row, actor, "ai.deployment_price_removed", {"deployment": row.name})
    return row


def _record(
    runtime: Runtime, db: Session, row: Deployment, actor: str, action: str, details: dict[str, object]
) -> None:
    db.flush()
    target = f"deployment:{row.id}"
    organizations.record(
        runtime, db, org_id=row.org_id, actor=actor, action=action, target=target, details=details
    )


@dataclass(frozen=True)
class CostedUsage:
    """A usage row with its estimated cost (None when its deployment has no price)."""

    row: DailyUsage
    estimated_cost: float | None
    currency: str | None


def costed(db: Session, *, org_id: str, rows: list[DailyUsage]) -> list[CostedUsage]:
    """The rows with their estimated cost at the deployments' current prices."""
    prices = {
        (d.resource_id, d.name): price
        for d in db.scalars(scoped(Deployment, org_id))
        if (price := price_of(d)) is not None
    }
    if not prices:
        return [CostedUsage(row, None, None) for row in rows]
    pairs = db.execute(select(ApiKey.id, ApiKey.resource_id).where(ApiKey.org_id == org_id))
    key_resources = {key_id: resource_id for key_id, resource_id in pairs}
    product = find_resource(db, org_id=org_id, name=PRODUCT_RESOURCE)
    product_id = product.id if product is not None else ""
    result = []
    for row in rows:
        resource_id = key_resources.get(row.key_id, "") if row.key_id else product_id
        price = prices.get((resource_id, row.deployment))
        if price is None:
            result.append(CostedUsage(row, None, None))
        else:
            cost = price.cost(row.prompt_tokens, row.completion_tokens)
            result.append(CostedUsage(row, cost, price.currency))
    return result
