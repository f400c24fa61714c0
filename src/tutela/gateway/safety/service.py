"""Blocklists and deployment filter policies: management, and the compiled policy the gateway applies."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from tutela.errors import Conflict, InvalidInput, NotFound
from tutela.gateway.deployments import service as deployments
from tutela.gateway.deployments.models import Deployment
from tutela.gateway.safety.filtering_exceptions import InvalidPattern
from tutela.gateway.safety.models import Blocklist, BlocklistItem, ContentFilter
from tutela.gateway.safety.patterns import SafePattern, TermSet, check_term, compile_pattern
from tutela.gateway.safety.policies import service as policies
from tutela.gateway.safety.policies.rules import CompiledRule
from tutela.gateway.safety.schemas import BlocklistItemCreate, CompletionFilter, FilterSettings
from tutela.storage.tenancy import get_owned, scoped

if TYPE_CHECKING:
    from tutela.gateway.safety.external.runner import ConfiguredService

log = logging.getLogger(__name__)

MAX_BLOCKLISTS = 100
MAX_ITEMS = 1000
MAX_REGEX_ITEMS = 100


# --- blocklists ------------------------------------------------------------------------------------------


def list_blocklists(db: Session, *, org_id: str) -> list[Blocklist]:
    """The organization's blocklists, by name."""
    return list(db.scalars(scoped(Blocklist, org_id).order_by(Blocklist.name)))


def get_blocklist(db: Session, *, org_id: str, blocklist_id: str) -> Blocklist:
    """One blocklist."""
    return get_owned(db, Blocklist, blocklist_id, org_id=org_id, what="blocklist")


def items_of(db: Session, *, org_id: str, blocklist_id: str) -> list[BlocklistItem]:
    """The entries of a blocklist, oldest first."""
    stmt = scoped(BlocklistItem, org_id).where(BlocklistItem.blocklist_id == blocklist_id)
    return list(db.scalars(stmt.order_by(BlocklistItem.created_at, BlocklistItem.id)))


def _validate_item(item: BlocklistItemCreate) -> None:
    if item.kind == "regex":
        compile_pattern(item.pattern)
    else:
        check_term(item.pattern)


def create_blocklist(
    db: Session, *, org_id: str, name: str, description: str, items: list[BlocklistItemCreate]
) -> Blocklist:
    """A new blocklist with its first entries, each checked (InvalidPattern says which and why)."""
    if db.scalars(scoped(Blocklist, org_id).where(Blocklist.name == name)).first() is not None:
        raise Conflict(f"a blocklist named {name!r} already exists", param="name")
    if len(list_blocklists(db, org_id=org_id)) >= MAX_BLOCKLISTS:
        raise InvalidInput(f"an organization has at most {MAX_BLOCKLISTS} blocklists")
    blocklist = Blocklist(org_id=org_id, name=name, description=description)
    db.add(blocklist)
    db.flush()
    for item in items:
        add_item(db, org_id=org_id, blocklist_id=blocklist.id, item=item)
    return blocklist


def add_item(db: Session, *, org_id: str, blocklist_id: str, item: BlocklistItemCreate) -> BlocklistItem:
    """Add one term or pattern to a blocklist."""
    get_blocklist(db, org_id=org_id, blocklist_id=blocklist_id)
    existing = items_of(db, org_id=org_id, blocklist_id=blocklist_id)
    if len(existing) >= MAX_ITEMS:
        raise InvalidInput(f"a blocklist holds at most {MAX_ITEMS} entries")
    if item.kind == "regex" and sum(1 for i in existing if i.kind == "regex") >= MAX_REGEX_ITEMS:
        raise InvalidInput(f"a blocklist holds at most {MAX_REGEX_ITEMS} regular expressions")
    try:
        _validate_item(item)
    except InvalidPattern as exc:
        raise InvalidPattern(f"{item.pattern[:60]!r}: {exc.message}", param="pattern") from None
    row = BlocklistItem(org_id=org_id, blocklist_id=blocklist_id, kind=item.kind, pattern=item.pattern)
    db.add(row)
    db.flush()
    return row


def remove_item(db: Session, *, org_id: str, blocklist_id: str, item_id: str) -> None:
    """Remove one entry (the entry must belong to the blocklist)."""
    get_blocklist(db, org_id=org_id, blocklist_id=blocklist_id)
    row = get_owned(db, BlocklistItem, item_id, org_id=org_id, what="blocklist item")
    if row.blocklist_id != blocklist_id:
        raise NotFound(f"blocklist item {item_id!r} not found")
    db.delete(row)
    db.flush()


def delete_blocklist(db: Session, *, org_id: str, blocklist_id: str) -> Blocklist:
    """Remove a blocklist that no deployment's filter uses (Conflict names the deployments)."""
    blocklist = get_blocklist(db, org_id=org_id, blocklist_id=blocklist_id)
    users = []
    for row in db.scalars(scoped(ContentFilter, org_id)):
        settings = FilterSettings.model_validate(row.settings)
        if blocklist.name in settings.prompt.blocklists + settings.completion.blocklists:
            users.append(deployments.get(db, org_id=org_id, deployment_id=row.deployment_id).name)
    if users:
        raise Conflict(f"blocklist {blocklist.name!r} is used by deployments: {', '.join(sorted(users))}")
    db.delete(blocklist)
    db.flush()
    return blocklist


