"""`tutela doctor`: every component's state, and a non-zero exit when one has failed."""

from __future__ import annotations

import click

from tutela.cli.common import main, open_runtime


@main.command()
def doctor() -> None:
    """Report the state of the embedding model, classifier, NLP models, databases, blob stores and jobs."""
    from tutela import doctor as checks

    components = checks.report(open_runtime())
    width = max(len(c.name) for c in components)
    for component in components:
        click.echo(f"{component.name:<{width}}  {component.state:<6}  {component.detail}")
    failed = [c.name for c in components if c.state == "failed"]
    if failed:
        raise click.ClickException(f"{len(failed)} component(s) failed: {', '.join(failed)}")
