"""Helpers for authoring API tests: organizations with people, uploads, generation, raw storage."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from tests.gateway.fake_upstream import FakeUpstream
from tests.support.platform import PASSWORD, Platform
from tutela.gateway.deployments import service as deployments
from tutela.gateway.providers.registry import default_registry
from tutela.gateway.resources import service as resources

PDFS = Path(__file__).parents[2] / "fixtures" / "pdf"
TRACEMONKEY = PDFS / "real" / "tracemonkey.pdf"
# The job warning that names what of tracemonkey.pdf no lesson is drawn from: its title block and end matter.
TRACEMONKEY_SET_ASIDE = (
    "Set aside, no lesson drawn from them: page 1 (front matter: no running text), pages 13-14 (back "
    "matter: acknowledgments), page 14 (back matter: references)"
)
INJECTION = PDFS / "made" / "injection.pdf"
ENCRYPTED = PDFS / "real" / "libreoffice-writer-password.pdf"


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The JSON body, after checking the status."""
    assert response.status_code == status, f"{response.status_code} {response.text}"
    return response.json() if response.content else None


@dataclass
class Org:
    """An organization: admin, author, a group `Sales` with a learner, and a learner outside it."""

    org_id: str
    slug: str
    admin: str
    author: str
    author_id: str
    learner: str
    learner_id: str
    outsider: str
    sales_id: str


def new_org(platform: Platform, label: str = "Auth") -> Org:
    """Make the organization and sign everyone in."""
    name = f"{label} {uuid.uuid4().hex[:8]}"
    org_id = platform.new_org(name)
    slug = name.lower().replace(" ", "-")
    admin = platform.login(slug, "admin@example.com")
    with platform.client(admin) as client:
        sales = ok(client.post("/api/groups", json={"name": "Sales"}), 201)
        people = {}
        for email, role, group in (
            ("author@example.com", "author", None),
            ("learner@example.com", "learner", sales["id"]),
            ("outsider@example.com", "learner", None),
        ):
            body = {"email": email, "password": PASSWORD, "role": role, "group_id": group}
            people[email] = ok(client.post("/api/users", json=body), 201)["id"]
    return Org(
        org_id=org_id,
        slug=slug,
        admin=admin,
        author=platform.login(slug, "author@example.com"),
        author_id=people["author@example.com"],
        learner=platform.login(slug, "learner@example.com"),
        learner_id=people["learner@example.com"],
        outsider=platform.login(slug, "outsider@example.com"),
        sales_id=sales["id"],
    )


def upload(
    client: httpx.Client, path: Path, *, data: bytes | None = None, password: str | None = None
) -> httpx.Response:
    """POST /api/documents with a file."""
    files = {"file": (path.name, data if data is not None else path.read_bytes(), "application/pdf")}
    form = {"password": password} if password is not None else None
    return client.post("/api/documents", files=files, data=form)


def wait_for(
    client: httpx.Client, job_id: str, *, timeout: float = 60
) -> tuple[dict[str, Any], list[tuple[str, int]]]:
    """Poll a job until it ends; returns the last state and every (stage, percent) seen on the way."""
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + timeout
    while True:
        job = ok(client.get(f"/api/modules/jobs/{job_id}"))
        seen.append((job["stage"], job["percent"]))
        if job["status"] in ("succeeded", "failed"):
            return job, seen
        assert time.monotonic() < deadline, f"job still {job['status']} after {timeout} s: {job}"
        time.sleep(0.02)


def generate(client: httpx.Client, path: Path, **extra: Any) -> tuple[str, str]:
    """Upload a PDF and generate a module from it; returns (document id, module id)."""
    doc = ok(upload(client, path), 201)
    job = ok(client.post("/api/modules", json={"document_id": doc["id"], **extra}), 202)
    done, _ = wait_for(client, job["id"])
    assert done["status"] == "succeeded", done
    return doc["id"], done["module_id"]


# --- raw storage ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawObject:
    """Where an encrypted object lives: its blob file and its wrapped data key."""

    object_id: str
    blob: Path
    key_id: str
    wrapped: bytes


