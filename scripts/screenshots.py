"""Screenshots of the main pages for the README, at desktop (1280 px) and phone (375 px) widths.

Starts `tutela serve --demo` on a fresh data folder and a free loopback port, makes a module from a test PDF
as the demo author (reviewed by the admin, published to the learners' group, one lesson opened by the
learner), then drives Debian's Chromium with Playwright (as tests/e2e does) and saves one viewport image
per page and width into docs/screenshots/, reduced to 256 colours.

Usage: .venv/bin/python scripts/screenshots.py [--out docs/screenshots]   (or scripts/screenshots.sh)
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
PDF = ROOT / "tests" / "fixtures" / "pdf" / "real" / "tracemonkey.pdf"
CHROMIUM = Path("/usr/bin/chromium")
ORG = "demo"
ADMIN, AUTHOR, LEARNER = "admin@demo.example.com", "author@demo.example.com", "learner@demo.example.com"
WIDTHS = {"desktop": (1280, 800), "phone": (375, 812)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_up(base_url: str, server: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"tutela serve stopped (exit {server.returncode}); see its output above")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    sys.exit(f"tutela serve did not answer on {base_url} within {timeout:.0f} s")


def api(base_url: str, email: str, password: str) -> httpx.Client:
    login = {"organization": ORG, "email": email, "password": password}
    token = (
        httpx.post(f"{base_url}/api/auth/login", json=login, timeout=30).raise_for_status().json()["token"]
    )
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def prepare(base_url: str, password: str) -> str:
    """The demo's day: a module generated, reviewed and published, a lesson opened; returns its id."""
    with api(base_url, AUTHOR, password) as author:
        files = {"file": (PDF.name, PDF.read_bytes(), "application/pdf")}
        doc = author.post("/api/documents", files=files).raise_for_status().json()
        job = author.post("/api/modules", json={"document_id": doc["id"]}).raise_for_status().json()
        deadline = time.monotonic() + 300
        while (state := author.get(f"/api/modules/jobs/{job['id']}").json())["status"] not in (
            "succeeded",
            "failed",
        ):
            if time.monotonic() > deadline:
                sys.exit("the module was not generated within 300 s")
            time.sleep(1)
        if state["status"] != "succeeded":
            sys.exit(f"the module could not be generated: {state}")
        module_id: str = state["module_id"]
        people = author.get(f"/api/modules/{module_id}/reviewers").raise_for_status().json()
        admin_ids = [p["id"] for p in people["candidates"]]
        author.put(f"/api/modules/{module_id}/reviewers", json={"user_ids": admin_ids}).raise_for_status()
        author.post(f"/api/modules/{module_id}/state", json={"state": "in_review"}).raise_for_status()
    with api(base_url, ADMIN, password) as admin:
        groups: list[dict[str, Any]] = admin.get("/api/groups").raise_for_status().json()
        sales = next(g["id"] for g in groups if g["name"] == "Sales team")
        publish = {"state": "published", "group_ids": [sales], "override_reason": "Read through by hand."}
        admin.post(f"/api/modules/{module_id}/state", json=publish).raise_for_status()
    with api(base_url, LEARNER, password) as learner:
        learner.post(f"/api/modules/{module_id}/progress", json={"lesson": 0}).raise_for_status()
    return module_id


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Organization").fill(ORG)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def save(page: Page, path: Path) -> None:
    page.screenshot(path=str(path))
    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=256).save(path, optimize=True)


def shoot(base_url: str, password: str, module_id: str, out: Path) -> list[Path]:
    pages = [
        ("author-home", AUTHOR, "/"),
        ("review", ADMIN, f"/author/modules/{module_id}"),
        ("learner-lesson", LEARNER, f"/learn/{module_id}/lessons/1"),
        ("completion", ADMIN, "/author/completion"),
    ]
    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"], headless=True
        )
        try:
            for width_name, (width, height) in WIDTHS.items():
                for name, email, path in pages:
                    context = browser.new_context(
                        base_url=base_url, viewport={"width": width, "height": height}
                    )
                    page = context.new_page()
                    sign_in(page, email, password)
                    page.goto(path)
                    target = out / f"{name}-{width_name}.png"
                    save(page, target)
                    saved.append(target)
                    context.close()
        finally:
            browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(f"Chromium is needed at {CHROMIUM} (apt-get install chromium)")
    args.out.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="tutela-screenshots-") as data:
        env = os.environ | {"TUTELA_DATA_DIR": data, "TUTELA_DEMO_PASSWORD": password}
        env.pop("TUTELA_CONFIG", None)
        tutela = Path(sys.executable).with_name("tutela")
        server = subprocess.Popen([str(tutela), "serve", "--demo", "--port", str(port)], env=env, cwd=data)
        try:
            wait_until_up(base_url, server)
            module_id = prepare(base_url, password)
            for path in shoot(base_url, password, module_id, args.out):
                print(f"{path.name}: {path.stat().st_size // 1024} KiB")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
