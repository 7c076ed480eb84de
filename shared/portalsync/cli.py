"""The `portalsync` command: plan, apply, status, roster import, approve, drain, demo.

A thin shell over `service.Service` built by `bootstrap.build_onboarding` from the environment (see README,
Configuration), the builder the functions use, so accounts created here are recorded due their first-sign-in
mail and a welcome like any others; tables for people, `--json` for scripts, JSON logs on stderr.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from portalsync import logs
from portalsync.actions import CreateUser
from portalsync.model import EMAIL_RE
from portalsync.onboarding import Onboarding
from portalsync.results import Outcome
from portalsync.service import AccountReport, Service

app = typer.Typer(
    help="Customer Care Portal access for a Google Workspace reseller's staff.", no_args_is_help=True
)
roster_app = typer.Typer(help="The staff roster.", no_args_is_help=True)
app.add_typer(roster_app, name="roster")
out = Console()
err = Console(stderr=True)

AccountOpt = Annotated[str | None, typer.Option("--account", help="one reseller account id")]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _onboarding() -> Onboarding:
    from portalsync import bootstrap

    return bootstrap.build_onboarding()


def _service() -> Service:
    return _onboarding().service


@app.callback()
def main(log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING, ...")] = "WARNING") -> None:
    logs.configure(getattr(logging, log_level.upper(), logging.WARNING))


def _plan_json(report: AccountReport) -> dict[str, Any]:
    def action(a: object) -> dict[str, Any]:
        return {"type": type(a).__name__, **dataclasses.asdict(a)}  # type: ignore[call-overload]

    plan = report.plan
    return {
        "account_id": plan.account_id,
        "actions": [action(a) for a in plan.actions],
        "held_removals": [action(a) for a in plan.held_removals],
        "quarantined": plan.quarantined,
        "findings": [{**dataclasses.asdict(f), "kind": f.kind.value} for f in report.findings],
    }


def _print_plans(reports: list[AccountReport]) -> None:
    for report in reports:
        plan = report.plan
        table = Table(title=f"{plan.account_id}: {len(plan.actions)} action(s)", title_justify="left")
        table.add_column("action")
        table.add_column("target")
        for a in plan.actions:
            table.add_row(type(a).__name__, str(getattr(a, "email", None) or getattr(a, "path", "") or ""))
        for a in plan.held_removals:
            table.add_row(f"[yellow]held: {type(a).__name__}[/]", str(getattr(a, "email", "")))
        out.print(table)
        for f in report.findings:
            out.print(f"[yellow]{f.kind.value}[/] {f.detail}")


@app.command()
def plan(account: AccountOpt = None, as_json: JsonOpt = False) -> None:
    """Observe and plan without changing anything."""
    reports = _call(lambda s: s.plan_only(account))
    if as_json:
        typer.echo(json.dumps([_plan_json(r) for r in reports], ensure_ascii=False, indent=2))
    else:
        _print_plans(reports)


@app.command()
def apply(
    account: AccountOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="plan only")] = False,
) -> None:
    """Converge one reseller account, or all of them."""
    if dry_run:
        _print_plans(_call(lambda s: s.plan_only(account)))
        return
    onboarding = _onboarding()
    service = onboarding.service
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("syncing", total=None)

        def step(account_id: str) -> None:
            progress.update(task, description=f"syncing {account_id}", advance=1)

        reports = (
            _call(
                lambda s: [r] if (r := s.sync_account(account, "cli")) else [],
                service,
            )
            if account
            else _call(lambda s: s.sync_all("cli", on_account=step), service)
        )
    show_runs(reports)
    _mail_after(onboarding, reports)


def _mail_after(onboarding: Onboarding, reports: list[AccountReport]) -> None:
    """Welcomes and first-sign-in mail for what this run created, as the functions would send them: now
    when a sender is configured here; otherwise left queued / due for the functions' drain."""
    welcomed = onboarding.after_run(reports)
    created = sum(
        1
        for report in reports
        for r in report.results
        if isinstance(r.action, CreateUser) and r.outcome is Outcome.DONE
    )
    if onboarding.can_mail:
        counts = onboarding.drain()
        out.print(
            f"mail: {counts['sent']} sent, {counts['retrying']} to retry, {counts['failed']} failed; "
            f"{counts['credentials']} earlier first-sign-in mail(s) sent"
        )
        return
    if not (welcomed or created):
        return
    credentials = onboarding.service.store.load_desired().settings.send_credentials
    due = f"{created} first-sign-in password mail(s) due, " if created and credentials else ""
    out.print(
        f"[yellow]no mail sender configured here:[/] {welcomed} onboarding mail(s) queued, {due}"
        "sent by the functions' drain_outbox; or set PORTALSYNC_MAIL_SENDER and run `portalsync drain`"
    )


