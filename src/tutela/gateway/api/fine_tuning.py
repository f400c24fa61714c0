"""`/v1/fine_tuning/jobs` (and Azure's `/openai/fine_tuning/jobs?api-version=…`, `/openai/v1/...`): create,
list, retrieve, cancel, events and checkpoints of the caller's AI resource (gateway/fine_tuning).

`model` names a deployment of the resource on an `openai` or `azure-openai` upstream; the built-in
provider answers a 400 saying fine-tuning is not supported. Statuses use OpenAI's words, except on Azure
routes with an api-version older than `AZURE_WORDS_BEFORE`, which answer Azure's older words.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from tutela.gateway.access import Caller
from tutela.gateway.api.router import authenticated, read_body
from tutela.gateway.api.routing import LeanRoute
from tutela.gateway.fine_tuning.models import FineTuningJob
from tutela.gateway.fine_tuning.requests import parse_job_request, parse_no_arguments
from tutela.gateway.fine_tuning.service import ID_PREFIX, public_id
from tutela.gateway.pipeline import Gateway
from tutela.gateway.wire.exceptions import InvalidRequestError

router = APIRouter(tags=["gateway"], route_class=LeanRoute)

AZURE_WORDS_BEFORE = "2024-02-01"
_AZURE_WORDS = {
    "validating_files": "notRunning",
    "queued": "notRunning",
    "running": "running",
    "succeeded": "succeeded",
    "failed": "failed",
    "cancelled": "cancelled",
}
MAX_LIMIT = 100


def _azure(request: Request) -> bool:
    return request.url.path.startswith("/openai/fine_tuning")


def _caller(request: Request) -> tuple[Caller, Gateway]:
    return authenticated(request, azure=_azure(request))


def _status(request: Request, status: str) -> str:
    version = request.query_params.get("api-version", "")
    if _azure(request) and version < AZURE_WORDS_BEFORE:
        return _AZURE_WORDS[status]
    return status


def _job(request: Request, job: FineTuningJob) -> dict[str, Any]:
    options = job.options
    return {
        "id": public_id(job),
        "object": "fine_tuning.job",
        "model": job.model,
        "created_at": int(job.created_at.timestamp()),
        "finished_at": int(job.finished_at.timestamp()) if job.finished_at else None,
        "fine_tuned_model": job.fine_tuned_model,
        "organization_id": job.org_id,
        "result_files": [],
        "status": _status(request, job.status),
        "training_file": job.training_file,
        "validation_file": job.validation_file,
        "hyperparameters": options.get("hyperparameters") or {},
        "trained_tokens": job.trained_tokens,
        "error": job.error,
        "seed": options.get("seed"),
        "suffix": options.get("suffix"),
        "method": options.get("method"),
        "estimated_finish": None,
        "integrations": None,
    }


def _limit(request: Request, default: int) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidRequestError(f"'limit' must be a whole number from 1 to {MAX_LIMIT}.", param="limit")
    return int(raw)


async def create_job(request: Request) -> Response:
    """Create a job: the training file goes to the deployment's upstream, which trains."""
    who, gateway = _caller(request)
    body = parse_job_request(await read_body(request, gateway))
    job = await gateway.fine_tuning.create(who, body)
    return JSONResponse(_job(request, job))


async def list_jobs(request: Request) -> Response:
    """The resource's jobs, newest first (`limit`, `after`)."""
    who, gateway = _caller(request)
    jobs, more = await gateway.fine_tuning.list_jobs(
        who, limit=_limit(request, 20), after=request.query_params.get("after")
    )
    return JSONResponse({"object": "list", "data": [_job(request, j) for j in jobs], "has_more": more})


async def retrieve_job(request: Request, fine_tuning_job_id: str) -> Response:
    """One job, as its upstream reports it now."""
    who, gateway = _caller(request)
    return JSONResponse(_job(request, await gateway.fine_tuning.retrieve(who, fine_tuning_job_id)))


async def cancel_job(request: Request, fine_tuning_job_id: str) -> Response:
    """Cancel a job that has not ended (the request takes no arguments)."""
    who, gateway = _caller(request)
    parse_no_arguments(await read_body(request, gateway))
    return JSONResponse(_job(request, await gateway.fine_tuning.cancel(who, fine_tuning_job_id)))


async def _listing(request: Request, fine_tuning_job_id: str, what: str) -> Response:
    who, gateway = _caller(request)
    params = {"limit": str(_limit(request, 10))}
    if request.query_params.get("after"):
        params["after"] = request.query_params["after"]
    data, more = await gateway.fine_tuning.listing(who, fine_tuning_job_id, what, params)
    ours = ID_PREFIX + fine_tuning_job_id.removeprefix(ID_PREFIX)
    for item in data:
        if "fine_tuning_job_id" in item:
            item["fine_tuning_job_id"] = ours
    return JSONResponse(
        {
            "object": "list",
            "data": data,
            "has_more": more,
            "first_id": data[0].get("id") if data else None,
            "last_id": data[-1].get("id") if data else None,
        }
    )


async def job_events(request: Request, fine_tuning_job_id: str) -> Response:
    """The job's events, from its upstream."""
    return await _listing(request, fine_tuning_job_id, "events")


async def job_checkpoints(request: Request, fine_tuning_job_id: str) -> Response:
    """The job's checkpoints, from its upstream."""
    return await _listing(request, fine_tuning_job_id, "checkpoints")


for _prefix in ("/v1", "/openai", "/openai/v1"):
    _name = _prefix.strip("/").replace("/", "_")
    _jobs = f"{_prefix}/fine_tuning/jobs"
    router.add_api_route(_jobs, create_job, methods=["POST"], name=f"{_name}_create_fine_tuning_job")
    router.add_api_route(_jobs, list_jobs, methods=["GET"], name=f"{_name}_list_fine_tuning_jobs")
    router.add_api_route(
        f"{_jobs}/{{fine_tuning_job_id}}",
        retrieve_job,
        methods=["GET"],
        name=f"{_name}_retrieve_fine_tuning_job",
    )
    router.add_api_route(
        f"{_jobs}/{{fine_tuning_job_id}}/cancel",
        cancel_job,
        methods=["POST"],
        name=f"{_name}_cancel_fine_tuning_job",
    )
    router.add_api_route(
        f"{_jobs}/{{fine_tuning_job_id}}/events",
        job_events,
        methods=["GET"],
        name=f"{_name}_fine_tuning_job_events",
    )
    router.add_api_route(
        f"{_jobs}/{{fine_tuning_job_id}}/checkpoints",
        job_checkpoints,
        methods=["GET"],
        name=f"{_name}_fine_tuning_job_checkpoints",
    )
