"""A fake OpenAI / Azure OpenAI fine-tuning service: a real HTTP server on loopback speaking the files and
fine-tuning protocol.

OpenAI paths under `/v1` with `Authorization: Bearer`; Azure's under `/openai` with `api-key` and
`?api-version=` (an api-version before 2024 answers Azure's older status words: `notRunning`, `canceled`).
`POST /files` (multipart, purpose `fine-tune`), `DELETE /files/{id}`, `POST /fine_tuning/jobs`,
`GET /fine_tuning/jobs/{id}` (each read moves the job one step along `plan`), `POST …/cancel`,
`GET …/events`, `GET …/checkpoints`; and chat completions on the fine-tuned model (OpenAI `model`, Azure
deployment path) answering which model spoke. Every request is recorded with its raw body; `fail_next`
queues HTTP statuses for the next requests, `create_fails` for the next job creations; `job_fails` makes
the jobs created from then on end `failed`.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.support.server import serve

KEY = "sk-fake-trainer-key-5150"
PLAN = ("validating_files", "queued", "running", "succeeded")
_LEGACY = {"validating_files": "notRunning", "queued": "notRunning", "cancelled": "canceled"}


@dataclass
class Seen:
    """One request as the fake received it."""

    method: str
    path: str
    body: bytes


@dataclass
class Job:
    """A job the fake runs."""

    id: str
    model: str
    training_file: str
    validation_file: str | None
    body: dict[str, Any]
    steps: list[str]
    created_at: int = field(default_factory=lambda: int(time.time()))
    fails: bool = False
    cancelled: bool = False
    reads: int = 0

    @property
    def status(self) -> str:
        if self.cancelled:
            return "cancelled"
        return self.steps[min(self.reads, len(self.steps) - 1)]


@dataclass
class FakeTrainer:
    """The running fake; `files` holds the bytes of every file uploaded and not deleted."""

    url: str = ""
    requests: list[Seen] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    jobs: dict[str, Job] = field(default_factory=dict)
    faults: deque[int] = field(default_factory=deque)
    plan: tuple[str, ...] = PLAN
    job_fails: bool = False
    create_fails: deque[int] = field(default_factory=deque)  # statuses for the next job creations only
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL (with `/v1`)."""
        return f"{self.url}/v1"

    @property
    def api_key(self) -> str:
        """The key the fake accepts."""
        return KEY

    def fail_next(self, *statuses: int) -> None:
        """Answer the next requests with these statuses."""
        self.faults.extend(statuses)

    def received(self, data: bytes) -> bool:
        """Whether any request ever carried these bytes."""
        return any(data in seen.body for seen in self.requests)


def _error(status: int, message: str, code: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}},
        status_code=status,
    )


