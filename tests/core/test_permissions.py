"""The permission matrix over real HTTP, and a static check that every mutating route goes through it."""

from __future__ import annotations

import ast
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.platform import PASSWORD, Platform
from tutela.app import create_app

# Written out rather than imported from tutela, so a change of the defaults has to change this test too.
GENERATE = {"ai.generate_modules", "ai.generate_questions"}
EVERYTHING = GENERATE | {
    "prompts.edit",
    "policies.edit",
    "content.review_publish",
    "users.manage",
    "ai.manage_resources",
    "audit.view",
}
DEFAULTS = {
    "learner": set(),
    "author": GENERATE,
    "coach": GENERATE | {"content.review_publish"},
    "admin": EVERYTHING,
}


@dataclass
class Org:
    platform: Platform
    org_id: str
    slug: str
    admin: str  # token
    everyone: str  # group id

    def client(self, token: str) -> httpx.Client:
        return self.platform.client(token)

    def user(self, role: str, group_id: str | None = None) -> tuple[str, str]:
        """A new user with `role` in a group (Everyone by default); returns (id, session token)."""
        email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
        with self.client(self.admin) as client:
            response = client.post(
                "/api/users",
                json={
                    "email": email,
                    "password": PASSWORD,
                    "role": role,
                    "group_id": group_id or self.everyone,
                },
            )
        assert response.status_code == 201, response.text
        return response.json()["id"], self.platform.login(self.slug, email)

    def group(self) -> str:
        with self.client(self.admin) as client:
            response = client.post("/api/groups", json={"name": f"g-{uuid.uuid4().hex[:8]}"})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def set_cells(self, *cells: tuple[str, str, bool]) -> httpx.Response:
        body = [{"role": r, "permission": p, "allowed": a} for r, p, a in cells]
        with self.client(self.admin) as client:
            return client.put("/api/org/permissions", json=body)


@pytest.fixture
def org(platform: Platform) -> Org:
    name = f"Perm {uuid.uuid4().hex[:8]}"
    org_id = platform.new_org(name)
    slug = name.lower().replace(" ", "-")
    admin = platform.login(slug, "admin@example.com")
    with platform.client(admin) as client:
        everyone = {g["name"]: g["id"] for g in client.get("/api/groups").json()}["Everyone"]
    return Org(platform, org_id, slug, admin, everyone)


def _error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code, response.text


def _granted(org: Org, token: str) -> set[str]:
    with org.client(token) as client:
        response = client.get("/api/me")
    assert response.status_code == 200, response.text
    return set(response.json()["permissions"])


# Endpoints guarded by one permission each: (method, path, body, permission).
def _guarded(org: Org) -> list[tuple[str, str, object, str]]:
    return [
        ("GET", "/api/users", None, "users.manage"),
        ("POST", "/api/groups", {"name": f"x-{uuid.uuid4().hex[:8]}"}, "users.manage"),
        ("GET", f"/api/groups/{org.everyone}/members", None, "users.manage"),
        ("GET", "/api/audit", None, "audit.view"),
        ("GET", "/api/audit/verify", None, "audit.view"),
        ("GET", "/api/ai/resources", None, "ai.manage_resources"),
    ]


def test_the_default_matrix(org: Org) -> None:
    with org.client(org.admin) as client:
        matrix = client.get("/api/org/permissions").json()
    assert {role: {p for p, ok in cells.items() if ok} for role, cells in matrix["cells"].items()} == DEFAULTS
    assert set(matrix["permissions"]) == EVERYTHING
    for role, expected in DEFAULTS.items():
        _, token = org.user(role) if role != "admin" else ("", org.admin)
        assert _granted(org, token) == expected, role
        with org.client(token) as client:
            for method, path, body, permission in _guarded(org):
                response = client.request(method, path, json=body)
                if permission in expected:
                    assert response.status_code in (200, 201), f"{role} {method} {path}: {response.text}"
                else:
                    _error(response, 403, "not_allowed")
                    assert permission in response.json()["error"]["message"]


