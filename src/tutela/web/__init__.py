"""Server-rendered pages: Jinja2 templates, a little htmx, no front-end build step.

Pages call the same services as the REST routers and check permissions through
`tutela.core.permissions.service`; `tutela.web.router` collects them for `tutela.routes`.
"""
