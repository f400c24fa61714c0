"""`/v1/files` (and Azure's `/openai/files`, `/openai/v1/files`): upload, list, retrieve, content, delete.

The caller's API key names the AI resource the files belong to; bytes are sealed in the resource's region
(gateway/files). Fine-tuning jobs that use them are in api/fine_tuning.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from tutela.errors import NotFound
from tutela.gateway.access import Caller
from tutela.gateway.api.router import authenticated
from tutela.gateway.api.routing import LeanRoute
from tutela.gateway.files import service as files
from tutela.gateway.files.models import GatewayFile
from tutela.gateway.pipeline import Gateway
from tutela.gateway.wire.exceptions import (
    InvalidRequestError,
    NotFoundError,
    PayloadTooLargeError,
)

router = APIRouter(tags=["gateway"], route_class=LeanRoute)


def _is_azure(request: Request) -> bool:
    return request.url.path.startswith("/openai/files")


def _file(row: GatewayFile) -> dict[str, Any]:
    return {
        "id": files.public_id(row),
        "object": "file",
        "bytes": row.size,
        "created_at": int(row.created_at.timestamp()),
        "filename": row.filename,
        "purpose": row.purpose,
        "status": "processed",
        "status_details": None,
    }


async def _form_file(request: Request, gateway: Gateway) -> tuple[str, str, bytes]:
    limit = gateway.runtime.settings.gateway.max_file_bytes
    declared = int(request.headers.get("content-length") or 0)
    if declared > limit + 64 * 1024:
        raise PayloadTooLargeError(f"The file is over the gateway's limit of {limit} bytes.")
    try:
        form = await request.form(max_files=1, max_fields=8)
    except (HTTPException, MultiPartException) as exc:  # starlette's malformed-multipart refusals
        detail = getattr(exc, "detail", None) or getattr(exc, "message", "")
        raise InvalidRequestError(f"Send the file as multipart/form-data ({detail}).", param="file") from None
    upload, purpose = form.get("file"), form.get("purpose")
    if not isinstance(upload, UploadFile):
        raise InvalidRequestError("Missing the multipart field 'file'.", param="file")
    if not isinstance(purpose, str) or not purpose:
        raise InvalidRequestError("Missing the multipart field 'purpose'.", param="purpose")
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLargeError(f"The file is over the gateway's limit of {limit} bytes.")
    return purpose, upload.filename or "file", data


def _found(gateway: Gateway, who: Caller, file_id: str) -> GatewayFile:
    with gateway.runtime.region_session(who.org_id) as db:
        try:
            return files.get(db, org_id=who.org_id, resource_id=who.resource_id, file_id=file_id)
        except NotFound as exc:
            raise NotFoundError(exc.message, param="file_id") from None


async def upload_file(request: Request) -> Response:
    """Upload a file (multipart `file` and `purpose`: fine-tune, batch or assistants)."""
    who, gateway = authenticated(request, azure=_is_azure(request))
    purpose, filename, data = await _form_file(request, gateway)

    def store() -> dict[str, Any]:
        with gateway.runtime.region_session(who.org_id) as db:
            row = files.upload(
                gateway.runtime,
                db,
                org_id=who.org_id,
                resource_id=who.resource_id,
                purpose=purpose,
                filename=filename,
                data=data,
            )
            return _file(row)

    return JSONResponse(await asyncio.to_thread(store))


async def list_files(request: Request) -> Response:
    """The resource's files, newest first (`purpose` filters)."""
    who, gateway = authenticated(request, azure=_is_azure(request))
    purpose = request.query_params.get("purpose")

    def read() -> list[dict[str, Any]]:
        with gateway.runtime.region_session(who.org_id) as db:
            rows = files.list_files(db, org_id=who.org_id, resource_id=who.resource_id, purpose=purpose)
            return [_file(r) for r in rows]

    data = await asyncio.to_thread(read)
    return JSONResponse(
        {
            "object": "list",
            "data": data,
            "has_more": False,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }
    )


async def retrieve_file(request: Request, file_id: str) -> Response:
    """One file's metadata."""
    who, gateway = authenticated(request, azure=_is_azure(request))
    return JSONResponse(_file(await asyncio.to_thread(_found, gateway, who, file_id)))


async def file_content(request: Request, file_id: str) -> Response:
    """The file's bytes."""
    who, gateway = authenticated(request, azure=_is_azure(request))

    def read() -> bytes:
        with gateway.runtime.region_session(who.org_id) as db:
            row = files.get(db, org_id=who.org_id, resource_id=who.resource_id, file_id=file_id)
            return files.content(gateway.runtime, db, row=row)

    try:
        data = await asyncio.to_thread(read)
    except NotFound as exc:
        raise NotFoundError(exc.message, param="file_id") from None
    return Response(data, media_type="application/octet-stream", headers={"cache-control": "no-store"})


async def delete_file(request: Request, file_id: str) -> Response:
    """Delete the file: its key is destroyed, then its bytes and metadata."""
    who, gateway = authenticated(request, azure=_is_azure(request))

    def drop() -> None:
        with gateway.runtime.region_session(who.org_id) as db:
            row = files.get(db, org_id=who.org_id, resource_id=who.resource_id, file_id=file_id)
            files.delete(gateway.runtime, db, row=row)

    try:
        await asyncio.to_thread(drop)
    except NotFound as exc:
        raise NotFoundError(exc.message, param="file_id") from None
    return JSONResponse({"id": file_id, "object": "file", "deleted": True})


for _prefix in ("/v1", "/openai", "/openai/v1"):
    _name = _prefix.strip("/").replace("/", "_")
    router.add_api_route(f"{_prefix}/files", upload_file, methods=["POST"], name=f"{_name}_upload_file")
    router.add_api_route(f"{_prefix}/files", list_files, methods=["GET"], name=f"{_name}_list_files")
    router.add_api_route(
        f"{_prefix}/files/{{file_id}}", retrieve_file, methods=["GET"], name=f"{_name}_retrieve_file"
    )
    router.add_api_route(
        f"{_prefix}/files/{{file_id}}/content", file_content, methods=["GET"], name=f"{_name}_file_content"
    )
    router.add_api_route(
        f"{_prefix}/files/{{file_id}}", delete_file, methods=["DELETE"], name=f"{_name}_delete_file"
    )
