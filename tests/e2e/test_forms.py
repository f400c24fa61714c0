"""The pages over plain HTTP: CSRF, sign-in redirects, static files, and no pages in the API docs."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

import tutela.web
from tests.core.test_permissions import _aliases, _calls_a_check, _imported_helpers
from tests.e2e.conftest import ADMIN, ORG_SLUG, Site
from tests.support.platform import PASSWORD
from tutela.app import create_app


def _token(client: httpx.Client, path: str = "/login") -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert match is not None
    return match.group(1)


@contextmanager
def _signed_in(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.base_url, timeout=30) as client:
        form = {"organization": ORG_SLUG, "email": ADMIN, "password": PASSWORD, "csrf_token": _token(client)}
        assert client.post("/login", data=form).status_code == 303
        yield client


def test_a_form_post_without_the_csrf_token_is_refused(site: Site) -> None:
    with _signed_in(site) as client:
        response = client.post("/admin/groups", data={"name": "Sneaky"})
        assert response.status_code == 403
        assert "This form has expired; reload the page and try again." in response.text
        token = _token(client, "/admin/groups")
        forged = client.post("/admin/groups", data={"name": "Sneaky", "csrf_token": token + "x"})
        assert forged.status_code == 403
        ok = client.post("/admin/groups", data={"name": "Honest", "csrf_token": token})
        assert ok.status_code == 303
        with site.platform.client(site.admin_token) as api:
            names = {g["name"] for g in api.get("/api/groups").json()}
        assert "Honest" in names and "Sneaky" not in names


def test_a_form_post_from_another_site_is_refused_even_with_a_token(site: Site) -> None:
    with _signed_in(site) as client:
        token = _token(client, "/admin/settings")
        response = client.post(
            "/admin/settings",
            data={"ai_enabled": "false", "csrf_token": token},
            headers={"Origin": "https://evil.example.com"},
        )
        assert response.status_code == 403
        assert "sent from another site" in response.text
        with site.platform.client(site.admin_token) as api:
            assert api.get("/api/org").json()["ai_enabled"] is True


def test_a_token_from_before_sign_in_does_not_work_after_it(site: Site) -> None:
    client = httpx.Client(base_url=site.base_url, timeout=30)
    with client:
        before = _token(client)
        form = {"organization": ORG_SLUG, "email": ADMIN, "password": PASSWORD, "csrf_token": before}
        assert client.post("/login", data=form).status_code == 303
        assert client.post("/admin/groups", data={"name": "Fixed", "csrf_token": before}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(site: Site) -> None:
    with httpx.Client(base_url=site.base_url) as client:
        assert client.get("/admin/users").headers["location"] == "/login?next=/admin/users"
        assert client.get("/").headers["location"] == "/login"
        assert client.get("/platform").headers["location"] == "/platform/login"


def test_sign_in_never_redirects_to_another_site(site: Site) -> None:
    with httpx.Client(base_url=site.base_url) as client:
        form = {
            "organization": ORG_SLUG,
            "email": ADMIN,
            "password": PASSWORD,
            "csrf_token": _token(client),
            "next": "//evil.example.com/",
        }
        assert client.post("/login", data=form).headers["location"] == "/"


def test_static_files_are_served_and_nothing_else(site: Site) -> None:
    with httpx.Client(base_url=site.base_url) as client:
        css = client.get("/static/tutela.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert client.get("/static/htmx.min.js").text.startswith("/* htmx 2.")
        for name in ("..%2Fpages%2Fauth.py", "__init__.py", "nope.js"):
            assert client.get(f"/static/{name}").status_code == 404


def test_pages_stay_out_of_the_api_description(site: Site) -> None:
    paths = create_app(runtime=site.platform.runtime).openapi()["paths"]
    assert not [
        p for p in paths if p == "/" or p.startswith(("/admin", "/login", "/logout", "/static", "/platform"))
    ]


PUBLIC_POSTS = {"/login", "/logout", "/platform/login", "/platform/logout"}
OWN_POSTS = {"/notifications/read", "/notifications/{notification_id}/read"}  # the caller's own notifications


def test_every_page_that_changes_something_checks_permissions() -> None:
    """The pages follow the routers' rule: a form post calls permissions.require* or staff.require_role."""
    pages = Path(tutela.web.__file__).parent / "pages"
    checked: dict[str, bool] = {}
    for file in sorted(pages.glob("*.py")):
        tree = ast.parse(file.read_text(), filename=str(file))
        pages_here = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        functions = {**_imported_helpers(tree), **pages_here}
        for fn in pages_here.values():
            for decorator in fn.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr in {"post", "put", "patch", "delete"}
                ):
                    path = decorator.args[0]
                    assert isinstance(path, ast.Constant) and isinstance(path.value, str)
                    checked[path.value] = _calls_a_check(fn, functions, {fn.name}, _aliases(tree))
    assert "/admin/permissions" in checked and "/admin/users" in checked
    unchecked = sorted(p for p, ok in checked.items() if not ok and p not in PUBLIC_POSTS | OWN_POSTS)
    assert not unchecked, f"form posts that check no permission: {unchecked}"
