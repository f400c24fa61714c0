"""`/v1/fine_tuning/jobs` through the `openai` package (OpenAI and AzureOpenAI) against loopback upstreams
speaking the files and fine-tuning protocol: files uploaded upstream just in time and deleted once the job
has ended (audited), statuses in each API's words, the fine-tuned model a deployment of the owning resource
only, failures mid-job, and that the training bytes reach the chosen upstream and no other."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from sqlalchemy import select

from tests.gateway.fake_trainer import FakeTrainer, running_trainer
from tests.support.platform import GatewayOrg, Platform
from tutela.core.audit.models import AuditEntry
from tutela.gateway.deployments import service as deployments
from tutela.gateway.providers.registry import default_registry
from tutela.gateway.resources import service as resources

API_VERSION = "2024-10-21"
CANARY = "Refunds over 400 euros need the regional manager's initials"


def _training(n: int = 10, *, canary: str = CANARY) -> bytes:
    lines = [
        {
            "messages": [
                {"role": "user", "content": f"Refund question {i}?"},
                {"role": "assistant", "content": f"{canary} (case {i})."},
            ]
        }
        for i in range(n)
    ]
    return "\n".join(json.dumps(line) for line in lines).encode()


@pytest.fixture(scope="module")
def trainer() -> Iterator[FakeTrainer]:
    with running_trainer() as fake:
        yield fake


@pytest.fixture(scope="module")
def bystander() -> Iterator[FakeTrainer]:
    """Another upstream the organization also uses: it must never see the training data."""
    with running_trainer() as fake:
        yield fake


def _deploy(platform: Platform, org: GatewayOrg, name: str, provider: str, url: str, **kwargs: Any) -> None:
    with platform.runtime.region_session(org.org_id) as db:
        deployments.create(
            platform.runtime,
            db,
            registry=default_registry(plugins=False),
            org_id=org.org_id,
            resource_id=org.resource_id,
            name=name,
            provider=provider,
            base_url=url,
            api_key="sk-fake-trainer-key-5150",
            **kwargs,
        )


@pytest.fixture(scope="module")
def org(platform: Platform, trainer: FakeTrainer, bystander: FakeTrainer) -> GatewayOrg:
    made = platform.gateway_org("Fine tuning", trainer, deployment="trainable", model="gpt-4o-mini")
    _deploy(platform, made, "elsewhere", "openai", bystander.base_url, model="gpt-4o")
    pii = {"pii": "pseudonymise"}
    _deploy(platform, made, "pseudonymised", "openai", trainer.base_url, model="gpt-4o", extra_options=pii)
    _deploy(
        platform,
        made,
        "azure-trainable",
        "azure-openai",
        trainer.url,
        model="gpt-35-turbo",
        api_version="2023-05-15",
    )
    return made


def _audit(platform: Platform, org_id: str, action: str) -> list[AuditEntry]:
    with platform.runtime.region_session(org_id) as db:
        rows = db.scalars(select(AuditEntry).where(AuditEntry.org_id == org_id, AuditEntry.action == action))
        return [r for r in rows]


def _until(client: openai.OpenAI, job_id: str, *ends: str) -> Any:
    for _ in range(10):
        job = client.fine_tuning.jobs.retrieve(job_id)
        if job.status in ends:
            return job
    raise AssertionError(f"job {job_id} never reached {ends}: {job.status}")


def test_a_job_trains_upstream_and_its_model_serves_only_the_owning_resource(
    platform: Platform, org: GatewayOrg, trainer: FakeTrainer, bystander: FakeTrainer
) -> None:
    client = platform.openai(org.key)
    data, validation = _training(12), _training(10, canary="Validation set line")
    train_file = client.files.create(file=("refunds.jsonl", data), purpose="fine-tune")
    valid_file = client.files.create(file=("check.jsonl", validation), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(
        model="trainable",
        training_file=train_file.id,
        validation_file=valid_file.id,
        suffix="refunds desk",
        seed=3,
        hyperparameters={"n_epochs": 2},
    )
    assert job.id.startswith("ftjob-") and job.status == "validating_files"
    assert (job.model, job.training_file, job.validation_file) == ("trainable", train_file.id, valid_file.id)
    assert job.fine_tuned_model is None and job.seed == 3 and job.suffix == "refunds desk"
    # The upstream got the bytes just in time, for its own model, and the options.
    (upstream_job,) = [j for j in trainer.jobs.values() if trainer.files.get(j.training_file) == data]
    assert upstream_job.model == "gpt-4o-mini" and upstream_job.body["hyperparameters"] == {"n_epochs": 2}
    assert trainer.files[upstream_job.validation_file or ""] == validation

    assert client.fine_tuning.jobs.retrieve(job.id).status == "queued"
    assert job.id in [j.id for j in client.fine_tuning.jobs.list()]
    done = _until(client, job.id, "succeeded", "failed")
    assert done.status == "succeeded" and done.trained_tokens == 4242 and done.finished_at
    assert done.fine_tuned_model is not None and done.fine_tuned_model.startswith(
        "ft:trainable:refunds-desk:"
    )

    # Once ended, both files are gone upstream; every upload and deletion is in the audit log.
    assert upstream_job.training_file in trainer.deleted and upstream_job.validation_file in trainer.deleted
    uploads = [
        e for e in _audit(platform, org.org_id, "fine_tuning.file_uploaded_upstream") if e.target == job.id
    ]
    deletions = [
        e for e in _audit(platform, org.org_id, "fine_tuning.file_deleted_upstream") if e.target == job.id
    ]
    assert sorted(e.details["file"] for e in uploads) == sorted([train_file.id, valid_file.id])
    assert {e.details["upstream"] for e in uploads + deletions} == {trainer.url}
    assert sorted(e.details["upstream_file"] for e in deletions) == sorted(
        [upstream_job.training_file, upstream_job.validation_file]
    )

    # Nothing left except to the upstream the customer chose.
    # The other upstream is live and serves this organization, yet never saw the training bytes.
    client.chat.completions.create(model="elsewhere", messages=[{"role": "user", "content": "hello"}])
    assert {s.path for s in bystander.requests} == {"/v1/chat/completions"}
    assert trainer.received(data) and trainer.received(validation)
    assert not bystander.received(data) and not bystander.received(validation)
    assert not bystander.received(CANARY.encode())

    # Events and checkpoints come from the upstream, under the gateway's job id.
    events = client.fine_tuning.jobs.list_events(job.id, limit=2)
    assert len(events.data) == 2 and events.has_more and events.data[0].object == "fine_tuning.job.event"
    checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id)
    assert [c.step_number for c in checkpoints.data] == [10, 20]
    assert {c.fine_tuning_job_id for c in checkpoints.data} == {job.id}

    # The model is a deployment of this resource: it answers here, 404 for another resource or tenant.
    reply = client.chat.completions.create(
        model=done.fine_tuned_model, messages=[{"role": "user", "content": "A refund of 500 euros?"}]
    )
    assert reply.choices[0].message.content == f"answered by ft:gpt-4o-mini:fake-org::{upstream_job.id[-8:]}"
    with platform.runtime.region_session(org.org_id) as db:
        other = resources.create_resource(db, org_id=org.org_id, name="other-team")
        _, other_key = resources.create_key(db, org_id=org.org_id, resource_id=other.id)
    stranger = platform.new_org("Fine tuning stranger")
    with platform.runtime.region_session(stranger) as db:
        resource = resources.find_resource(db, org_id=stranger, name="default")
        assert resource is not None
        _, stranger_key = resources.create_key(db, org_id=stranger, resource_id=resource.id)
    for key in (other_key, stranger_key):
        outsider = platform.openai(key)
        with pytest.raises(openai.NotFoundError):
            outsider.chat.completions.create(
                model=done.fine_tuned_model, messages=[{"role": "user", "content": "hello"}]
            )
        for call in (
            lambda outsider=outsider: outsider.fine_tuning.jobs.retrieve(job.id),
            lambda outsider=outsider: outsider.fine_tuning.jobs.cancel(job.id),
            lambda outsider=outsider: outsider.fine_tuning.jobs.list_events(job.id),
            lambda outsider=outsider: outsider.fine_tuning.jobs.checkpoints.list(job.id),
        ):
            with pytest.raises(openai.NotFoundError):
                call()
        assert job.id not in [j.id for j in outsider.fine_tuning.jobs.list()]


def test_azure_jobs_speak_each_api_versions_words(
    platform: Platform, org: GatewayOrg, trainer: FakeTrainer
) -> None:
    azure = platform.azure(org.key, API_VERSION)
    older = platform.azure(org.key, "2023-10-01-preview")
    upload = azure.files.create(file=("azure.jsonl", _training()), purpose="fine-tune")
    job = azure.fine_tuning.jobs.create(model="azure-trainable", training_file=upload.id)
    # The upstream (an old api-version) answers `notRunning` (queued): OpenAI's words on a current
    # api-version, Azure's older words on an older one.
    assert job.status == "queued"
    assert older.fine_tuning.jobs.retrieve(job.id).status == "notRunning"
    upstream_job = trainer.jobs[max(trainer.jobs)]
    assert upstream_job.model == "gpt-35-turbo"
    done = _until(azure, job.id, "succeeded", "failed")
    assert done.status == "succeeded" and done.fine_tuned_model is not None
    assert older.fine_tuning.jobs.retrieve(job.id).status == "succeeded"
    assert upstream_job.training_file in trainer.deleted
    reply = azure.chat.completions.create(
        model=done.fine_tuned_model, messages=[{"role": "user", "content": "hi"}]
    )
    assert reply.choices[0].message.content == f"answered by gpt-35-turbo.ft-{upstream_job.id[-6:]}"


def test_an_upstream_500_on_upload_or_create_leaves_nothing_behind(
    platform: Platform, org: GatewayOrg, trainer: FakeTrainer
) -> None:
    client = platform.openai(org.key)
    upload = client.files.create(file=("t.jsonl", _training()), purpose="fine-tune")
    before_jobs, before_files = set(trainer.jobs), dict(trainer.files)
    trainer.fail_next(500)  # the upload itself fails
    with pytest.raises(openai.APIStatusError) as refused:
        client.fine_tuning.jobs.create(model="trainable", training_file=upload.id)
    assert refused.value.status_code == 502 and "HTTP 500" in refused.value.message
    trainer.create_fails.append(500)  # the upload succeeds, the job creation fails
    trainer.requests.clear()
    with pytest.raises(openai.APIStatusError) as refused:
        client.fine_tuning.jobs.create(model="trainable", training_file=upload.id)
    assert refused.value.status_code == 502
    assert [(s.method, s.path) for s in trainer.requests][0::2] == [
        ("POST", "/v1/files"),
        ("DELETE", trainer.requests[2].path),
    ]
    assert (trainer.jobs.keys(), trainer.files) == (before_jobs, before_files)  # the upload was deleted again
    (deleted,) = [s.path.rsplit("/", 1)[-1] for s in trainer.requests if s.method == "DELETE"]
    assert any(
        e.details["upstream_file"] == deleted
        for e in _audit(platform, org.org_id, "fine_tuning.file_deleted_upstream")
    )
    assert all(j.training_file != upload.id for j in client.fine_tuning.jobs.list())


def test_a_job_failing_upstream_reports_its_error_and_deploys_nothing(
    platform: Platform, org: GatewayOrg, trainer: FakeTrainer
) -> None:
    client = platform.openai(org.key)
    upload = client.files.create(file=("t.jsonl", _training()), purpose="fine-tune")
    trainer.job_fails = True
    try:
        job = client.fine_tuning.jobs.create(model="trainable", training_file=upload.id)
    finally:
        trainer.job_fails = False
    failed = _until(client, job.id, "succeeded", "failed")
    assert failed.status == "failed" and failed.fine_tuned_model is None
    assert failed.error is not None and failed.error.code == "invalid_training_file"
    assert "too few examples" in (failed.error.message or "")
    upstream_job = trainer.jobs[max(trainer.jobs)]
    assert upstream_job.training_file in trainer.deleted
    assert not [d for d in client.models.list() if d.id.endswith(job.id.removeprefix("ftjob-")[:8])]


def test_cancel_ends_the_job_and_cleans_up_upstream(
    platform: Platform, org: GatewayOrg, trainer: FakeTrainer
) -> None:
    client = platform.openai(org.key)
    upload = client.files.create(file=("t.jsonl", _training()), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model="trainable", training_file=upload.id)
    cancelled = client.fine_tuning.jobs.cancel(job.id)
    assert cancelled.status == "cancelled" and cancelled.finished_at
    assert trainer.jobs[max(trainer.jobs)].training_file in trainer.deleted
    with pytest.raises(openai.BadRequestError, match="already ended"):
        client.fine_tuning.jobs.cancel(job.id)


def test_an_upstream_gone_during_polling_is_a_clear_error_and_the_job_keeps_its_last_status(
    platform: Platform, org: GatewayOrg
) -> None:
    client = platform.openai(org.key)
    upload = client.files.create(file=("t.jsonl", _training()), purpose="fine-tune")
    with running_trainer() as short_lived:
        _deploy(platform, org, "short-lived", "openai", short_lived.base_url, model="gpt-4o-mini")
        job = client.fine_tuning.jobs.create(model="short-lived", training_file=upload.id)
        assert client.fine_tuning.jobs.retrieve(job.id).status == "queued"
    # The upstream has gone away.
    with pytest.raises(openai.APIStatusError) as refused:
        client.fine_tuning.jobs.retrieve(job.id)
    assert refused.value.status_code in (502, 503, 504)
    assert "upstream" in refused.value.message.lower()
    (listed,) = [j for j in client.fine_tuning.jobs.list(limit=100) if j.id == job.id]
    assert listed.status == "queued"


def test_the_builtin_model_and_bad_requests_get_clear_errors(platform: Platform, org: GatewayOrg) -> None:
    client = platform.openai(org.key)
    upload = client.files.create(file=("t.jsonl", _training()), purpose="fine-tune")
    batch = client.files.create(
        file=("b.jsonl", b'{"custom_id": "1", "method": "POST", "url": "/v1/chat/completions", "body": {}}'),
        purpose="batch",
    )
    with pytest.raises(openai.BadRequestError) as builtin:
        client.fine_tuning.jobs.create(model="extractive", training_file=upload.id)
    assert (
        builtin.value.code == "fine_tuning_not_supported" and "cannot be fine-tuned" in builtin.value.message
    )
    with pytest.raises(openai.BadRequestError, match="pseudonymises personal data"):
        client.fine_tuning.jobs.create(model="pseudonymised", training_file=upload.id)
    with pytest.raises(openai.BadRequestError, match="purpose 'fine-tune'"):
        client.fine_tuning.jobs.create(model="trainable", training_file=batch.id)
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.create(model="no-such-deployment", training_file=upload.id)
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.create(
            model="trainable", training_file="file-00000000-0000-0000-0000-000000000000"
        )
    with pytest.raises(openai.BadRequestError, match="third service"):
        client.fine_tuning.jobs.create(
            model="trainable",
            training_file=upload.id,
            integrations=[{"type": "wandb", "wandb": {"project": "p"}}],
        )
    with pytest.raises(openai.BadRequestError, match="training_file"):
        client.post("/fine_tuning/jobs", body={"model": "trainable"}, cast_to=object)
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve("ftjob-not-an-id")