def _app(fake: FakeTrainer) -> FastAPI:
    app = FastAPI()

    def legacy(request: Request) -> bool:
        version = request.query_params.get("api-version")
        return version is not None and version < "2024"

    def job_object(request: Request, job: Job) -> dict[str, Any]:
        status = job.status
        succeeded = status == "succeeded" and not job.fails
        if status == "succeeded" and job.fails:
            status = "failed"
        azure = request.url.path.startswith("/openai")
        shown = _LEGACY.get(status, status) if legacy(request) else status
        model = (
            (f"{job.model}.ft-{job.id[-6:]}" if azure else f"ft:{job.model}:fake-org::{job.id[-8:]}")
            if succeeded
            else None
        )
        return {
            "id": job.id,
            "object": "fine_tuning.job",
            "model": job.model,
            "created_at": job.created_at,
            "finished_at": int(time.time()) if status in ("succeeded", "failed", "cancelled") else None,
            "fine_tuned_model": model,
            "organization_id": "org-fake",
            "result_files": [],
            "status": shown,
            "training_file": job.training_file,
            "validation_file": job.validation_file,
            "hyperparameters": job.body.get("hyperparameters") or {"n_epochs": 3},
            "trained_tokens": 4242 if succeeded else None,
            "error": {
                "code": "invalid_training_file",
                "message": "Training file has too few examples after filtering.",
                "param": "training_file",
            }
            if status == "failed"
            else None,
            "seed": job.body.get("seed", 7),
        }

    async def gate(request: Request) -> Response | None:
        body = await request.body()
        fake.requests.append(Seen(request.method, request.url.path, body))
        azure = request.url.path.startswith("/openai")
        if azure:
            if request.headers.get("api-key") != KEY:
                return JSONResponse(
                    {"error": {"code": "401", "message": "Access denied due to invalid subscription key."}},
                    status_code=401,
                )
            if "api-version" not in request.query_params:
                return JSONResponse(
                    {"error": {"code": "404", "message": "Resource not found"}}, status_code=404
                )
        elif request.headers.get("authorization") != f"Bearer {KEY}":
            return _error(401, "Incorrect API key provided.", "invalid_api_key")
        if fake.faults:
            status = fake.faults.popleft()
            return JSONResponse(
                {
                    "error": {
                        "message": "The server had an error while processing your request.",
                        "type": "server_error",
                    }
                },
                status_code=status,
            )
        return None

    def find(job_id: str) -> Job | None:
        return fake.jobs.get(job_id)

    for prefix in ("/v1", "/openai"):

        @app.post(f"{prefix}/files")
        async def upload(request: Request) -> Response:
            refused = await gate(request)
            if refused is not None:
                return refused
            form = await request.form()
            upload, purpose = form.get("file"), form.get("purpose")
            if purpose != "fine-tune" or upload is None or isinstance(upload, str):
                return _error(400, "Invalid file upload.", "invalid_file")
            data = await upload.read()
            file_id = f"file-up{next(fake._ids):04d}"
            fake.files[file_id] = data
            return JSONResponse(
                {
                    "id": file_id,
                    "object": "file",
                    "bytes": len(data),
                    "created_at": int(time.time()),
                    "filename": upload.filename,
                    "purpose": "fine-tune",
                    "status": "processed",
                }
            )

        @app.delete(f"{prefix}/files/{{file_id}}")
        async def delete(file_id: str, request: Request) -> Response:
            refused = await gate(request)
            if refused is not None:
                return refused
            if fake.files.pop(file_id, None) is None:
                return _error(404, f"No such File object: {file_id}", "not_found")
            fake.deleted.append(file_id)
            return JSONResponse({"id": file_id, "object": "file", "deleted": True})

        @app.post(f"{prefix}/fine_tuning/jobs")
        async def create(request: Request) -> Response:
            refused = await gate(request)
            if refused is not None:
                return refused
            if fake.create_fails:
                return JSONResponse(
                    {
                        "error": {
                            "message": "The server had an error while processing your request.",
                            "type": "server_error",
                        }
                    },
                    status_code=fake.create_fails.popleft(),
                )
            body = await request.json()
            for name in ("training_file", "validation_file"):
                if body.get(name) is not None and body[name] not in fake.files:
                    return _error(400, f"invalid {name}: {body[name]}", "invalid_request")
            job = Job(
                id=f"ftjob-up{next(fake._ids):04d}",
                model=body["model"],
                training_file=body["training_file"],
                validation_file=body.get("validation_file"),
                body=body,
                steps=list(fake.plan),
                fails=fake.job_fails,
            )
            fake.jobs[job.id] = job
            return JSONResponse(job_object(request, job))

        @app.get(f"{prefix}/fine_tuning/jobs/{{job_id}}")
        async def retrieve(job_id: str, request: Request) -> Response:
            refused = await gate(request)
            if refused is not None:
                return refused
            job = find(job_id)
            if job is None:
                return _error(404, f"No such job: {job_id}", "not_found")
            job.reads += 1
            return JSONResponse(job_object(request, job))

        @app.post(f"{prefix}/fine_tuning/jobs/{{job_id}}/cancel")
        async def cancel(job_id: str, request: Request) -> Response:
            refused = await gate(request)
            if refused is not None:
                return refused
            job = find(job_id)
            if job is None:
                return _error(404, f"No such job: {job_id}", "not_found")
            job.cancelled = True
            return JSONResponse(job_object(request, job))

        @app.get(f"{prefix}/fine_tuning/jobs/{{job_id}}/events")
        async def events(job_id: str, request: Request) -> Response:
            refused = await gate(request)
            if refused is not None:
                return refused
            job = find(job_id)
            if job is None:
                return _error(404, f"No such job: {job_id}", "not_found")
            data = [
                {
                    "id": f"ftevent-{job.id}-{i}",
                    "object": "fine_tuning.job.event",
                    "created_at": job.created_at + i,
                    "level": "info",
                    "message": f"Step {i}: {step}",
                    "type": "message",
                }
                for i, step in enumerate(job.steps[: job.reads + 1])
            ][::-1]
            limit = int(request.query_params.get("limit", "20"))
            return JSONResponse({"object": "list", "data": data[:limit], "has_more": len(data) > limit})

        @app.get(f"{prefix}/fine_tuning/jobs/{{job_id}}/checkpoints")
        async def checkpoints(job_id: str, request: Request) -> Response:
            refused = await gate(request)
            if refused is not None:
                return refused
            job = find(job_id)
            if job is None:
                return _error(404, f"No such job: {job_id}", "not_found")
            data = [
                {
                    "id": f"ftckpt-{job.id}-{step}",
                    "object": "fine_tuning.job.checkpoint",
                    "created_at": job.created_at,
                    "fine_tuning_job_id": job.id,
                    "fine_tuned_model_checkpoint": f"ft:{job.model}:ckpt-step-{step}",
                    "step_number": step,
                    "metrics": {"step": step, "train_loss": 1.0 / step},
                }
                for step in (10, 20)
            ]
            return JSONResponse({"object": "list", "data": data, "has_more": False})

    def chat_answer(model: str) -> dict[str, Any]:
        return {
            "id": "chatcmpl-ft",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": f"answered by {model}"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6},
        }

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        refused = await gate(request)
        return refused or JSONResponse(chat_answer((await request.json())["model"]))

    @app.post("/openai/deployments/{deployment}/chat/completions")
    async def azure_chat(deployment: str, request: Request) -> Response:
        refused = await gate(request)
        return refused or JSONResponse(chat_answer(deployment))

    return app


@contextmanager
def running_trainer() -> Iterator[FakeTrainer]:
    """Start the fake on a free loopback port for the duration of the block."""
    fake = FakeTrainer()
    with serve(_app(fake)) as url:
        fake.url = url
        yield fake