# --- deployment filters ----------------------------------------------------------------------------------


def deployment_of(db: Session, *, org_id: str, resource_id: str, deployment_id: str) -> Deployment:
    """A deployment of the given resource (NotFound otherwise, as for an unknown id)."""
    from tutela.gateway.resources import service as resources

    resources.get_resource(db, org_id=org_id, resource_id=resource_id)
    row = deployments.get(db, org_id=org_id, deployment_id=deployment_id)
    if row.resource_id != resource_id:
        raise NotFound(f"deployment {deployment_id!r} not found")
    return row


def get_filter(db: Session, *, org_id: str, deployment_id: str) -> tuple[FilterSettings, int]:
    """A deployment's settings and version (the defaults, version 0, when never set)."""
    row = db.scalars(
        scoped(ContentFilter, org_id).where(ContentFilter.deployment_id == deployment_id)
    ).first()
    if row is None:
        return FilterSettings(), 0
    return FilterSettings.model_validate(row.settings), row.version


def set_filter(db: Session, *, org_id: str, deployment_id: str, settings: FilterSettings) -> int:
    """Replace a deployment's filter; attached blocklists must exist. Returns the new version."""
    known = {b.name for b in list_blocklists(db, org_id=org_id)}
    for direction, names in (
        ("prompt", settings.prompt.blocklists),
        ("completion", settings.completion.blocklists),
    ):
        missing = sorted(set(names) - known)
        if missing:
            raise InvalidInput(f"no blocklist named {missing[0]!r}", param=f"{direction}.blocklists")
    row = db.scalars(
        scoped(ContentFilter, org_id).where(ContentFilter.deployment_id == deployment_id)
    ).first()
    if row is None:
        row = ContentFilter(org_id=org_id, deployment_id=deployment_id, version=0)
        db.add(row)
    row.settings = settings.model_dump()
    row.version = (row.version or 0) + 1
    db.flush()
    return row.version


# --- what the gateway applies ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledBlocklist:
    """A blocklist ready to match: exact terms on words, patterns under a deadline."""

    name: str
    terms: TermSet
    patterns: tuple[SafePattern, ...]

    def matches(self, text: str, *, deadline: float | None) -> bool:
        """True when a term or pattern occurs; PatternBudgetExceeded past the deadline."""
        return self.terms.search(text) or any(p.search(text, deadline=deadline) for p in self.patterns)


@dataclass(frozen=True)
class CompiledFilter:
    """A deployment's policy with its blocklists and (if used) the organization's rules compiled."""

    settings: FilterSettings
    blocklists: dict[str, CompiledBlocklist] = field(default_factory=dict)
    rules: tuple[CompiledRule, ...] = ()
    services: tuple[ConfiguredService, ...] = ()  # external safety services, ready to call
    loaded_at: float = field(default_factory=time.monotonic)
    deployment_id: str | None = None


def _compile_blocklist(db: Session, *, org_id: str, blocklist: Blocklist) -> CompiledBlocklist:
    terms: list[str] = []
    patterns: list[SafePattern] = []
    for item in items_of(db, org_id=org_id, blocklist_id=blocklist.id):
        if item.kind == "regex":
            try:
                patterns.append(compile_pattern(item.pattern))
            except InvalidPattern:
                log.warning("blocklist item %s no longer compiles; skipped", item.id)
        else:
            terms.append(item.pattern)
    return CompiledBlocklist(name=blocklist.name, terms=TermSet(terms), patterns=tuple(patterns))


def compiled_filter(db: Session, *, org_id: str, resource_id: str, deployment: str) -> CompiledFilter:
    """What the screen applies to a deployment (by name, within the caller's resource)."""
    try:
        row = deployments.find(db, org_id=org_id, resource_id=resource_id, name=deployment)
    except NotFound:
        return CompiledFilter(settings=FilterSettings())
    settings, version = get_filter(db, org_id=org_id, deployment_id=row.id)
    if version == 0 and row.provider == "extractive":
        # The built-in model only returns sentences of its prompt, which was screened already.
        off = CompletionFilter(hate="off", sexual="off", violence="off", self_harm="off")
        settings = FilterSettings(prompt=settings.prompt, completion=off)
    names = set(settings.prompt.blocklists) | set(settings.completion.blocklists)
    blocklists = {
        b.name: _compile_blocklist(db, org_id=org_id, blocklist=b)
        for b in list_blocklists(db, org_id=org_id)
        if b.name in names
    }
    uses_rules = settings.prompt.organization_policies != "off" or (
        settings.completion.organization_policies != "off"
    )
    rules = tuple(policies.compiled_rules(db, org_id=org_id)) if uses_rules else ()
    return CompiledFilter(settings=settings, blocklists=blocklists, rules=rules, deployment_id=row.id)
