"""Request and response bodies of the core REST API (XCreate / XUpdate / XRead families)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from tutela.core.permissions.roles import Permission, Role


class Body(BaseModel):
    """Request bodies reject unknown fields, so a typo is an error rather than a silent no-op."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Read(BaseModel):
    """Response bodies read attributes from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


class LoginCreate(Body):
    organization: str = Field(min_length=1, max_length=200)
    email: EmailStr
    password: str = Field(min_length=1, max_length=1000)


class StaffLoginCreate(Body):
    email: EmailStr
    password: str = Field(min_length=1, max_length=1000)


class TokenIssued(BaseModel):
    id: str
    token: str = Field(description="shown once; only its hash is kept")
    expires_at: datetime | None


class TokenCreate(Body):
    name: str = Field(min_length=1, max_length=100)
    expires_in_days: int | None = Field(default=90, ge=1, le=3650)


class TokenRead(Read):
    id: str
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class UserCreate(Body):
    email: EmailStr
    display_name: str = Field(default="", max_length=200)
    password: str = Field(min_length=1, max_length=1000)
    role: Role = Role.LEARNER
    group_id: str | None = Field(default=None, description="defaults to the Everyone group")


class UserUpdate(Body):
    is_active: bool


class UserRead(Read):
    id: str
    email: str
    display_name: str
    is_active: bool
    created_at: datetime


class MeRead(BaseModel):
    user: UserRead
    organization_id: str
    region: str
    roles: list[Role]
    permissions: list[Permission]
    is_admin: bool
    ai_enabled: bool


class GroupCreate(Body):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=1000)


class GroupRead(Read):
    id: str
    name: str
    description: str
    created_at: datetime


class MembershipCreate(Body):
    user_id: str
    role: Role


class MembershipRead(Read):
    user_id: str
    group_id: str
    role: Role


# The severity from which a harm category refuses a text ("low" refuses most), or never ("off").
FilterLevel = Literal["low", "medium", "high", "off"]
_DOCUMENT_FILTER = (
    "The severity (hate, sexual, violence, self-harm) from which the content filter refuses the "
    "organization's own documents when authoring generates from them; generated text stays held to the "
    "deployment's completion thresholds."
)


class OrganizationRead(Read):
    id: str
    slug: str
    name: str
    region: str
    ai_enabled: bool
    authoring_document_filter: FilterLevel = Field(description=_DOCUMENT_FILTER)
    created_at: datetime


class OrganizationUpdate(Body):
    ai_enabled: bool | None = None
    authoring_document_filter: FilterLevel | None = Field(default=None, description=_DOCUMENT_FILTER)


class MatrixCellUpdate(Body):
    role: Role
    permission: Permission
    allowed: bool


class MatrixRead(BaseModel):
    roles: list[Role]
    permissions: list[Permission]
    cells: dict[Role, dict[Permission, bool]]


class AuditEntryRead(Read):
    seq: int
    at: datetime
    actor: str
    action: str
    target: str
    details: dict[str, object]
    hash: str


class AuditVerificationRead(BaseModel):
    ok: bool
    entries: int
    problems: list[str]
    head: str  # SEQ:HASH; keep it outside Tutela and pass it back as `anchor`


class ResourceCreate(Body):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class ResourceRead(Read):
    id: str
    name: str
    content_logging: bool
    created_at: datetime


class ApiKeyCreate(Body):
    name: str = Field(default="", max_length=100)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class ApiKeyRead(Read):
    id: str
    resource_id: str
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    suspended: bool


class OrganizationCreate(Body):
    name: str = Field(min_length=1, max_length=200)
    region: str
    admin_email: EmailStr | None = None
    admin_password: str | None = Field(default=None, max_length=1000)


class PlacementRead(Read):
    id: str
    slug: str
    region: str
    created_at: datetime


class RegionRead(BaseModel):
    name: str
    jurisdiction: str


class DeploymentCreate(Body):
    name: str = Field(min_length=1, max_length=64)
    provider: str = Field(min_length=1, max_length=40)
    model: str | None = Field(default=None, max_length=200)
    base_url: str | None = Field(default=None, max_length=500)
    api_key_env: str | None = Field(default=None, max_length=100, pattern=r"^[A-Z_][A-Z0-9_]*$")
    api_key: str | None = Field(default=None, max_length=500, description="stored encrypted; never returned")
    api_version: str | None = Field(default=None, max_length=40)
    pii: Literal["off", "pseudonymise"] | None = Field(
        default=None, description="pseudonymise e-mails, phones, IBANs, cards before an external upstream"
    )


class RoutingTarget(Body):
    deployment: str = Field(min_length=1, max_length=64)
    weight: int = Field(default=1, ge=0, le=1000)


class DeploymentRouting(Body):
    """Weighted targets and ordered fallbacks: deployments of the same AI resource."""

    targets: list[RoutingTarget] = Field(default_factory=list, max_length=16)
    fallbacks: list[str] = Field(default_factory=list, max_length=16)


class DeploymentPrice(Body):
    """What a million tokens cost on a deployment, for estimated cost in usage reports."""

    input_per_million: float = Field(ge=0, le=1_000_000, description="per million prompt tokens")
    output_per_million: float = Field(ge=0, le=1_000_000, description="per million completion tokens")
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. USD, EUR")


class DeploymentRead(Read):
    id: str
    resource_id: str
    name: str
    provider: str
    model: str
    options: dict[str, object]
    routing: DeploymentRouting | None = None
    price: DeploymentPrice | None = None
    has_stored_key: bool
    created_at: datetime
