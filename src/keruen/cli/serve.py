"""``keruen serve``: the dashboard, the REST API and SDMX over the store, read-only."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port."
)
def serve(host: str, port: int) -> None:
    """Serve the store read-only: the dashboard at /en/, /ru/, /kk/ and the REST API at /api/v1.

    The dashboard holds country profiles (the report's sections, each table with its CSV), the
    bilateral explorer, Kazakhstan's regions, migration systems and the sources held, in English,
    Russian and Kazakh. The REST API's docs are at /api/v1/docs, its OpenAPI document at
    /openapi.json; SDMX 2.1 is at /sdmx/2.1. Needs the web extra: pip install 'keruen[web]'.
    """
    try:
        import uvicorn

        from keruen.web.app import create_app
        from keruen.web.server import config
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        from keruen.errors import ConfigError

        raise ConfigError(
            f"keruen serve needs the web extra ({exc.name} is missing): pip install 'keruen[web]'"
        ) from None
    server = uvicorn.Server(config(create_app(), host, port))
    base = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    click.echo(f"keruen: serving the store read-only on {base}", err=True)
    click.echo(f"keruen: dashboard  {base}/en/  ({base}/ru/, {base}/kk/)", err=True)
    click.echo(f"keruen: REST API   {base}/api/v1/docs", err=True)
    server.run()
