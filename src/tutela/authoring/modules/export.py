"""L10: every module of an organization as files anyone can read without Tutela.

The zip holds `README.md`, `index.json` and per module a folder `<nn>-<title>/` with `module.json` (the
content, questions with answer keys and citations), `module.md`, `metadata.json` (state, template version,
deployment, model, groups), `checks.json`, the accepted cover images (`cover.png`,
`lessons/<n>/cover.png`), and `source/extraction.json` plus the source PDF while it exists.

`lms_zip` is the same organization export in one LMS format instead: one package or question bank per
module and one combined report of the questions each module's file leaves out (exports/bulk.py).
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from sqlalchemy.orm import Session

from tutela.authoring import exports
from tutela.authoring.covers import service as covers
from tutela.authoring.exports.text import slug
from tutela.authoring.generation.markdown import render_markdown
from tutela.authoring.modules import items, service
from tutela.authoring.modules.exceptions import NothingLeft, SourceUnavailable
from tutela.authoring.modules.models import Module
from tutela.errors import NotFound
from tutela.runtime import Runtime
from tutela.storage.tenancy import scoped

README = """# Modules exported from Tutela

One folder per module:

- `module.json` — title, language, learning objectives, chapters with lessons and their citations
  (`{page, quote}`, pages from 1), summary, and questions with `type`, `stem`, `options`, `answer`,
  `explanation` and `citation`. Its JSON Schema is `schemas/module.schema.json` in Tutela's repository.
- `module.md` — the same as a Markdown document, with the answer key and the sources as footnotes.
- `metadata.json` — workflow state, pass mark, prompt template version, deployment and model that
  produced it.
- `checks.json` — the last check report (grounding, safety, conformity).
- `cover.png` (or `.jpg`, `.webp`) — the module's cover image, when its author accepted one.
- `lessons/<n>/cover.png` — lesson n's cover image (lessons numbered from 1 across chapters), when
  its author accepted one; `index.json` lists them under `lesson_covers`.
- `source/` — the extracted text of the source (`extraction.json`: pages, paragraphs, headings) and the
  source PDF unless it was deleted.
"""


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n"


def _modules(db: Session, *, org_id: str) -> list[Module]:
    return list(db.scalars(scoped(Module, org_id).order_by(Module.created_at)))


def lms_zip(
    runtime: Runtime, db: Session, *, org_id: str, format_name: str
) -> tuple[bytes, exports.BulkReport]:
    """Every module of the organization in one LMS format, each at its own pass mark and without its rejected
    items, with the report."""
    exports.find_format(format_name)  # an unknown format is refused before any content is read
    found = []
    for module in _modules(db, org_id=org_id):
        try:
            content = items.for_export(
                db, module=module, content=service.read_content(runtime, db, module=module)
            )
        except NothingLeft:
            continue  # every lesson rejected: nothing to teach
        found.append(exports.Exportable(content=content, pass_mark=module.pass_mark))
    return exports.export_bulk(found, format_name=format_name)


def export_zip(runtime: Runtime, db: Session, *, org_id: str) -> bytes:
    """A zip of every module of the organization, with its questions and sources."""
    buffer = io.BytesIO()
    index: list[dict[str, Any]] = []
    modules = _modules(db, org_id=org_id)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.md", README)
        for number, module in enumerate(modules, start=1):
            folder = f"{number:03d}-{slug(module.title)}"
            content = service.read_content(runtime, db, module=module)
            metadata = {
                "id": module.id,
                "title": module.title,
                "state": module.state,
                "language": module.language,
                "pass_mark": module.pass_mark,
                "template_id": module.template_id,
                "template_version": module.template_version,
                "deployment": module.deployment,
                "model": module.model,
                "created_by": module.created_by,
                "created_at": module.created_at.isoformat(),
                "published_at": module.published_at.isoformat() if module.published_at else None,
                "group_ids": service.module_groups(db, org_id=org_id, module_id=module.id),
                "override_reason": module.override_reason,
            }
            archive.writestr(f"{folder}/module.json", content.model_dump_json(indent=2) + "\n")
            archive.writestr(f"{folder}/module.md", render_markdown(content))
            archive.writestr(f"{folder}/metadata.json", _dump(metadata))
            try:
                _, report = service.read_report(runtime, db, module=module)
                archive.writestr(f"{folder}/checks.json", report.model_dump_json(indent=2) + "\n")
            except (SourceUnavailable, NotFound):
                pass
            found = covers.exported(runtime, db, module=module, lessons=len(covers.lessons_of(content)))
            for name, data in found.values():
                archive.writestr(f"{folder}/{name}", data)
            entry: dict[str, Any] = {
                "folder": folder,
                **metadata,
                "cover": found[0][0] if 0 in found else None,
                "lesson_covers": {str(n): name for n, (name, _) in found.items() if n > 0},
            }
            if module.document_id is not None:
                doc = service.get_document(db, org_id=org_id, document_id=module.document_id)
                extraction = service.read_extraction(runtime, db, doc=doc)
                archive.writestr(
                    f"{folder}/source/extraction.json", extraction.model_dump_json(indent=2) + "\n"
                )
                pdf = None
                if doc.pdf_object_id is not None:
                    pdf = f"source/{doc.filename}"
                    archive.writestr(f"{folder}/{pdf}", service.read_pdf(runtime, db, doc=doc))
                entry["source"] = {"filename": doc.filename, "pages": doc.page_count, "pdf": pdf}
            index.append(entry)
        archive.writestr("index.json", _dump(index))
    return buffer.getvalue()
