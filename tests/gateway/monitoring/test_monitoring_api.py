"""Abuse monitoring over real HTTP on a live server: recording through the gateway, opt-out, flagging,
just-in-time review and what the customer sees of it. Each module runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.gateway.monitoring.support import (
    CLEAN,
    FILTERED,
    HIGH,
    JAILBREAK,
    chat,
    flush,
    key_rows,
    new_org,
    new_staff,
    record,
    rows,
)
from tests.support.platform import Platform
from tutela.clock import ManualClock
from tutela.core.permissions.roles import StaffRole
from tutela.gateway.monitoring import service
from tutela.gateway.monitoring.models import MonitoringRecord


def _canary() -> str:
    return f"CANARY-{uuid.uuid4().hex}"


def test_gateway_requests_are_recorded_with_sealed_content(platform: Platform) -> None:
    org = new_org(platform)
    canary = _canary()
    whole = chat(platform, org, f"Tell me about {canary}. The sky is blue today.")
    streamed = chat(platform, org, f"Stream about {canary}. Water is wet.", stream=True)
    assert whole.status_code == 200 and streamed.status_code == 200, whole.text
    flush(platform.runtime)

    with platform.client(org.admin_token) as client:
        listed = client.get(f"/api/monitoring/resources/{org.resource_id}/records")
    assert listed.status_code == 200, listed.text
    assert canary not in listed.text
    records = listed.json()
    assert len(records) == 2 and all(r["content_stored"] for r in records)
    assert {r["streamed"] for r in records} == {True, False}
    assert all(r["resource_id"] == org.resource_id and r["key_id"] == org.key_id for r in records)
    assert {whole.headers["x-request-id"], streamed.headers["x-request-id"]} == {
        r["request_id"] for r in records
    }
    # What is sealed is what was sent and answered, the stream's text included (decrypted here directly).
    with platform.runtime.region_session(org.id) as db:
        stored = service.list_records(db, org_id=org.id, resource_id=org.resource_id)
    for row in stored:
        content = service.decrypt(platform.runtime, row)
        assert canary in content["prompt"][0]
        assert content["completion"] and content["completion"][0].strip(), row.streamed
        assert row.completion_chars == len(content["completion"][0])


def test_opt_out_is_approved_by_an_operator_and_then_nothing_is_written(platform: Platform) -> None:
    org = new_org(platform)
    before = _canary()
    assert chat(platform, org, f"before {before}. Grass is green.").status_code == 200
    flush(platform.runtime)
    assert len(key_rows(platform.runtime, org.id)) == 1

    operator = new_staff(platform, StaffRole.OPERATOR)
    with platform.client(org.admin_token) as admin, platform.client(operator) as op:
        assert admin.post("/api/monitoring/opt-out", json={"reason": "short"}).status_code == 422
        made = admin.post("/api/monitoring/opt-out", json={"reason": "Works council agreement 2025-14"})
        assert made.status_code == 201, made.text
        assert (
            admin.post("/api/monitoring/opt-out", json={"reason": "again, please do it"}).status_code == 409
        )
        # The organization's own token cannot decide it (the platform API does not exist for it).
        assert (
            admin.post(f"/api/platform/monitoring/opt-outs/{made.json()['id']}/approve", json={}).status_code
            == 404
        )
        pending = op.get("/api/platform/monitoring/opt-outs").json()
        assert made.json()["id"] in {p["id"] for p in pending}
        approved = op.post(
            f"/api/platform/monitoring/opt-outs/{made.json()['id']}/approve", json={"note": "ok"}
        )
        assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text

        assert admin.get("/api/monitoring/policy").json()["content_logging"] is False
        assert {r["content_logging"] for r in admin.get("/api/ai/resources").json()} == {False}
        later = admin.post("/api/ai/resources", json={"name": "made-after-opt-out"})
        assert later.status_code == 201 and later.json()["content_logging"] is False, later.text
    with platform.client(org.key) as gateway:
        cards = gateway.get("/v1/models").json()["data"]
    assert {c["tutela"]["content_logging"] for c in cards} == {False}

    after = _canary()
    assert chat(platform, org, f"after {after}. Snow is cold.").status_code == 200
    assert chat(platform, org, f"after {after} streamed. Fire is hot.", stream=True).status_code == 200
    record(platform, org, verdicts=HIGH, prompt=f"queued {after}")  # even with a caller still saying "log"
    flush(platform.runtime)

    raw = rows(
        platform.runtime,
        org.id,
        "SELECT request_id, sealed_content, content_key_id, prompt_chars"
        " FROM monitoring_records WHERE org_id = :org",
    )
    assert len(raw) == 4, "metadata is still recorded"
    assert all(r[1] is None and r[2] is None for r in raw), "no content after (or before) approval"
    assert all(r[3] > 0 for r in raw), "sizes are metadata"
    assert key_rows(platform.runtime, org.id) == [], "every monitoring day key was destroyed"
    with platform.client(org.admin_token) as admin:
        actions = [e["action"] for e in admin.get("/api/audit?action=monitoring.").json()]
    assert {"monitoring.opt_out_requested", "monitoring.opt_out_approved"} <= set(actions)


def test_flags_review_with_just_in_time_grants_and_transparency(platform: Platform) -> None:
    runtime = platform.runtime
    assert isinstance(runtime.clock, ManualClock)
    org = new_org(platform)
    secret = _canary()
    clean_id = record(platform, org, verdicts=CLEAN, prompt=f"clean {secret}")
    high_id = record(platform, org, verdicts=HIGH, prompt=f"high {secret}", completion=f"answer {secret}")
    filtered = [record(platform, org, verdicts=FILTERED, prompt=f"f{i} {secret}") for i in range(5)]
    jail = [record(platform, org, verdicts=JAILBREAK, prompt=f"j{i} {secret}") for i in range(2)]
    flush(runtime)

    reviewer = new_staff(platform, StaffRole.SAFETY_REVIEWER)
    abroad = new_staff(platform, StaffRole.SAFETY_REVIEWER, StaffRole.SAFETY_MANAGER, location="US")
    manager = new_staff(platform, StaffRole.SAFETY_MANAGER)
    both = new_staff(platform, StaffRole.SAFETY_REVIEWER, StaffRole.SAFETY_MANAGER)
    operator = new_staff(platform, StaffRole.OPERATOR)
    base = "/api/platform/monitoring"

    with platform.client(reviewer) as rev, platform.client(manager) as man, platform.client(abroad) as us:
        queue = [f for f in rev.get(f"{base}/flags").json() if f["org_id"] == org.id]
        assert secret not in rev.get(f"{base}/flags").text, "the queue is metadata only"
        by_reason = {f["reason"]: f for f in queue}
        assert set(by_reason) == {"high_severity", "repeated_filtered"}, (
            "two jailbreaks are below the threshold"
        )
        assert by_reason["high_severity"]["request_ids"] == [high_id]
        # Every filtered request of the key counts (the high-severity and jailbreak ones were filtered too).
        repeated = set(by_reason["repeated_filtered"]["request_ids"])
        assert set(filtered) <= repeated <= {high_id, *filtered, *jail}
        jail.append(record(platform, org, verdicts=JAILBREAK, prompt=f"j2 {secret}"))
        flush(runtime)
        queue = {f["reason"]: f for f in rev.get(f"{base}/flags").json() if f["org_id"] == org.id}
        assert set(queue["repeated_jailbreak"]["request_ids"]) == set(jail)
        flag = by_reason["high_severity"]["id"]

        # Refusals: wrong jurisdiction, wrong role, unflagged request, weak justification.
        why = "Checking a high-severity violence hit reported by the classifier"
        assert us.get(f"{base}/flags").json() == [] or org.id not in {
            f["org_id"] for f in us.get(f"{base}/flags").json()
        }
        refused = us.post(
            f"{base}/flags/{flag}/access-requests", json={"request_id": high_id, "justification": why}
        )
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "wrong_jurisdiction"
        assert (
            man.post(
                f"{base}/flags/{flag}/access-requests", json={"request_id": high_id, "justification": why}
            ).status_code
            == 403
        )
        not_flagged = rev.post(
            f"{base}/flags/{flag}/access-requests", json={"request_id": clean_id, "justification": why}
        )
        assert not_flagged.status_code == 409, not_flagged.text
        assert (
            rev.post(
                f"{base}/flags/{flag}/access-requests", json={"request_id": high_id, "justification": "x"}
            ).status_code
            == 422
        )

        access = rev.post(
            f"{base}/flags/{flag}/access-requests", json={"request_id": high_id, "justification": why}
        )
        assert access.status_code == 201, access.text
        access_id = access.json()["id"]
        content_url = f"{base}/access-requests/{access_id}/content"
        pending = rev.get(content_url)
        assert pending.status_code == 403 and pending.json()["error"]["code"] == "no_live_grant"
        assert secret not in pending.text

        # Four eyes: a person holding both roles cannot approve their own request.
        with platform.client(both) as b:
            own = b.post(
                f"{base}/flags/{flag}/access-requests", json={"request_id": high_id, "justification": why}
            )
            assert own.status_code == 201
            self_approval = b.post(f"{base}/access-requests/{own.json()['id']}/approve", json={})
            assert self_approval.status_code == 403 and self_approval.json()["error"]["code"] == "same_person"
        assert us.post(f"{base}/access-requests/{access_id}/approve", json={}).status_code == 403
        assert rev.post(f"{base}/access-requests/{access_id}/approve", json={}).status_code == 403
        granted = man.post(f"{base}/access-requests/{access_id}/approve", json={})
        assert granted.status_code == 200 and granted.json()["expires_at"], granted.text

        shown = rev.get(content_url)
        assert shown.status_code == 200, shown.text
        assert shown.json()["prompt"] == [f"high {secret}"] and shown.json()["completion"] == [
            f"answer {secret}"
        ]
        with platform.client(both) as b:
            assert b.get(content_url).status_code == 403, "the grant is the requester's alone"
        assert man.get(content_url).status_code == 403

        runtime.clock.advance(timedelta(minutes=61))
        expired = rev.get(content_url)
        assert expired.status_code == 403 and expired.json()["error"]["code"] == "no_live_grant"

        # Outcome: abusive, key suspended, the organization's admins are told.
        outcome = rev.post(
            f"{base}/flags/{flag}/outcome", json={"outcome": "abusive", "suspend_key": True, "note": "n"}
        )
        assert outcome.status_code == 200 and outcome.json()["key_suspended"] is True, outcome.text
        assert rev.post(f"{base}/flags/{flag}/outcome", json={"outcome": "benign"}).status_code == 409

    with platform.client(org.key) as gateway:
        suspended = gateway.post(
            "/v1/chat/completions",
            json={"model": "extractive", "messages": [{"role": "user", "content": "hi"}]},
        )
    assert suspended.status_code == 401 and "suspended" in suspended.text

    # Staff without a reviewer role see no queue; org tokens never reach the platform API.
    with platform.client(operator) as op:
        assert op.get(f"{base}/flags").status_code == 403
    with platform.client(org.admin_token) as admin:
        assert admin.get(f"{base}/flags").status_code == 404
        assert admin.get(content_url).status_code == 404
        notes = admin.get("/api/monitoring/notifications").json()
        assert len(notes) == 1 and "suspended" in notes[0]["message"]
        accesses = {a["id"]: a for a in admin.get("/api/monitoring/accesses").json()}
        mine = accesses[access_id]
        assert mine["justification"] == why and mine["status"] == "approved" and mine["reviewer_email"]
        assert len(mine["reads"]) == 1, "one read while the grant lived"
        audit = admin.get("/api/audit?action=monitoring.").json()
        steps = [e["action"] for e in audit if e["target"] in (f"request:{high_id}", f"flag:{flag}")]
        for step in ("access_requested", "access_approved", "content_read", "outcome_recorded"):
            assert f"monitoring.{step}" in steps, step
        assert all(e["actor"].startswith("staff:") for e in audit if e["action"] == "monitoring.content_read")
        assert admin.get("/api/audit/verify").json()["ok"] is True
        # No organization-side API ever returns content.
        for path in (
            "/api/monitoring/flags",
            "/api/monitoring/accesses",
            "/api/monitoring/policy",
            f"/api/monitoring/resources/{org.resource_id}/records",
            "/api/audit?limit=1000",
        ):
            response = admin.get(path)
            assert response.status_code == 200 and secret not in response.text, path
    with platform.runtime.region_session(org.id) as db:
        flagged = {r.request_id for r in db.query(MonitoringRecord).filter_by(org_id=org.id, flagged=True)}
    assert flagged == {high_id, *filtered, *jail} and clean_id not in flagged
