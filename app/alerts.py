"""`fms alerts`: operators are told when a job's run fails and when the night's refresh is late.

Two Prefect automations on the server, created or updated by name (running it again changes
nothing but what the configuration changed):

- **fms: a run failed**, reactive: a flow run of any deployment (`flows/jobs.py`)
  enters Failed, Crashed or TimedOut. The notification names the deployment, the flow run,
  its state and the state's message (the `error:` line's reason).
- **fms: nightly-refresh not completed by 06:00**, proactive: a `nightly-refresh` run that
  became due has not reached Completed `NIGHTLY_WITHIN` (5 h) later: 06:00 US Eastern for the
  01:00 America/New_York schedule of prefect.yaml.

Why a proactive trigger and not a check scheduled at 06:00: the Prefect server evaluates
proactive triggers itself (`prefect/server/events/triggers.py`, every 5 s), and its late-runs
service marks a run that nobody picked up `Late` about 15 s after it was due. So the alert
comes whether the run failed, still runs, or never started because the worker or `fms serve`
is down, hung or busy. A 06:00 check would be one more flow run on that same worker: it would
miss exactly the nights the worker missed. It is also testable in seconds: the window is a
parameter (10 s in tests/ops/test_alerts.py). The window starts at the run's first `Pending`
(a worker or `fms serve` took it), `Late` (none did, or the work pool's limit holds it),
`AwaitingConcurrencySlot` (the deployment's limit holds it) or `Running` event, all within
seconds of 01:00 New York time (daylight saving included: the schedule is in that zone), so
it ends at 06:00; a run started by hand at 10:00 is late at 15:00. What no trigger of this
server can see: a night with no run at all (the deployment's schedule paused or deleted) and
a server that is itself down. Keep the server running apart from the worker (`prefect server
start`), or an `fms serve` that dies takes the server it started, and its alerts, with it.

Where a notification goes is configuration, a Prefect notification block: `--webhook URL` (or
`FMS_ALERT_WEBHOOK`) saves a Custom Webhook block `fms-alerts` that POSTs JSON `{"text",
"subject", "body"}` (`text` is what Slack and Mattermost incoming webhooks show; the URL is
kept as the block's secret); `--block TYPE/NAME` uses a notification block made in the UI
instead (Slack, Microsoft Teams, email, PagerDuty, ...).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import time, timedelta
from urllib.parse import urlsplit
from uuid import UUID

from flows.jobs import JOBS, NIGHTLY

WEBHOOK_VARIABLE = "FMS_ALERT_WEBHOOK"
BLOCK_NAME = "fms-alerts"
FAILED_AUTOMATION = "fms: a run failed"
LATE_AUTOMATION = "fms: nightly-refresh not completed by 06:00"

NIGHTLY_DUE = time(1, 0)  # prefect.yaml's nightly schedule, America/New_York
NIGHTLY_DEADLINE = time(6, 0)  # the analysts' working day starts on published figures
NIGHTLY_WITHIN = timedelta(hours=NIGHTLY_DEADLINE.hour - NIGHTLY_DUE.hour)

FAILED_STATES = ("Failed", "Crashed", "TimedOut")  # event names: prefect.flow-run.<state name>
# Any one of them starts the nightly's window; later ones of the same run leave it as it is.
# AwaitingConcurrencySlot: the deployment's limit of one run holds it behind another run.
DUE_EVENTS = ("Pending", "Late", "AwaitingConcurrencySlot", "Running")

_RUN_LINE = "Flow run {{ flow_run.name }} ({{ flow_run.id }}) of deployment {{ deployment.name }}"
_FAILED_SUBJECT = "fms: {{ deployment.name }} run {{ flow_run.name }} {{ flow_run.state.name }}"
_FAILED_BODY = (
    _RUN_LINE + " entered {{ flow_run.state.name }} at {{ flow_run.state.timestamp }}.\n"
    "{{ flow_run.state.message or '' }}"
)
_LATE_SUBJECT = "fms: nightly-refresh run {{ flow_run.name }} has not completed"


class AlertsError(RuntimeError):
    """The alerts cannot be set up: a clear reason, no traceback needed."""


@dataclass(frozen=True)
class Destination:
    """Where notifications go: a new webhook URL, or an existing block `type-slug/name`."""

    webhook: str | None = None
    block: str | None = None


def configured_destination(webhook: str | None, block: str | None) -> Destination:
    """The destination the operator gave: `--webhook`, else `--block`, else FMS_ALERT_WEBHOOK."""
    if webhook and block:
        raise AlertsError("give --webhook or --block, not both")
    webhook = webhook or (None if block else os.environ.get(WEBHOOK_VARIABLE) or None)
    if webhook is None and block is None:
        raise AlertsError(
            f"no alert destination is configured: give --webhook URL (or set {WEBHOOK_VARIABLE}),"
            " or --block TYPE/NAME for a notification block made in the Prefect UI "
            "(e.g. slack-webhook/fms-alerts)"
        )
    if webhook is not None:
        parts = urlsplit(webhook)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            # The URL is a secret (a Slack webhook's path is its key): never quoted back.
            raise AlertsError("the alert webhook must be an http:// or https:// URL")
    if block is not None and block.count("/") != 1:
        raise AlertsError(f"--block takes TYPE/NAME (e.g. slack-webhook/fms-alerts), not {block!r}")
    return Destination(webhook, block)


def notification_block(destination: Destination) -> UUID:
    """The id of the notification block on the current Prefect API: the webhook's block saved
    (again) under BLOCK_NAME, or the existing block the operator named."""
    if destination.webhook is not None:
        from prefect.blocks.notifications import CustomWebhookNotificationBlock

        return CustomWebhookNotificationBlock(
            name=BLOCK_NAME,
            url="{{ webhook_url }}",
            secrets={"webhook_url": destination.webhook},
            json_data={
                "text": "{{ subject }}\n{{ body }}",
                "subject": "{{ subject }}",
                "body": "{{ body }}",
            },
        ).save(BLOCK_NAME, overwrite=True)
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    block_type, name = destination.block.split("/")
    with get_client(sync_client=True) as client:
        try:
            document = client.read_block_document_by_name(name, block_type, include_secrets=False)
        except ObjectNotFound:
            raise AlertsError(
                f"there is no {block_type} block named {name!r} on the Prefect server"
            ) from None
    if "notify" not in document.block_schema.capabilities:
        raise AlertsError(f"the block {destination.block} cannot send notifications")
    return document.id


def _job_runs(names: list[str]) -> list[dict]:
    """Flow runs of these deployments of these flows (a job's flow and deployment share its
    name, so another flow deployed under a job's name does not match)."""
    return [
        {"prefect.resource.role": "flow", "prefect.resource.name": names},
        {"prefect.resource.role": "deployment", "prefect.resource.name": names},
    ]


def automations(block_id: UUID, nightly_within: timedelta = NIGHTLY_WITHIN) -> list:
    """The two automations, sending their notification through the block `block_id`."""
    from prefect.automations import AutomationCore, EventTrigger, Posture, SendNotification

    flow_run = {"prefect.resource.id": "prefect.flow-run.*"}
    failed = AutomationCore(
        name=FAILED_AUTOMATION,
        description="A run of an FMS deployment failed, crashed or timed out (app/alerts.py).",
        trigger=EventTrigger(
            match=flow_run,
            match_related=_job_runs([job.name for job in JOBS]),
            expect={f"prefect.flow-run.{state}" for state in FAILED_STATES},
            for_each={"prefect.resource.id"},
            posture=Posture.Reactive,
            threshold=1,
            within=timedelta(0),
        ),
        actions=[
            SendNotification(block_document_id=block_id, subject=_FAILED_SUBJECT, body=_FAILED_BODY)
        ],
    )
    late_body = (
        _RUN_LINE + ", due {{ flow_run.expected_start_time }}, has not completed within "
        f"{_hours(nightly_within)} of becoming due ({NIGHTLY_DEADLINE:%H:%M} US Eastern for the "
        f"{NIGHTLY_DUE:%H:%M} run): the night's figures are not published yet."
    )
    late = AutomationCore(
        name=LATE_AUTOMATION,
        description=(
            f"A {NIGHTLY.name} run has not completed {_hours(nightly_within)} after it became "
            "due (app/alerts.py)."
        ),
        trigger=EventTrigger(
            match=flow_run,
            match_related=_job_runs([NIGHTLY.name]),
            after={f"prefect.flow-run.{state}" for state in DUE_EVENTS},
            expect={"prefect.flow-run.Completed"},
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=nightly_within,
        ),
        actions=[
            SendNotification(block_document_id=block_id, subject=_LATE_SUBJECT, body=late_body)
        ],
    )
    return [failed, late]


def _hours(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    return f"{seconds // 3600} h" if seconds % 3600 == 0 else f"{seconds} s"


def apply_alerts(destination: Destination, nightly_within: timedelta = NIGHTLY_WITHIN) -> list:
    """Create or update the automations, by name, on the current Prefect API; return them."""
    from prefect.client.orchestration import get_client

    wanted = automations(notification_block(destination), nightly_within)
    with get_client(sync_client=True) as client:
        for automation in wanted:
            existing = client.read_automations_by_name(automation.name)
            if existing:
                client.update_automation(existing[0].id, automation)
                for duplicate in existing[1:]:  # made by hand or by a race: one of each
                    client.delete_automation(duplicate.id)
            else:
                client.create_automation(automation)
    return wanted
