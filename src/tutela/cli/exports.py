"""LMS exports from the command line: `tutela export`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tutela.cli.common import domain_errors, main

if TYPE_CHECKING:
    from tutela.authoring.exports import Exportable, ExportReport


@main.command("export")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Output directory.")
@click.option(
    "--format",
    "formats",
    multiple=True,
    help="A format name (scorm12, scorm2004, cmi5, qti21, qti30, moodle_xml, gift, aiken); repeatable.",
)
@domain_errors
def export(sources: tuple[str, ...], out: str, formats: tuple[str, ...]) -> None:
    """Write module.json files (as `tutela generate` or the organization export writes them) in LMS formats.

    One file: one file per format and export-report.json. Several files or a directory (every module.json
    under it): per format one zip, tutela-modules.<format>.zip, with one file per module and a combined
    export-report.json. The pass mark is the module.json's `pass_mark`, else that of the metadata.json
    beside it (organization export), else 80%.
    """
    from tutela.authoring import exports

    chosen = [exports.find_format(name) for name in formats] or list(exports.FORMATS.values())
    paths = _module_files(sources)
    modules = [_read_module(path) for path in paths]
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    if len(sources) == 1 and Path(sources[0]).is_file():
        reports = []
        for fmt in chosen:
            written = exports.export_module(
                modules[0].content, format_name=fmt.name, pass_mark=modules[0].pass_mark
            )
            (out_dir / written.filename).write_bytes(written.data)
            reports.append(written.report.model_dump())
            _echo(written.filename, written.report)
        report_text = json.dumps(reports, indent=2, ensure_ascii=False) + "\n"
        (out_dir / "export-report.json").write_text(report_text, encoding="utf-8")
        return
    for fmt in chosen:
        data, bulk = exports.export_bulk(modules, format_name=fmt.name)
        name = f"tutela-modules.{fmt.name}.zip"
        (out_dir / name).write_bytes(data)
        click.echo(f"{name}: {len(bulk.modules)} modules")
        for entry in bulk.modules:
            _echo(f"  {entry.file}", entry.report)


def _echo(name: str, report: ExportReport) -> None:
    click.echo(f"{name}: {report.questions_exported} of {report.questions_total} questions")
    indent = " " * (len(name) - len(name.lstrip()))
    for omission in report.omitted:
        click.echo(f"{indent}  left out question {omission.question} ({omission.type}): {omission.reason}")


def _module_files(sources: tuple[str, ...]) -> list[Path]:
    """The files named, and every module.json under each directory named, in order."""
    found: list[Path] = []
    for source in map(Path, sources):
        if source.is_dir():
            inside = sorted(source.rglob("module.json"))
            if not inside:
                raise click.ClickException(f"{source} holds no module.json")
            found.extend(inside)
        else:
            found.append(source)
    return found


def _read_module(path: Path) -> Exportable:
    """A module.json with its pass mark; a file that is not one is a one-line error naming what is wrong."""
    from pydantic import ValidationError

    from tutela.authoring.exports import DEFAULT_PASS_MARK, Exportable
    from tutela.authoring.generation.schemas import Module

    try:
        document = json.loads(path.read_bytes())
        if not isinstance(document, dict):
            raise click.ClickException(f"{path} is not a Tutela module.json: not a JSON object")
        pass_mark = document.pop("pass_mark", None)
        content = Module.model_validate(document)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path} is not a Tutela module.json: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the document"
        raise click.ClickException(f"{path} is not a Tutela module.json: {where}: {first['msg']}") from None
    if pass_mark is None:
        pass_mark = _metadata_pass_mark(path.with_name("metadata.json"))
    if pass_mark is None:
        pass_mark = DEFAULT_PASS_MARK
    if isinstance(pass_mark, bool) or not isinstance(pass_mark, int) or not 0 <= pass_mark <= 100:
        raise click.ClickException(f"{path}: pass_mark must be a whole percentage from 0 to 100")
    return Exportable(content=content, pass_mark=pass_mark)


def _metadata_pass_mark(path: Path) -> object:
    """The pass mark in the metadata.json the organization export writes beside module.json, if any."""
    if not path.is_file():
        return None
    try:
        metadata = json.loads(path.read_bytes())
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{path} is not valid JSON: {exc}") from None
    return metadata.get("pass_mark") if isinstance(metadata, dict) else None