def test_an_edited_cell_takes_effect_at_once_and_revoking_it_too(org: Org) -> None:
    _, author = org.user("author")
    new_user = {"email": f"n-{uuid.uuid4().hex[:6]}@example.com", "password": PASSWORD}
    with org.client(author) as client:
        _error(client.post("/api/users", json=new_user), 403, "not_allowed")
    granted = org.set_cells(("author", "users.manage", True))
    assert granted.status_code == 200, granted.text
    assert granted.json()["cells"]["author"]["users.manage"] is True
    assert granted.json()["cells"]["coach"]["users.manage"] is False  # only the named cell changed
    with org.client(author) as client:  # the same session: nothing is cached in the token
        assert "users.manage" in _granted(org, author)
        assert client.post("/api/users", json=new_user).status_code == 201
        assert client.get("/api/users").status_code == 200
    assert org.set_cells(("author", "users.manage", False)).status_code == 200
    with org.client(author) as client:
        other = new_user | {"email": f"m-{uuid.uuid4().hex[:6]}@example.com"}
        _error(client.post("/api/users", json=other), 403, "not_allowed")
        _error(client.get("/api/users"), 403, "not_allowed")
    # Taking a permission away from the admin role works on admins too (settings stay admin-only, below).
    assert org.set_cells(("admin", "audit.view", False)).status_code == 200
    with org.client(org.admin) as client:
        _error(client.get("/api/audit"), 403, "not_allowed")
    assert org.set_cells(("admin", "audit.view", True)).status_code == 200
    with org.client(org.admin) as client:
        assert client.get("/api/audit").status_code == 200


def test_only_admins_edit_the_matrix_and_switch_ai_off(org: Org) -> None:
    assert (
        org.set_cells(("author", "users.manage", True)).status_code == 200
    )  # even a user manager is no admin
    with org.client(org.admin) as client:
        before = client.get("/api/org/permissions").json()
    cell = [{"role": "learner", "permission": "users.manage", "allowed": True}]
    for role in ("learner", "author", "coach"):
        _, token = org.user(role)
        with org.client(token) as client:
            _error(client.put("/api/org/permissions", json=cell), 403, "admin_only")
            _error(client.patch("/api/org", json={"ai_enabled": False}), 403, "admin_only")
            assert client.get("/api/org").json()["ai_enabled"] is True
    with org.client(org.admin) as client:
        assert client.get("/api/org/permissions").json() == before
        switched = client.patch("/api/org", json={"ai_enabled": False})
        assert switched.status_code == 200, switched.text
        assert switched.json()["ai_enabled"] is False
        assert client.get("/api/me").json()["ai_enabled"] is False
        assert client.patch("/api/org", json={"ai_enabled": True}).json()["ai_enabled"] is True


def test_a_user_manager_cannot_make_or_unmake_admins(org: Org) -> None:
    """users.manage granted to authors must not be a way to become admin or to lock the admins out."""
    assert org.set_cells(("author", "users.manage", True)).status_code == 200
    author_id, author = org.user("author")
    with org.client(org.admin) as client:
        admin_id = client.get("/api/me").json()["user"]["id"]
    with org.client(author) as client:
        promote = {"user_id": author_id, "role": "admin"}
        _error(client.put(f"/api/groups/{org.everyone}/members", json=promote), 403, "admin_only")
        new_admin = {
            "email": f"boss-{uuid.uuid4().hex[:6]}@example.com",
            "password": PASSWORD,
            "role": "admin",
        }
        _error(client.post("/api/users", json=new_admin), 403, "admin_only")
        demote = {"user_id": admin_id, "role": "learner"}
        _error(client.put(f"/api/groups/{org.everyone}/members", json=demote), 403, "admin_only")
        _error(client.delete(f"/api/groups/{org.everyone}/members/{admin_id}"), 403, "admin_only")
        _error(client.patch(f"/api/users/{admin_id}", json={"is_active": False}), 403, "admin_only")
        # What the matrix does grant still works.
        learner = {"email": f"l-{uuid.uuid4().hex[:6]}@example.com", "password": PASSWORD, "role": "learner"}
        assert client.post("/api/users", json=learner).status_code == 201
    assert "admin" not in _roles(org, author)
    with org.client(org.admin) as client:
        assert client.get("/api/me").json()["is_admin"] is True
        # An admin may do all of it.
        assert client.put(f"/api/groups/{org.everyone}/members", json=promote).status_code == 200
    assert "admin" in _roles(org, author)


def _roles(org: Org, token: str) -> set[str]:
    with org.client(token) as client:
        return set(client.get("/api/me").json()["roles"])


def test_roles_are_the_union_over_groups(org: Org) -> None:
    x, y, z = org.group(), org.group(), org.group()
    user_id, token = org.user("learner", group_id=x)
    assert _granted(org, token) == set()
    with org.client(token) as client:
        _error(client.get("/api/users"), 403, "not_allowed")
    with org.client(org.admin) as client:
        assert client.put(f"/api/groups/{y}/members", json={"user_id": user_id, "role": "author"}).is_success
    assert _roles(org, token) == {"learner", "author"}
    assert _granted(org, token) == DEFAULTS["author"]
    with org.client(org.admin) as client:
        assert client.put(f"/api/groups/{z}/members", json={"user_id": user_id, "role": "coach"}).is_success
    assert _granted(org, token) == DEFAULTS["coach"]
    # A cell granted to the weakest role shows up in the union as well.
    assert org.set_cells(("learner", "audit.view", True)).status_code == 200
    assert _granted(org, token) == DEFAULTS["coach"] | {"audit.view"}
    with org.client(token) as client:
        assert client.get("/api/audit").status_code == 200
    with org.client(org.admin) as client:
        for group in (y, z):
            assert client.delete(f"/api/groups/{group}/members/{user_id}").status_code == 204
    assert _roles(org, token) == {"learner"}
    assert _granted(org, token) == {"audit.view"}
    with org.client(org.admin) as client:
        assert client.delete(f"/api/groups/{x}/members/{user_id}").status_code == 204
    assert _roles(org, token) == set()
    assert _granted(org, token) == set()  # no group, no role: nothing, whatever the matrix says


