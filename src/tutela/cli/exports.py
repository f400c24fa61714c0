"""LMS exports from the command line: `tutela export`."""

from __future__ import annotations

import click

from tutela.cli.common import domain_errors, main


@main.command("export")
@click.argument("module_json", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Output directory.")
@click.option(
    "--format",
    "formats",
    multiple=True,
    help="A format name (scorm12, scorm2004, cmi5, qti21, qti30, moodle_xml, gift, aiken); repeatable.",
)
@domain_errors
def export(module_json: str, out: str, formats: tuple[str, ...]) -> None:
    """Write a module.json (as `tutela generate` writes it) in LMS formats, with export-report.json."""
    import json
    from pathlib import Path

    from pydantic import ValidationError

    from tutela.authoring import exports
    from tutela.authoring.generation.schemas import Module

    try:
        content = Module.model_validate_json(Path(module_json).read_bytes())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the document"
        raise click.ClickException(
            f"{module_json} is not a Tutela module.json: {where}: {first['msg']}"
        ) from None
    chosen = [exports.find_format(name) for name in formats] or list(exports.FORMATS.values())
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    reports = []
    for fmt in chosen:
        written = exports.export_module(content, format_name=fmt.name)
        (out_dir / written.filename).write_bytes(written.data)
        reports.append(written.report.model_dump())
        report = written.report
        click.echo(f"{written.filename}: {report.questions_exported} of {report.questions_total} questions")
        for omission in report.omitted:
            click.echo(f"  left out question {omission.question} ({omission.type}): {omission.reason}")
    report_text = json.dumps(reports, indent=2, ensure_ascii=False) + "\n"
    (out_dir / "export-report.json").write_text(report_text, encoding="utf-8")
