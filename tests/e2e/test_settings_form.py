"""The AI features page sets how strictly authoring screens documents, as PATCH /api/org does."""

from __future__ import annotations

from tests.e2e.conftest import Site
from tests.e2e.test_forms import _signed_in, _token


def test_the_settings_page_sets_the_document_filter(site: Site) -> None:
    with _signed_in(site) as client:
        page = client.get("/admin/settings").text
        assert '<option value="high" selected>' in page and "Refuse document text from" in page
        token = _token(client, "/admin/settings")
        form = {"authoring_document_filter": "medium", "csrf_token": token}
        saved = client.post("/admin/settings/document-filter", data=form)
        assert saved.status_code == 303 and "document-filter-saved" in saved.headers["location"]
        assert '<option value="medium" selected>' in client.get("/admin/settings").text
        bad = {"authoring_document_filter": "strict", "csrf_token": token}
        assert client.post("/admin/settings/document-filter", data=bad).status_code == 400
        with site.platform.client(site.admin_token) as api:
            assert api.get("/api/org").json()["authoring_document_filter"] == "medium"
            assert api.patch("/api/org", json={"authoring_document_filter": "high"}).status_code == 200