@pytest.mark.parametrize(
    ("cell", "param"),
    [
        ({"role": "superuser", "permission": "users.manage", "allowed": True}, "0.role"),
        ({"role": "author", "permission": "users.delete", "allowed": True}, "0.permission"),
        ({"role": "author", "permission": "users.manage"}, "0.allowed"),
        ({"role": "author", "permission": "users.manage", "allowed": True, "scope": "all"}, "0.scope"),
    ],
)
def test_invalid_cells_get_422_naming_the_param(org: Org, cell: dict[str, object], param: str) -> None:
    with org.client(org.admin) as client:
        before = client.get("/api/org/permissions").json()
        ok = {"role": "learner", "permission": "audit.view", "allowed": True}
        response = client.put("/api/org/permissions", json=[cell, ok])
        _error(response, 422, "invalid_value")
        assert response.json()["error"]["param"] == param
        assert param.split(".")[-1] in response.json()["error"]["message"]
        assert client.get("/api/org/permissions").json() == before  # nothing of the batch was applied
        not_a_list = client.put("/api/org/permissions", json=ok)
        assert not_a_list.status_code == 422


def test_invalid_role_names_elsewhere_get_422_naming_the_param(org: Org) -> None:
    user_id, _ = org.user("learner")
    with org.client(org.admin) as client:
        bad = client.post("/api/users", json={"email": "r@example.com", "password": PASSWORD, "role": "root"})
        _error(bad, 422, "invalid_value")
        assert bad.json()["error"]["param"] == "role"
        bad = client.put(f"/api/groups/{org.everyone}/members", json={"user_id": user_id, "role": "owner"})
        _error(bad, 422, "invalid_value")
        assert bad.json()["error"]["param"] == "role"


# --- the static rule: every mutating route goes through the matrix -----------------------------------

SRC = Path(__file__).resolve().parents[2] / "src" / "tutela"
MUTATING = {"post", "put", "patch", "delete"}
EXEMPT = {
    ("POST", "/api/auth/login"),
    ("POST", "/api/platform/auth/login"),
    ("POST", "/api/auth/logout"),
    ("POST", "/api/platform/auth/logout"),  # ends the caller's own staff session
}
EXEMPT_PREFIXES = (
    "/api/me/tokens",  # the caller's own tokens: every signed-in user may manage them
    "/api/notifications",  # the caller's own notifications: marked read by their addressee only
    # Gateway inference (added after this rule was written): authorized by the API key of an AI resource,
    # not by a user's roles, and it changes no settings.
    "/v1/",
    "/openai/",
)
CHECKS = {("permissions", "require"), ("permissions", "require_admin"), ("staff", "require_role")}
# Checks imported by name, and authoring's `viewer` (the caller's roles and groups, read through the matrix
# for visibility and edit rights; `test_authoring_viewer_reads_the_matrix` keeps that true).
NAMED_CHECKS = {"require_role", "require_admin", "require_admin_for_admins"}
VIEWER_CHECKS = {("service", "viewer"), ("modules", "viewer"), ("documents", "viewer")}


def _prefix(tree: ast.Module) -> dict[str, str]:
    """Router variable → its prefix, from `router = APIRouter(prefix=...)`."""
    prefixes = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            call = node.value
            if isinstance(call.func, ast.Name) and call.func.id == "APIRouter":
                prefix = next((k.value for k in call.keywords if k.arg == "prefix"), None)
                value = prefix.value if isinstance(prefix, ast.Constant) else ""
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        prefixes[target.id] = str(value)
    return prefixes


Function = ast.FunctionDef | ast.AsyncFunctionDef


