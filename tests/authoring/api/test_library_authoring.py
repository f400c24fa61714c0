"""One module from several documents of the organization's library, over HTTP: the job request names them,
every citation names its document (id and title) and that document's page, the checks verify each quote
against the right document, and a document the author may not see (L5) or another tenant's is a 404."""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from typing import Any

from tests.authoring.api.support import PDFS, new_org, ok, upload, wait_for
from tests.support.platform import Platform
from tutela.authoring.generation.checks import quote_in_text
from tutela.authoring.ingest import IngestLimits, extract_pdf
from tutela.gateway.resources import service as resources

FIRST = PDFS / "real" / "pdflatex-4-pages.pdf"
SECOND = PDFS / "made" / "journal-paper.pdf"


def _default_resource(platform: Platform, org_id: str) -> str:
    with platform.runtime.region_session(org_id) as db:
        found = resources.find_resource(db, org_id=org_id, name="default")
        assert found is not None
        return found.id


def _citations(content: dict[str, Any]) -> list[dict[str, Any]]:
    found = [c for ch in content["chapters"] for le in ch["lessons"] for c in le["citations"]]
    return found + [q["citation"] for q in content["questions"]]


def test_a_module_from_several_library_documents_cites_each_by_name_and_page(platform: Platform) -> None:
    org = new_org(platform, "Lib")
    other = new_org(platform, "LibOther")
    resource = _default_resource(platform, org.org_id)
    author, admin = platform.client(org.author), platform.client(org.admin)
    first = ok(upload(author, FIRST), 201)
    second = ok(upload(author, SECOND), 201)
    for doc in (first, second):
        ok(author.put(f"/api/documents/{doc['id']}/library", json={"resources": [resource]}))
    titles = {d["id"]: ok(author.get(f"/api/documents/{d['id']}/library"))["title"] for d in (first, second)}
    admins_own = ok(upload(admin, FIRST), 201)
    ok(admin.put(f"/api/documents/{admins_own['id']}/library", json={"resources": [resource]}))
    foreign = ok(upload(platform.client(other.author), FIRST), 201)

    # What each may pick: the author their two documents, the admin all three, the other tenant none of them.
    listed = ok(author.get("/api/library/documents"))
    assert {d["document_id"] for d in listed} == {first["id"], second["id"]}
    assert {d["title"] for d in listed} == set(titles.values())
    assert len(ok(admin.get("/api/library/documents"))) == 3
    assert ok(platform.client(other.author).get("/api/library/documents")) == []

    # Documents the author may not see: an admin's library document (L5), another tenant's, a made-up id.
    for ids in ([first["id"], admins_own["id"]], [first["id"], foreign["id"]], [first["id"], "nope"]):
        refused = author.post("/api/modules", json={"document_ids": ids})
        assert refused.status_code == 404, refused.text
        assert "not found" in refused.json()["error"]["message"]
    both = author.post("/api/modules", json={"document_id": first["id"], "document_ids": [second["id"]]})
    assert both.status_code == 422 and "one document, or a list of them, not both" in both.text, both.text

    job = ok(author.post("/api/modules", json={"document_ids": [first["id"], second["id"]]}), 202)
    assert job["document_ids"] == [first["id"], second["id"]]
    done, _ = wait_for(author, job["id"], timeout=120)
    assert done["status"] == "succeeded", done
    # Parts left out are named by the pages of their own documents, not of the documents end to end.
    for warning in done["warnings"]:
        if re.search(r"\bpages? \d", warning):
            assert "\u201c" in warning, warning
    module = ok(author.get(f"/api/modules/{done['module_id']}"))
    assert module["document_ids"] == [first["id"], second["id"]]
    sources = {
        first["id"]: extract_pdf(FIRST.read_bytes(), limits=IngestLimits()),
        second["id"]: extract_pdf(SECOND.read_bytes(), limits=IngestLimits()),
    }
    cited = _citations(module["content"])
    assert Counter(c["document_id"] for c in cited).keys() == set(sources)  # both documents are cited
    for citation in cited:
        assert citation["document"] == titles[citation["document_id"]]
        pages = sources[citation["document_id"]].pages
        assert citation["page"] <= len(pages), citation
        assert quote_in_text(citation["quote"], pages[citation["page"] - 1].text), citation
    report = ok(author.get(f"/api/modules/{module['id']}/checks"))
    assert report["passed"] is True and report["errors"] == 0, report["findings"]

    # A chapter and a question written again still cite their documents' own pages.
    regenerated = ok(author.post(f"/api/modules/{module['id']}/chapters/1/regenerate", json={}))
    regenerated = ok(author.post(f"/api/modules/{module['id']}/questions/0/regenerate", json={}))
    again = regenerated["content"]
    fresh = [c for le in again["chapters"][1]["lessons"] for c in le["citations"]]
    fresh.append(again["questions"][0]["citation"])
    for citation in fresh:
        pages = sources[citation["document_id"]].pages
        assert quote_in_text(citation["quote"], pages[citation["page"] - 1].text), citation
    assert regenerated["checks_passed"] is True

    # The review page and the Markdown export name the document with the page.
    # (the workspace shows one chapter at a time: the second document's is chapter 2)
    some = next(c for le in again["chapters"][1]["lessons"] for c in le["citations"])
    assert some["document_id"] == second["id"]
    html = author.get(f"/author/modules/{module['id']}?part=chapter-1").text
    assert f"\u201c{some['document']}\u201d, page {some['page']}" in html
    exported = admin.get("/api/modules/export")
    assert exported.status_code == 200, exported.text
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        markdown = "".join(archive.read(n).decode() for n in archive.namelist() if n.endswith(".md"))
    assert f"[{some['document']}, p. {some['page']}]" in markdown

    # The source view opens the cited document's page.
    page = author.get(
        f"/author/modules/{module['id']}/source",
        params={"document": some["document_id"], "page": some["page"], "quote": some["quote"]},
    )
    assert page.status_code == 200 and some["document"] in page.text

    # A document a module was written from cannot be deleted while the module exists.
    refused = author.delete(f"/api/documents/{second['id']}")
    assert refused.status_code == 409 and "module" in refused.json()["error"]["message"]

    # The admin may write from any library document, theirs and the author's.
    job = ok(admin.post("/api/modules", json={"document_ids": [admins_own["id"], second["id"]]}), 202)
    done, _ = wait_for(admin, job["id"], timeout=120)
    assert done["status"] == "succeeded", done
