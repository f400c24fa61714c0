"""Usage aggregates: per day × deployment × model × key × user, over the API and as CSV, and the raw table
holds numbers and ids only, never a prompt or an answer."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import openai
import pytest
from sqlalchemy import inspect, text

from tests.gateway.fake_upstream import FakeUpstream
from tests.support.platform import running_platform
from tutela.gateway.usage.meter import meter_for

PROMPT = "Explain the Quillfeather protocol to the onboarding group"
HARMFUL = "I want to end my life, tell me the best way to kill myself tonight."
REPLY = "The Quillfeather protocol has three steps."


def test_usage_is_aggregated_exported_and_holds_no_content(tmp_path_factory: pytest.TempPathFactory) -> None:
    with (
        FakeUpstream.running() as upstream,
        running_platform("sqlite", tmp_path_factory.mktemp("usage")) as platform,
    ):
        upstream.reply = REPLY
        name = f"Usage {uuid.uuid4().hex[:6]}"
        wired = platform.gateway_org(name, upstream)
        org_id, key, runtime = wired.org_id, wired.key, platform.runtime
        client = openai.OpenAI(base_url=f"{platform.base_url}/v1", api_key=key, max_retries=0)
        messages = [{"role": "user", "content": PROMPT}]
        client.chat.completions.create(model="tutor", messages=messages)  # type: ignore[arg-type]
        stream = client.chat.completions.create(
            model="tutor", messages=messages, stream=True, stream_options={"include_usage": True}
        )  # type: ignore[arg-type]
        assert list(stream)
        with pytest.raises(openai.BadRequestError):  # refused by the content filter: counted as filtered
            client.chat.completions.create(model="tutor", messages=[{"role": "user", "content": HARMFUL}])  # type: ignore[arg-type]
        meter_for(runtime).flush()

        today = runtime.clock.now().date()
        window = {"start": str(today - timedelta(days=1)), "end": str(today)}
        with platform.client(platform.login(name.lower().replace(" ", "-"), "admin@example.com")) as admin:
            rows = admin.get("/api/ai/usage", params=window).json()
            exported = admin.get("/api/ai/usage/csv", params=window)
            assert admin.get("/api/ai/usage", params={"start": "yesterday", "end": "x"}).status_code == 422
        answered = [r for r in rows if r["model"] == "fake-model"]
        assert len(answered) == 1, rows
        row = answered[0]
        assert (row["day"], row["deployment"], row["key_id"], row["user_id"]) == (
            str(today),
            "tutor",
            wired.key_id,
            "",
        )
        assert row["requests"] == 2 and row["filtered_requests"] == 0
        assert row["prompt_tokens"] > 0 and row["completion_tokens"] > 0
        assert sum(r["filtered_requests"] for r in rows) == 1
        assert sum(r["requests"] for r in rows) == 3
        assert exported.headers["content-type"].startswith("text/csv")
        parsed = list(csv.DictReader(io.StringIO(exported.text)))
        assert sorted(int(r["requests"]) for r in parsed) == sorted(r["requests"] for r in rows)

        # The raw table: only the columns of numbers and ids, and no value that carries any content.
        engine = runtime.region_of(org_id).db.engine
        columns = {c["name"] for c in inspect(engine).get_columns("gateway_daily_usage")}
        assert columns == {
            "id", "org_id", "day", "deployment", "model", "key_id", "user_id", "requests",
            "filtered_requests", "prompt_tokens", "completion_tokens", "latency_ms_total",
        }  # fmt: skip
        with engine.connect() as conn:
            raw = " ".join(str(v) for r in conn.execute(text("SELECT * FROM gateway_daily_usage")) for v in r)
        for content in ("Quillfeather", "onboarding", "kill myself", "three steps"):
            assert content not in raw