def _calls_a_check(
    fn: Function, helpers: dict[str, Function], seen: set[str], aliases: dict[str, Path] | None = None
) -> bool:
    """True when the function body calls a check directly, through a helper of the same module, or
    through a function of a project module it calls by alias (`recordings_api.correct_transcript`)."""
    for node in ast.walk(fn):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and (func.value.id, func.attr) in CHECKS | VIEWER_CHECKS
        ):
            return True
        if isinstance(func, ast.Name) and func.id in NAMED_CHECKS:
            return True
        if (
            isinstance(func, ast.Name)
            and func.id in helpers
            and func.id not in seen
            and _calls_a_check(helpers[func.id], helpers, seen | {func.id}, aliases)
        ):
            return True
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and aliases:
            path = aliases.get(func.value.id)
            key = f"{path}:{func.attr}"
            if path is None or key in seen:
                continue
            tree = _parsed(path)
            theirs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
            if func.attr in theirs and _calls_a_check(
                theirs[func.attr], {**_imported_helpers(tree), **theirs}, seen | {key}, _aliases(tree)
            ):
                return True
    return False


def _parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _aliases(tree: ast.Module) -> dict[str, Path]:
    """Name → source file of the project modules imported whole (`from tutela.x import router as api`)."""
    found: dict[str, Path] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tutela"):
            for alias in node.names:
                path = SRC.joinpath(*node.module.split(".")[1:], alias.name).with_suffix(".py")
                if path.is_file():
                    found[alias.asname or alias.name] = path
    return found


def _imported_helpers(tree: ast.Module) -> dict[str, Function]:
    """The top-level functions of the project modules a router imports names from (a router split in two
    shares its guards, e.g. parts_router.py calling router.py's `editable_module`)."""
    found: dict[str, Function] = {}
    for node in tree.body:
        if not (isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tutela.")):
            continue
        path = SRC.joinpath(*node.module.split(".")[1:]).with_suffix(".py")
        if not path.is_file():
            continue
        other = ast.parse(path.read_text())
        found.update({n.name: n for n in other.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)})
    return found


def _scan_routers() -> dict[tuple[str, str], bool]:
    """(METHOD, full path) of every mutating route in src/tutela/**/*router.py → whether it calls a check."""
    found: dict[tuple[str, str], bool] = {}
    for file in sorted(SRC.rglob("*router.py")):
        tree = ast.parse(file.read_text(), filename=str(file))
        prefixes = _prefix(tree)
        routes = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        functions = {**_imported_helpers(tree), **routes}
        for fn in routes.values():
            for decorator in fn.decorator_list:
                if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
                    continue
                owner, verb = decorator.func.value, decorator.func.attr
                if not (isinstance(owner, ast.Name) and owner.id in prefixes and verb in MUTATING):
                    continue
                path = decorator.args[0].value if decorator.args else ""
                assert isinstance(path, str), f"{file}:{fn.lineno} route path is not a literal"
                key = (verb.upper(), prefixes[owner.id] + path)
                found[key] = _calls_a_check(fn, functions, {fn.name}, _aliases(tree))
    return found


def _exempt(method: str, path: str) -> bool:
    return (method, path) in EXEMPT or path.startswith(EXEMPT_PREFIXES)


def test_every_mutating_route_goes_through_the_matrix() -> None:
    routes = _scan_routers()
    assert ("PUT", "/api/org/permissions") in routes  # the scan sees the routers at all
    unchecked = sorted(k for k, checked in routes.items() if not checked and not _exempt(*k))
    assert not unchecked, f"mutating routes that call no permissions.require*/staff.require_role: {unchecked}"


def test_the_static_scan_sees_every_mutating_route_of_the_app(platform: Platform) -> None:
    """A mutating route defined outside a router.py would escape the rule above: there must be none."""
    app = create_app(runtime=platform.runtime)
    served = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method in MUTATING
    }
    # Gateway inference routes (exempt above) may live outside router.py, e.g. /v1/moderations.
    assert {k for k in served if not _exempt(*k)} == {k for k in _scan_routers() if not _exempt(*k)}


def test_the_static_rule_can_fail() -> None:
    """The checker itself: a route without a check is caught, one through a local helper is not."""
    source = """
router = APIRouter(prefix="/api/x")
def _guard(db):
    permissions.require(db, permission=1)
@router.post("/a")
def a(db): _guard(db)
@router.delete("/b")
def b(db): users.delete(db)
"""
    tree = ast.parse(source)
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert _prefix(tree) == {"router": "/api/x"}
    assert _calls_a_check(functions["a"], functions, {"a"})
    assert not _calls_a_check(functions["b"], functions, {"b"})


def test_authoring_viewer_reads_the_matrix() -> None:
    """`viewer` counts as a check above only because it derives rights from the permission service."""
    tree = ast.parse((SRC / "authoring" / "modules" / "service.py").read_text())
    viewer = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "viewer")
    calls = {
        (c.func.value.id, c.func.attr)
        for c in ast.walk(viewer)
        if isinstance(c, ast.Call)
        and isinstance(c.func, ast.Attribute)
        and isinstance(c.func.value, ast.Name)
    }
    assert ("permissions", "allows") in calls
    assert ("permissions", "roles_of") in calls
