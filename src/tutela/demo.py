"""The demo organization that `tutela serve --demo` makes ready to use on first start."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from tutela.core.directory import service as directory
from tutela.core.groups import service as groups
from tutela.core.organizations import service as organizations
from tutela.core.permissions.roles import Role
from tutela.core.users import service as users
from tutela.errors import NotFound
from tutela.runtime import Runtime

DEMO_ORG = "Demo"
DEMO_USERS = (
    ("admin@demo.example.com", "Ada Admin", Role.ADMIN, organizations.EVERYONE_GROUP),
    ("author@demo.example.com", "Arthur Author", Role.AUTHOR, "Authors"),
    ("learner@demo.example.com", "Lea Learner", Role.LEARNER, "Sales team"),
)


@dataclass(frozen=True)
class DemoCredentials:
    """What to print so someone can sign in."""

    organization: str
    password: str | None  # None when the demo already existed
    emails: tuple[str, ...]


def ensure_demo(runtime: Runtime) -> DemoCredentials:
    """Create the demo organization with an admin, an author and a learner, unless it exists."""
    emails = tuple(u[0] for u in DEMO_USERS)
    slug = directory.slugify(DEMO_ORG)
    with runtime.directory.session() as ddb:
        try:
            directory.find_by_slug(ddb, slug=slug)
            return DemoCredentials(organization=slug, password=None, emails=emails)
        except NotFound:
            pass
    configured = runtime.settings.demo_password
    password = configured.get_secret_value() if configured else secrets.token_urlsafe(12)
    org = organizations.create(
        runtime, name=DEMO_ORG, region=runtime.settings.home_region, actor="system:demo"
    )
    with runtime.region_session(org.id) as db:
        for email, name, role, group_name in DEMO_USERS:
            group = groups.find(db, org_id=org.id, name=group_name) or groups.create(
                db, org_id=org.id, name=group_name
            )
            user = users.create(
                db,
                org_id=org.id,
                email=email,
                display_name=name,
                password=password,
                min_password_length=runtime.settings.auth.min_password_length,
            )
            groups.add_member(db, org_id=org.id, group_id=group.id, user_id=user.id, role=role)
            organizations.record(
                runtime,
                db,
                org_id=org.id,
                actor="system:demo",
                action="user.created",
                target=f"user:{user.id}",
                details={"role": role.value},
            )
    return DemoCredentials(organization=slug, password=password, emails=emails)
