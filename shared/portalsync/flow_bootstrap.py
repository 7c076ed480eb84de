"""Composition root of the Cloud Functions: `Flows` wired to Firestore, Pub/Sub, Workspace and mail.

Extends `bootstrap` (same `Config`, same state store and workspace factory) with what only the functions
need. Nothing is imported or connected until `build_flows()` runs, which `functions/main.py` does on the
first event, so a cold start pays for the clients its trigger uses and module import stays cheap.

Environment, beyond bootstrap's: PORTALSYNC_TOPIC_SYNC_ACCOUNT; PORTALSYNC_MAX_EVENT_AGE_SECONDS;
PORTALSYNC_RUN_GROUP_OVERDUE_SECONDS (when a nightly run that never completed gets its digest anyway);
PORTALSYNC_MAIL_TRANSPORT (gmail | smtp), PORTALSYNC_MAIL_SENDER, PORTALSYNC_SMTP_*; the roster source,
PORTALSYNC_ROSTER_GROUP (a group address) or PORTALSYNC_ROSTER_SHEET (spreadsheet id[!sheet name]), read as
PORTALSYNC_ROSTER_SUBJECT (a user of the main domain), or neither (the roster lives in Firestore).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from portalsync import names, scopes
from portalsync.bootstrap import (
    Config,
    GoogleWorkspaces,
    NoMailer,
    SystemClock,
    build_onboarding,
    delegated,
    firestore_client,
    mailer,
)
from portalsync.flow_ports import RosterSource
from portalsync.flows import Flows, FlowSettings
from portalsync.notify import Notifier

__all__ = ["NoMailer", "build_flows", "mailer", "roster_source"]


def roster_source(
    config: Config, workspaces: GoogleWorkspaces, env: Mapping[str, str]
) -> RosterSource | None:
    group, sheet = env.get("PORTALSYNC_ROSTER_GROUP", ""), env.get("PORTALSYNC_ROSTER_SHEET", "")
    subject = env.get("PORTALSYNC_ROSTER_SUBJECT", "")
    if not (group or sheet):
        return None
    if not subject:
        raise ValueError("PORTALSYNC_ROSTER_SUBJECT: who reads the roster group or sheet")
    if group:
        from portalsync.adapters.roster_group import DIRECTORY_ENDPOINT, GroupRoster

        credentials = delegated(config, workspaces, subject, scopes.ROSTER_GROUP)
        return GroupRoster(credentials, group, endpoint=config.workspace_endpoint or DIRECTORY_ENDPOINT)
    from portalsync.adapters.roster_sheet import SHEETS_ENDPOINT, SheetRoster

    spreadsheet, _, tab = sheet.partition("!")
    credentials = delegated(config, workspaces, subject, scopes.ROSTER_SHEET)
    return SheetRoster(
        credentials, spreadsheet, tab or None, endpoint=config.workspace_endpoint or SHEETS_ENDPOINT
    )


def build_flows(env: Mapping[str, str] | None = None) -> Flows:
    from portalsync.adapters import firestore_flows as fs
    from portalsync.adapters.firestore_outbox import FirestoreOutbox
    from portalsync.adapters.firestore_store import FirestoreStore
    from portalsync.adapters.pubsub_publisher import PubSubPublisher

    env = os.environ if env is None else env
    config = Config.from_env(env)
    clock = SystemClock()
    client = firestore_client(config)
    store = FirestoreStore(client, now=clock.now_iso)
    workspaces = GoogleWorkspaces(config)
    outbox = FirestoreOutbox(client)
    alerts = fs.FirestoreAlertBook(client)
    notifier = Notifier(alerts, outbox, store, clock)
    onboarding = build_onboarding(
        config, env=env, store=store, workspaces=workspaces, clock=clock, findings=notifier, outbox=outbox
    )
    service = onboarding.service
    settings = FlowSettings(
        max_event_age_seconds=float(env.get("PORTALSYNC_MAX_EVENT_AGE_SECONDS") or 6 * 3600),
        sync_topic=env.get("PORTALSYNC_TOPIC_SYNC_ACCOUNT") or names.TOPIC_SYNC_ACCOUNT,
        run_group_overdue_seconds=float(env.get("PORTALSYNC_RUN_GROUP_OVERDUE_SECONDS") or 6 * 3600),
    )
    return Flows(
        service,
        PubSubPublisher(config.project),
        fs.FirestoreLeases(client),
        fs.FirestoreEventLog(client),
        fs.FirestoreRunGroups(client),
        alerts,
        store,
        notifier,
        onboarding,
        roster_source(config, workspaces, env),
        settings,
    )
