"""Who may call the gateway: API keys resolved to an organization, its region and an AI resource.

The hot path must not cost a database round trip per request, so key checks and deployment configs are cached
per process for `gateway.access_cache_seconds` (2 s by default). The cache holds only the key's hash and ids,
never a secret in the clear. Expiry is re-checked against the clock on every call.
"""

from __future__ import annotations

import hmac
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from tutela.core.auth import secrets
from tutela.core.organizations.models import Organization
from tutela.errors import NotFound, TutelaError
from tutela.gateway.resources.models import AIResource
from tutela.gateway.resources.service import authenticate_key
from tutela.gateway.safety.schemas import Level
from tutela.gateway.wire.exceptions import AuthenticationError, PermissionDeniedError
from tutela.runtime import Runtime


@dataclass(frozen=True)
class Caller:
    """An authenticated gateway caller.

    `document_filter` is set only on the product's own in-process callers (`caller_for_org`, no key): the
    level from which the organization's documents in a prompt are refused, in place of the deployment's
    prompt thresholds. A caller with an API key never carries one, so no key can loosen its filter.
    `library_documents` too is only the product's: acting for a signed-in user, the ids of the documents
    that user may see (L5), to which `tutela_library` retrieval keeps (none when not given).
    """

    org_id: str
    region: str
    resource_id: str
    key_id: str
    content_logging: bool
    document_filter: Level | None = None
    user_id: str = ""
    library_documents: frozenset[str] | None = None


@dataclass(frozen=True)
class _Entry:
    secret_hash: bytes
    caller: Caller
    expires_at: datetime | None
    ai_enabled: bool
    fetched: float


class AccessCache:
    """Authenticates API keys, with a short per-process cache."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.ttl = runtime.settings.gateway.access_cache_seconds
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def authenticate(self, raw_key: str) -> Caller:
        """The caller behind a presented key, or an OpenAI-shaped 401/403."""
        try:
            parsed = secrets.parse_token(raw_key)
        except TutelaError:
            raise AuthenticationError("Incorrect API key provided.", code="invalid_api_key") from None
        if parsed.kind != "api_key":
            raise AuthenticationError(
                "Incorrect API key provided: use a gateway API key, not a user token.", code="invalid_api_key"
            )
        entry = self._entries.get(parsed.token_id)
        if entry is None or time.monotonic() - entry.fetched > self.ttl:
            entry = self._load(parsed)
        if not hmac.compare_digest(entry.secret_hash, secrets.hash_secret(parsed.secret)):
            raise AuthenticationError("Incorrect API key provided.", code="invalid_api_key")
        if entry.expires_at is not None and entry.expires_at <= self.runtime.clock.now():
            raise AuthenticationError("This API key has expired.", code="invalid_api_key")
        if not entry.ai_enabled:
            raise PermissionDeniedError(
                "AI features are switched off for this organization.", code="ai_disabled"
            )
        return entry.caller

    def _load(self, parsed: secrets.ParsedToken) -> _Entry:
        try:
            region = self.runtime.region_of(parsed.org_id)
        except NotFound:
            raise AuthenticationError("Incorrect API key provided.", code="invalid_api_key") from None
        with region.db.session() as db:
            try:
                key = authenticate_key(db, parsed=parsed, now=self.runtime.clock.now())
            except TutelaError as exc:
                raise AuthenticationError(
                    exc.message[:1].upper() + exc.message[1:] + ".", code="invalid_api_key"
                ) from None
            org = db.get(Organization, key.org_id)
            resource = db.get(AIResource, key.resource_id)
            if org is None or resource is None:
                raise AuthenticationError("Incorrect API key provided.", code="invalid_api_key")
            caller = Caller(
                org_id=org.id,
                region=region.name,
                resource_id=resource.id,
                key_id=key.id,
                content_logging=resource.content_logging,
            )
            entry = _Entry(
                secret_hash=key.secret_hash,
                caller=caller,
                expires_at=key.expires_at,
                ai_enabled=org.ai_enabled,
                fetched=time.monotonic(),
            )
        with self._lock:
            self._entries[parsed.token_id] = entry
        return entry


def caller_for_org(
    runtime: Runtime,
    org_id: str,
    *,
    resource: str = "default",
    user_id: str = "",
    library_documents: frozenset[str] | None = None,
) -> Caller:
    """An in-process caller for an organization's AI resource (authoring's own use, no API key), screening
    the organization's documents at its authoring document filter and counting against `user_id`'s limits;
    it retrieves from the library's `library_documents` only (the documents the user may see)."""
    from tutela.gateway.resources.service import find_resource

    region = runtime.region_of(org_id)
    with region.db.session() as db:
        org = db.get(Organization, org_id)
        found = find_resource(db, org_id=org_id, name=resource) if org is not None else None
        if org is None or found is None:
            raise NotFound(f"AI resource {resource!r} of organization {org_id!r} not found")
        if not org.ai_enabled:
            raise PermissionDeniedError(
                "AI features are switched off for this organization.", code="ai_disabled"
            )
        return Caller(
            org_id=org.id,
            region=region.name,
            resource_id=found.id,
            key_id="",  # no key: the product itself calls, on the organization's behalf
            content_logging=found.content_logging,
            document_filter=cast(Level, org.authoring_document_filter),
            user_id=user_id,
            library_documents=library_documents,
        )