def raw_objects(platform: Platform, org_id: str, object_ids: list[str]) -> list[RawObject]:
    """Look the objects up in the raw databases (before they are deleted)."""
    region = platform.runtime.region_of(org_id)
    root = Path(region.settings.blobs_url)
    found = []
    with region.db.session() as db:
        for object_id in object_ids:
            blob_key, key_id = db.execute(
                text("SELECT blob_key, data_key_id FROM stored_objects WHERE id = :id"), {"id": object_id}
            ).one()
            with region.keys_db.session() as kdb:
                wrapped = kdb.execute(
                    text("SELECT wrapped FROM data_keys WHERE id = :id"), {"id": key_id}
                ).scalar_one()
            found.append(RawObject(object_id, root / blob_key, key_id, bytes(wrapped)))
    return found


def assert_destroyed(platform: Platform, org_id: str, objs: list[RawObject]) -> None:
    """Each object's blob file, key row and metadata row are gone, and (SQLite) no copy of the wrapped key is
    left in the key store's raw files."""
    region = platform.runtime.region_of(org_id)
    with region.db.session() as db, region.keys_db.session() as kdb:
        for obj in objs:
            assert not obj.blob.exists(), f"blob of {obj.object_id} still on disk"
            assert (
                db.execute(text("SELECT 1 FROM stored_objects WHERE id = :id"), {"id": obj.object_id}).first()
                is None
            )
            assert (
                kdb.execute(text("SELECT 1 FROM data_keys WHERE id = :id"), {"id": obj.key_id}).first()
                is None
            )
    if region.keys_db.engine.dialect.name == "sqlite":
        path = Path(str(region.keys_db.engine.url.database))
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())
        for obj in objs:
            assert obj.wrapped not in raw, (
                f"the wrapped key of {obj.object_id} is still in the key store file"
            )


def object_ids_of_module(platform: Platform, org_id: str, module_id: str) -> dict[str, str | None]:
    """The encrypted objects behind a module, from the raw data database."""
    with platform.runtime.region_of(org_id).db.session() as db:
        row = db.execute(
            text(
                "SELECT m.content_object_id, r.findings_object_id, d.pdf_object_id, d.extraction_object_id "
                "FROM authoring_modules m LEFT JOIN authoring_check_reports r ON r.module_id = m.id "
                "LEFT JOIN authoring_documents d ON d.id = m.document_id WHERE m.id = :id"
            ),
            {"id": module_id},
        ).one()
    return {"content": row[0], "findings": row[1], "pdf": row[2], "extraction": row[3]}


def count_rows(platform: Platform, org_id: str, table: str, column: str, value: str) -> int:
    """How many raw rows of a table name a value."""
    with platform.runtime.region_of(org_id).db.session() as db:
        return int(
            db.execute(text(f"SELECT count(*) FROM {table} WHERE {column} = :v"), {"v": value}).scalar_one()  # noqa: S608 - names are test constants
        )


def authoring_objects(platform: Platform, token: str) -> dict[str, str]:
    """A prompt template, document, generation job and module of the signed-in user (isolation tests)."""
    with platform.client(token) as client:
        template = ok(client.post("/api/prompts", json={"name": f"prompt-{uuid.uuid4().hex[:8]}"}), 201)
        doc = ok(upload(client, INJECTION), 201)
        job = ok(client.post("/api/modules", json={"document_id": doc["id"]}), 202)
        done, _ = wait_for(client, job["id"])
        assert done["status"] == "succeeded", done
    return {
        "template_id": template["id"],
        "document_id": doc["id"],
        "job_id": job["id"],
        "module_id": done["module_id"],
    }


def add_image_deployment(platform: Platform, org_id: str, upstream: FakeUpstream) -> None:
    """An `openai` deployment of an image model on the organization's default resource."""
    runtime = platform.runtime
    with runtime.region_session(org_id) as db:
        resource = resources.find_resource(db, org_id=org_id, name="default")
        assert resource is not None
        deployments.create(
            runtime,
            db,
            registry=default_registry(plugins=False),
            org_id=org_id,
            resource_id=resource.id,
            name="painter",
            provider="openai",
            model="dall-e-3",
            base_url=upstream.base_url,
            api_key=upstream.api_key,
        )
