"""The main job from the command line: `tutela generate`."""

from __future__ import annotations

import click

from tutela.cli.common import domain_errors, main, open_runtime

LOCAL_AUTHOR_ORG = "local-author"


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Output directory.")
@click.option(
    "--prompt",
    "prompt_file",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="Instructions file.",
)
@click.option(
    "--deployment", default="extractive", help="Gateway deployment to write with (default: extractive)."
)
@click.option("--password", default=None, help="Password of an encrypted PDF.")
@domain_errors
def generate(file: str, out: str, prompt_file: str | None, deployment: str, password: str | None) -> None:
    """Write a module (module.json, module.md, checks.json) from a PDF, offline on the local data dir."""
    import asyncio
    import json
    import time
    from pathlib import Path

    from tutela.authoring.generation.checks import check_grounding, citations, unverified_citations
    from tutela.authoring.generation.markdown import render_markdown
    from tutela.authoring.generation.pipeline import generate_module
    from tutela.authoring.generation.schemas import Module
    from tutela.authoring.ingest import IngestError, IngestLimits, extract_pdf
    from tutela.core.directory import service as directory
    from tutela.core.organizations import service as organizations
    from tutela.errors import NotFound
    from tutela.gateway.access import caller_for_org
    from tutela.gateway.pipeline import Gateway
    from tutela.storage.migrations import upgrade_all

    started = time.monotonic()
    source, out_dir = Path(file), Path(out)
    instructions = Path(prompt_file).read_text(encoding="utf-8") if prompt_file else ""
    try:
        document = extract_pdf(source.read_bytes(), password=password, limits=IngestLimits())
    except IngestError as exc:
        raise click.ClickException(exc.message) from None
    runtime = open_runtime()
    upgrade_all(runtime)
    with runtime.directory.session() as ddb:
        try:
            org_id = directory.find_by_slug(ddb, slug=directory.slugify(LOCAL_AUTHOR_ORG)).id
        except NotFound:
            org_id = None
    if org_id is None:
        home = runtime.settings.home_region
        org_id = organizations.create(runtime, name=LOCAL_AUTHOR_ORG, region=home, actor="cli").id
    caller = caller_for_org(runtime, org_id)
    left_out: list[str] = []

    async def run() -> Module:
        gateway = Gateway(runtime)
        try:
            return await generate_module(
                gateway=gateway,
                caller=caller,
                document=document,
                deployment=deployment,
                instructions=instructions,
                left_out=left_out,
            )
        finally:
            await gateway.close()

    module = asyncio.run(run())
    findings = check_grounding(module, document)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "module.json").write_text(module.model_dump_json(indent=2) + "\n", encoding="utf-8")
    (out_dir / "module.md").write_text(render_markdown(module), encoding="utf-8")
    checks = [f.model_dump() for f in findings]
    (out_dir / "checks.json").write_text(json.dumps(checks, indent=2, ensure_ascii=False) + "\n", "utf-8")
    cited = citations(module)
    failed = unverified_citations(findings)
    share = 100 * (len(cited) - len(failed)) // len(cited) if cited else 100  # never rounds up to 100
    lessons = sum(len(c.lessons) for c in module.chapters)

    def counted(n: int, noun: str) -> str:
        return f"{n} {noun}" if n == 1 else f"{n} {noun}s"

    counts = ", ".join(
        counted(n, noun)
        for n, noun in (
            (document.page_count, "page"),
            (len(module.chapters), "chapter"),
            (lessons, "lesson"),
            (len(module.questions), "question"),
        )
    )
    click.echo(
        f"{source.name}: {counts}, {share}% of {counted(len(cited), 'citation')} verified, "
        f"{time.monotonic() - started:.1f} s → {out_dir / 'module.json'}"
    )
    for note in left_out:
        click.echo(f"note: {note}", err=True)