def show_runs(reports: list[AccountReport]) -> None:
    table = Table(title="runs", title_justify="left")
    for column in ("account", "changes", "API calls", "record writes", "findings", "quarantined"):
        table.add_column(column)
    for r in reports:
        changes = ", ".join(f"{k}={v}" for k, v in sorted(r.run.counts.items())) or "none"
        table.add_row(
            r.run.account_id or "",
            changes,
            str(r.run.api_calls),
            str(r.record_writes),
            str(r.run.findings),
            "yes" if r.run.quarantined else "",
        )
    out.print(table)
    for r in reports:
        if r.run.error and not r.findings:
            out.print(f"[red]{r.run.account_id} not synced, try again:[/] {r.run.error}")
        for f in r.findings:
            out.print(f"[yellow]{r.run.account_id} {f.kind.value}[/] {f.detail}")


@app.command()
def status(as_json: JsonOpt = False) -> None:
    """Per person × domain: provisioned / pending / failed / conflict / held / suspended, with the reason."""
    by_account = _call(lambda s: s.status())
    rows = [r for records in by_account.values() for r in records]
    if as_json:
        docs = [{**dataclasses.asdict(r), "status": r.status.value} for r in rows]
        typer.echo(json.dumps(docs, ensure_ascii=False, indent=2))
        return
    table = Table(title="portal accounts", title_justify="left")
    for column in ("account", "person", "domain", "address", "status", "reason"):
        table.add_column(column)
    for r in rows:
        table.add_row(r.account_id, r.person_id, r.domain, r.email, r.status.value, r.last_error or "")
    out.print(table)


@roster_app.command("import")
def roster_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]) -> None:
    """Import a roster CSV (UTF-8 or Shift_JIS/CP932); bad rows are reported and skipped."""
    from portalsync.adapters.roster_csv import read_roster

    people, issues = read_roster(file)
    report = _call(lambda s: s.import_roster(people, issues, origin=file.name))
    out.print(f"{len(people)} people read, {report.written} document(s) written")
    if report.deactivated:
        out.print(f"deactivated (not in the file): {', '.join(report.deactivated)}")
    for issue in issues:
        colour = "yellow" if issue.warning else "red"
        out.print(f"[{colour}]{issue.source}[/] {issue.field}: {issue.message}")
    if any(not issue.warning for issue in issues):
        out.print("[yellow]rows with problems were skipped; nobody was deactivated[/]")


@app.command()
def approve(
    account: Annotated[str, typer.Argument(help="reseller account id")],
    max_removals: Annotated[int, typer.Option("--max-removals", min=1)],
    by: Annotated[str, typer.Option("--by", help="the approving admin's e-mail")],
) -> None:
    """Let the next sync of ACCOUNT suspend up to N accounts the mass-removal guard held back (used once)."""
    if not EMAIL_RE.match(by):
        raise typer.BadParameter("not an e-mail address", param_hint="--by")
    _call(lambda s: s.approve(account, max_removals, by))
    out.print(f"approved: {account} may remove up to {max_removals} account(s) on its next sync (by {by})")


@app.command()
def drain() -> None:
    """Send queued mail and the first-sign-in passwords still due (needs a mail sender)."""
    onboarding = _onboarding()
    if not onboarding.can_mail:
        err.print("[red]no mail sender configured (PORTALSYNC_MAIL_SENDER)[/]")
        raise typer.Exit(1)
    counts = onboarding.drain()
    out.print(
        f"mail: {counts['sent']} sent, {counts['retrying']} to retry, {counts['failed']} failed; "
        f"{counts['credentials']} first-sign-in mail(s) sent"
    )


@app.command()
def demo() -> None:
    """Start the local emulators, provision a demo roster, sync twice, stop what was started."""
    from portalsync.demo import run, wide_console

    run(wide_console())


def _call(func: Any, service: Service | None = None) -> Any:
    try:
        return func(service or _service())
    except LookupError as error:
        err.print(f"[red]{error.args[0] if error.args else error}[/]")
        raise typer.Exit(2) from error
