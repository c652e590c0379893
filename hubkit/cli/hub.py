"""``hubkit hub``: run the Hub-compatible server and manage its users and tokens."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def cli() -> None:
    """The embedded Hub-compatible server (for air-gapped use and tests)."""


@cli.command()
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Where repos, objects and users are stored; survives restarts.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on (0: any free port).")
@click.option("--quiet", is_flag=True, help="Do not log each request.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Server processes accepting on the one port. More keep a slow commit from stalling "
                   "reads in other processes, but a process waiting for SQLite's write lock stalls its own "
                   "requests (see bench/hub_load.py).")
@click.option("--public-url", help="The URL clients reach this hub at (behind a proxy, or when listening on "
              "0.0.0.0); links the hub returns use it [default: http://HOST:PORT].")
@click.option("--request-timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds a client has to send a whole request head; a request body may pause twice as "
                   "long between chunks. Slower connections are closed.")
def serve(data_dir: Path, host: str, port: int, quiet: bool, workers: int, public_url: str | None,
          request_timeout: float) -> None:
    """Serve the hub API and web pages over DATA_DIR until interrupted.

    \b
    Example:
      hubkit hub serve --data-dir hub-data --port 8000
    """
    from hubkit.hub.serving import (
        ListenError,
        ServeLock,
        ServeLockError,
        default_public_url,
        endpoint_of,
        listening_socket,
    )
    from hubkit.hub.serving import serve as serve_forever

    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        lock = ServeLock(data_dir)  # held until this process exits
    except ServeLockError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        sock = listening_socket(host, port)
    except ListenError as exc:
        raise click.ClickException(str(exc)) from None
    endpoint = endpoint_of(sock, host)
    lock.record(endpoint)
    click.echo(f"hubkit hub serving {data_dir} at {endpoint}", err=True)
    click.echo("Point the Hugging Face clients at it (set before importing them):", err=True)
    click.echo(f"export HF_ENDPOINT={endpoint}")
    click.echo("export HF_HUB_DISABLE_XET=1")
    click.echo("export HF_TOKEN=<token from: hubkit hub token create USER --data-dir DIR>")
    click.echo("export HF_HUB_DISABLE_TELEMETRY=1 HF_UPDATE_DOWNLOAD_COUNTS=false DISABLE_SAFETENSORS_CONVERSION=1",
               nl=True)
    serve_forever(data_dir, sock, workers=workers, access_log=not quiet,
                  public_url=public_url or default_public_url(sock, host), request_timeout=request_timeout)


_DATA_DIR_OF_STATUS = click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="The data dir of the hub to look at [default: the embedded hub's, under HUBKIT_HOME].")


@cli.command()
@_DATA_DIR_OF_STATUS
def status(data_dir: Path | None) -> None:
    """Show the hub serving the embedded data dir (URL, PID, data dir, user); exit 1 when none is.

    \b
    Example:
      hubkit hub status
    """
    from hubkit.hub_client import embedded_data_dir, embedded_hub_status

    found = embedded_hub_status(data_dir)
    if found is None:
        click.echo(f"no hub is running over {data_dir or embedded_data_dir()}", err=True)
        raise SystemExit(1)
    click.echo(f"url:      {found.url}")
    click.echo(f"pid:      {found.pid}")
    click.echo(f"data dir: {found.data_dir}")
    if found.user:
        click.echo(f"user:     {found.user}")


@cli.command()
@_DATA_DIR_OF_STATUS
def stop(data_dir: Path | None) -> None:
    """Stop the hub serving the embedded data dir (by the pid it recorded, once verified).

    \b
    Example:
      hubkit hub stop
    """
    from hubkit.hub_client import embedded_data_dir, embedded_hub_status, stop_hub

    found = embedded_hub_status(data_dir)
    if found is None:
        click.echo(f"no hub is running over {data_dir or embedded_data_dir()}; nothing to stop", err=True)
        return
    if not stop_hub(found):
        raise click.ClickException(f"the hub at {found.url} (pid {found.pid}) did not exit within 30s")
    click.echo(f"stopped the hub at {found.url} (pid {found.pid})")


@cli.command()
def env() -> None:
    """Print the exports that point `hf` and any HF client at the embedded hub (starting it if needed).

    Ignores HF_ENDPOINT: it is what these lines set.

    \b
    Example:
      hubkit hub env
      eval "$(hubkit hub env)"; hf auth whoami
    """
    import os
    import shlex

    from hubkit.cli._errors import user_errors
    from hubkit.hub_client import embedded_connection

    user_set_home = "HF_HOME" in os.environ
    with user_errors():
        connection = embedded_connection()
    click.echo(f"export HF_ENDPOINT={shlex.quote(connection.endpoint)}")
    click.echo(f"export HF_TOKEN={shlex.quote(connection.token or '')}")
    click.echo("export HF_HUB_DISABLE_XET=1")
    if not user_set_home:  # the cache hubkit itself uses for this hub (see hub_client._embedded_hf_home)
        click.echo(f"export HF_HOME={shlex.quote(os.environ['HF_HOME'])}")


@cli.group()
def token() -> None:
    """Users and their access tokens."""


@token.command("create")
@click.argument("user")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The hub's data dir [default: the embedded hub's, under HUBKIT_HOME].")
@click.option("--read-only", is_flag=True, help="A token that can read private repos of USER but not write.")
@click.option("--org", "orgs", multiple=True, help="Make USER a member of this organization (repeatable).")
@click.option("--read-org", "read_orgs", multiple=True,
              help="Make USER a member of this organization with the read role: they see its private repos and "
                   "change them only through pull requests (repeatable).")
@click.option("--name", "display_name", default="cli", show_default=True, help="A label for the token.")
def create_token(user: str, data_dir: Path | None, read_only: bool, orgs: tuple[str, ...], read_orgs: tuple[str, ...],
                 display_name: str) -> None:
    """Create USER if needed and print a new token for it (the last line of stdout).

    \b
    Example (a second user of the embedded hub, for `hf` or a colleague):
      hubkit hub token create bob --read-only
    """
    from hubkit.hub.admin import issue_token
    from hubkit.hub_client import embedded_data_dir

    data_dir = data_dir or embedded_data_dir()
    orgs = (*orgs, *read_orgs)
    try:
        new_token = issue_token(data_dir, user, write=not read_only, orgs=[o for o in orgs if o not in read_orgs],
                                display_name=display_name, read_orgs=read_orgs)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    role = "read" if read_only else "write"
    click.echo(f"created a {role} token for {user}" + (f" (orgs: {', '.join(orgs)})" if orgs else ""), err=True)
    click.echo(new_token)


@token.command("list")
@click.option("--data-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), required=True)
@click.option("--user", help="Only this user's tokens.")
def list_tokens(data_dir: Path, user: str | None) -> None:
    """List tokens: id, user, role, name, creation time (never the token itself).

    \b
    Example:
      hubkit hub token list --data-dir ./hub-data --user alice
    """
    from hubkit.hub.admin import list_tokens as tokens_of

    for item in tokens_of(data_dir, user):
        click.echo(f"{item['id']}  {item['user']:<20} {item['role']:<5} {item['created']}  {item['name']}")


@token.command("revoke")
@click.argument("token_id", required=False)
@click.option("--data-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), required=True)
@click.option("--user", help="Revoke every token of this user instead.")
def revoke_token(token_id: str | None, data_dir: Path, user: str | None) -> None:
    """Revoke the token TOKEN_ID (an id from `token list`), or all tokens of --user.

    \b
    Example:
      hubkit hub token revoke 3f9a1c0b2d7e --data-dir ./hub-data
    """
    from hubkit.hub.admin import revoke_tokens

    if (token_id is None) == (user is None):
        raise click.UsageError("give either TOKEN_ID or --user")
    try:
        count = revoke_tokens(data_dir, token_id=token_id, user=user)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if count == 0:
        raise click.ClickException(f"no token {token_id!r}" if token_id else f"{user!r} has no tokens")
    click.echo(f"revoked {count} token{'s' if count != 1 else ''}")


@cli.group()
def user() -> None:
    """Users of the hub."""


@user.command("delete")
@click.argument("name")
@click.option("--data-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), required=True)
def delete_user(name: str, data_dir: Path) -> None:
    """Delete user NAME and revoke all their tokens (their repos stay).

    \b
    Example:
      hubkit hub user delete alice --data-dir hub-data
    """
    from hubkit.hub.admin import delete_user as delete

    try:
        delete(data_dir, name)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"deleted {name} and revoked their tokens")


@cli.command("account")
@click.argument("name")
@click.option("--data-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), required=True)
@click.option("--fullname", help="The name shown for NAME (whoami's fullname).")
@click.option("--private-by-default/--public-by-default", default=None,
              help="Whether NAME's new repos are private unless the creator asks otherwise.")
def account(name: str, data_dir: Path, fullname: str | None, private_by_default: bool | None) -> None:
    """Set what user or organization NAME shows, and its default repo visibility.

    \b
    Example:
      hubkit hub account acme --data-dir hub-data --fullname "Acme Labs" --private-by-default
    """
    from hubkit.hub.admin import set_account

    try:
        set_account(data_dir, name, fullname=fullname, private_by_default=private_by_default)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"updated {name}")


@cli.command()
@click.option("--data-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), required=True)
@click.option("--grace", "grace_seconds", type=click.FloatRange(min=0), default=3600, show_default=True,
              help="Keep unreferenced objects younger than this many seconds (they may belong to a commit "
                   "in flight).")
@click.option("--dry-run", is_flag=True, help="Report what would be removed; remove nothing.")
def gc(data_dir: Path, grace_seconds: float, dry_run: bool) -> None:
    """Remove stored file contents that no commit or LFS upload refers to (e.g. of deleted repos).

    \b
    Example:
      hubkit hub gc --data-dir hub-data --dry-run
    """
    from hubkit.cli._errors import user_errors
    from hubkit.hub.gc import collect_garbage

    with user_errors():
        report = collect_garbage(data_dir, grace_seconds=grace_seconds, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb} {report.removed} unreferenced objects ({report.freed_bytes} bytes); kept "
               f"{report.referenced} referenced and {report.kept_young} younger than {grace_seconds:g}s")
    if report.viewer_entries_removed:
        click.echo(f"{verb} {report.viewer_entries_removed} dataset viewer cache folders of deleted repos or commits")


@cli.command()
@click.option("--data-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), required=True,
              help="The data dir of the hub whose claimed results to re-check (the one `hub serve` uses).")
@click.option("--once", is_flag=True, help="Re-check what is pending, then exit (default: keep watching).")
@click.option("--interval", "interval_s", type=click.FloatRange(min=1), default=30, show_default=True,
              help="Seconds between looks for new claims when nothing is pending.")
def verify(data_dir: Path, once: bool, interval_s: float) -> None:
    """Re-run the evaluation behind every claimed result on a benchmark, and mark it verified or not.

    Runs beside `hubkit hub serve` over the same data dir. Each claim (a model's `.eval_results`
    entry naming a benchmark dataset and task) is evaluated from the model's commit and the
    dataset's commit; the outcome is signed by the hub and shown on the leaderboard.

    \b
    Example:
      hubkit hub verify --data-dir ./hub-data --once
    """
    from hubkit.cli._errors import user_errors
    from hubkit.evaluation.reverify import verify_pending

    with user_errors():
        outcomes = verify_pending(data_dir, once=once, interval_s=interval_s,
                                  report=lambda outcome: click.echo(outcome.describe()))
    counts = {status: sum(o.status == status for o in outcomes) for status in ("reproduced", "failed", "error")}
    click.echo(f"re-checked {len(outcomes)} claims: {counts['reproduced']} reproduced, {counts['failed']} not "
               f"reproduced, {counts['error']} could not be re-run", err=True)
