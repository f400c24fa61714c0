"""L5 in library retrieval: when the product calls the gateway for a signed-in user, `tutela_library` returns
only passages of documents that user may see (their uploads; everything for an admin; a module's source for
those the module shows it to), whatever the AI resource shares; an API key still gets its resource's shares,
and another organization finds nothing of this one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.authoring.api.support import new_org, ok, upload, wait_for
from tests.authoring.ingest.conftest import build_text_pdf
from tests.support.platform import PASSWORD, Platform
from tutela.authoring.library import service as library_sources
from tutela.authoring.modules.regenerate import run_with_gateway
from tutela.gateway.resources import service as resources
from tutela.gateway.wire.parsing import parse_chat_request

HANDBOOK = [
    "Travel expenses are reimbursed within thirty days of submitting the receipts.",
    "Employees travel by train in second class for trips shorter than four hours.",
    "Hotel rooms are booked through the travel desk at least one week in advance.",
    "Meals during business travel are covered up to forty euros per day.",
    "Taxi rides are reimbursed only when no public transport runs at that hour.",
    "Receipts are scanned and attached to the expense report in the travel portal.",
    "Travel abroad needs the written approval of the head of the department.",
]
GARDEN = [
    "Tomatoes need at least six hours of direct sunlight every day.",
    "Water the seedlings in the morning so the leaves dry before night.",
    "Compost improves the soil of the vegetable beds every spring.",
]
TRAVEL = "How soon are travel expenses reimbursed?"
TOMATOES = "How much sunlight do tomatoes need?"


def _share(platform: Platform, token: str, name: str, lines: list[str], resource: str) -> str:
    with platform.client(token) as client:
        doc = ok(upload(client, Path(f"{name}.pdf"), data=build_text_pdf(lines)), 201)
        ok(client.put(f"/api/documents/{doc['id']}/library", json={"resources": [resource]}))
    document_id: str = doc["id"]
    return document_id


def _default_resource(platform: Platform, org_id: str) -> str:
    with platform.runtime.region_session(org_id) as db:
        found = resources.find_resource(db, org_id=org_id, name="default")
        assert found is not None
        return found.id


def _retrieved(platform: Platform, org_id: str, user_id: str) -> set[str]:
    """The files whose passages a grounded chat, made by the product for the user, cites."""
    caller = library_sources.caller_for(platform.runtime, org_id=org_id, user_id=user_id)
    files: set[str] = set()
    for question in (TRAVEL, TOMATOES):
        body: dict[str, Any] = {
            "model": "extractive",
            "messages": [{"role": "user", "content": question}],
            "data_sources": [{"type": "tutela_library", "parameters": {"strictness": 1}}],
        }
        request = parse_chat_request(body)
        response = run_with_gateway(platform.runtime, lambda gateway: gateway.chat(caller, request))  # noqa: B023
        context = response.choices[0].message.model_dump()["context"]
        files |= {c["filepath"] for c in context["citations"]}
    return files


def test_retrieval_for_a_signed_in_user_keeps_to_the_documents_they_may_see(platform: Platform) -> None:
    org = new_org(platform, "Vis")
    other = new_org(platform, "VisOther")
    resource = _default_resource(platform, org.org_id)
    with platform.client(org.admin) as admin:
        body = {"email": "writer@example.com", "password": PASSWORD, "role": "author", "group_id": None}
        writer_id = ok(admin.post("/api/users", json=body), 201)["id"]
        admin_id = ok(admin.get("/api/me"))["user"]["id"]
    writer = platform.login(org.slug, "writer@example.com")
    _share(platform, org.author, "handbook", HANDBOOK, resource)
    _share(platform, writer, "garden", GARDEN, resource)
    _share(platform, other.author, "elsewhere", HANDBOOK, _default_resource(platform, other.org_id))

    # Each author their own uploads; the admin everything; a learner nothing (no module shows them any).
    assert _retrieved(platform, org.org_id, org.author_id) == {"handbook.pdf"}
    assert _retrieved(platform, org.org_id, writer_id) == {"garden.pdf"}
    assert _retrieved(platform, org.org_id, admin_id) == {"handbook.pdf", "garden.pdf"}
    assert _retrieved(platform, org.org_id, org.learner_id) == set()
    # Another organization's user: their own document only, never this organization's.
    assert _retrieved(platform, other.org_id, other.author_id) == {"elsewhere.pdf"}

    # The author writes a module from the handbook and publishes it to Sales with the PDF attached: the
    # learner in Sales may now see the handbook (L5), the learner outside Sales still nothing.
    author, admin_client = platform.client(org.author), platform.client(org.admin)
    handbook = next(d for d in ok(author.get("/api/documents")) if d["filename"] == "handbook.pdf")
    job = ok(author.post("/api/modules", json={"document_id": handbook["id"]}), 202)
    done, _ = wait_for(author, job["id"])
    assert done["status"] == "succeeded", done
    module_id = done["module_id"]
    ok(author.patch(f"/api/modules/{module_id}", json={"attach_source": True}))
    ok(author.post(f"/api/modules/{module_id}/state", json={"state": "in_review"}))
    publish = {"state": "published", "group_ids": [org.sales_id], "override_reason": "visibility test"}
    ok(admin_client.post(f"/api/modules/{module_id}/state", json=publish))
    assert _retrieved(platform, org.org_id, org.learner_id) == {"handbook.pdf"}
    outsider_id = next(
        u["id"] for u in ok(admin_client.get("/api/users")) if u["email"] == "outsider@example.com"
    )
    assert _retrieved(platform, org.org_id, outsider_id) == set()

    # An API key of the resource is not a user: it gets every document shared with its resource.
    with platform.runtime.region_session(org.org_id) as db:
        _, key = resources.create_key(db, org_id=org.org_id, resource_id=resource, name="k")
    reply = platform.openai(key).chat.completions.create(
        model="extractive",
        messages=[{"role": "user", "content": TOMATOES}],
        extra_body={"data_sources": [{"type": "tutela_library", "parameters": {"strictness": 1}}]},
    )
    context = reply.choices[0].message.model_dump()["context"]
    assert "garden.pdf" in {c["filepath"] for c in context["citations"]}
