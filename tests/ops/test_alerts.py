"""Operators are told: the alert automations of app/alerts.py, on the session's real Prefect
server, POST to a webhook receiver on 127.0.0.1 when a job's deployment run fails or crashes,
and when a nightly-refresh run has not completed within its window (10 s here, 5 h in
production)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from app import alerts
from app.alerts import AlertsError, Destination, apply_alerts, configured_destination
from fms import settings

WAIT_SECONDS = 30.0
FMS = Path(sys.executable).with_name("fms")


class Receiver:
    """A webhook receiver on 127.0.0.1: every POST's JSON body, in arrival order."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._arrived:
                    receiver.posts.append(json.loads(body))
                    receiver._arrived.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait_for(self, *words: str, timeout: float = WAIT_SECONDS) -> dict:
        """The first POST whose text holds every word, waiting at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for post in self.posts:
                    if all(word in post["text"] for word in words):
                        return post
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no alert naming {words} within {timeout:g} s: {self.posts}"
                    )
                self._arrived.wait(left)

    def mentioning(self, word: str) -> list[dict]:
        with self._arrived:
            return [post for post in self.posts if word in post["text"]]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def fms_alerts(prefect_harness, receiver):
    """The alerts on the session's server, the nightly's window 10 s (the least Prefect takes
    for a proactive trigger), removed afterwards: other tests' runs must not post here."""
    from prefect.client.orchestration import get_client

    applied = apply_alerts(Destination(webhook=receiver.url), nightly_within=timedelta(seconds=10))
    yield applied
    with get_client(sync_client=True) as client:
        for automation in applied:
            for existing in client.read_automations_by_name(automation.name):
                client.delete_automation(existing.id)


def _deployment(flow, name: str):
    """The job's flow deployed on the session's server as prefect.yaml names it (no schedule:
    the test makes its runs)."""
    return flow.to_deployment(name=name).apply()


def test_a_failed_or_crashed_job_run_and_a_late_nightly_are_posted_to_the_webhook(
    fms_alerts, receiver, tmp_path
):
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.flow_engine import run_flow
    from prefect.states import Completed, Crashed, Pending, Running, Scheduled

    from flows.closure import closure_readiness
    from flows.nightly import nightly_refresh
    from flows.quarterly_billing import quarterly_billing

    with get_client(sync_client=True) as client:
        # A nightly nobody picked up (no worker): the server marks it Late, and it never completes.
        nightly = _deployment(nightly_refresh, "nightly-refresh")
        stuck = client.create_flow_run_from_deployment(
            nightly, state=Scheduled(scheduled_time=datetime.now(UTC) - timedelta(minutes=1))
        )
        # A nightly that completes inside its window: no alert.
        on_time = client.create_flow_run_from_deployment(nightly, state=Pending())
        for state in (Running(), Completed()):
            client.set_flow_run_state(on_time.id, state, force=True)
        # A closure run whose process died (what a worker reports): Crashed.
        closure = client.create_flow_run_from_deployment(
            _deployment(closure_readiness, "weekly-closure-readiness"), state=Pending()
        )
        client.set_flow_run_state(closure.id, Crashed(message="the worker's process exited"))
        # An ad-hoc billing run from the UI for a day that is not a quarter end: the real flow
        # refuses it and the run fails.
        billing = client.create_flow_run_from_deployment(
            _deployment(quarterly_billing, "quarterly-billing"),
            parameters={"period_end": "2026-09-29", "out": str(tmp_path / "out")},
            state=Pending(),
        )
    parameters = {"period_end": "2026-09-29", "out": tmp_path / "out"}
    state = run_flow(
        quarterly_billing, flow_run=billing, parameters=parameters, return_type="state"
    )
    assert state.is_failed()

    @flow(name="not-an-fms-job")
    def other() -> None:
        raise RuntimeError("not ours")

    assert run_flow(other, return_type="state").is_failed()

    failed = receiver.wait_for(billing.name, "Failed")
    assert failed["subject"] == f"fms: quarterly-billing run {billing.name} Failed"
    assert str(billing.id) in failed["body"]
    assert "2026-09-29 is not a quarter end" in failed["body"]
    assert "did you mean 2026-09-30?" in failed["body"]

    crashed = receiver.wait_for(closure.name, "Crashed")
    assert crashed["subject"] == f"fms: weekly-closure-readiness run {closure.name} Crashed"
    assert "the worker's process exited" in crashed["body"]

    late = receiver.wait_for(stuck.name, "has not completed")
    assert late["subject"] == f"fms: nightly-refresh run {stuck.name} has not completed"
    assert str(stuck.id) in late["body"]
    assert "within 10 s" in late["body"]
    # The on-time run's window ended no later than the stuck one's: it would have posted by now.
    time.sleep(2)
    assert receiver.mentioning(on_time.name) == []
    assert receiver.mentioning("not-an-fms-job") == []
    assert len(receiver.mentioning(billing.name)) == 1


def test_fms_alerts_again_updates_the_automations_in_place(fms_alerts, prefect_api):
    from prefect.client.orchestration import get_client

    second = Receiver()
    second.server.server_close()  # only its address is needed: where the alerts go now
    done = subprocess.run(
        [FMS, "alerts", "--webhook", second.url],
        env={**os.environ, **prefect_api.environment()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"automation {alerts.FAILED_AUTOMATION!r}: set on {prefect_api.url}",
        f"automation {alerts.LATE_AUTOMATION!r}: set on {prefect_api.url}",
    ]
    with get_client(sync_client=True) as client:
        found = {a.name: client.read_automations_by_name(a.name) for a in fms_alerts}
        block = client.read_block_document_by_name(alerts.BLOCK_NAME, "custom-webhook")
    assert [len(found[name]) for name in found] == [1, 1]  # updated by name, not added
    assert found[alerts.LATE_AUTOMATION][0].trigger.within == timedelta(hours=5)
    assert block.data["secrets"] == {"webhook_url": second.url}
    (action,) = found[alerts.FAILED_AUTOMATION][0].actions
    assert action.block_document_id == block.id


def test_fms_alerts_without_a_destination_says_how_to_give_one():
    env = {k: v for k, v in os.environ.items() if k != alerts.WEBHOOK_VARIABLE}
    done = subprocess.run([FMS, "alerts"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("error: no alert destination is configured: give --webhook URL")
    assert "FMS_ALERT_WEBHOOK" in done.stderr


def test_an_existing_notification_block_can_be_the_destination(prefect_harness):
    with pytest.raises(AlertsError, match="no custom-webhook block named 'nowhere'"):
        apply_alerts(Destination(block="custom-webhook/nowhere"))


def test_the_destination_is_configuration(monkeypatch):
    monkeypatch.delenv(alerts.WEBHOOK_VARIABLE, raising=False)
    with pytest.raises(AlertsError, match="no alert destination is configured"):
        configured_destination(None, None)
    monkeypatch.setenv(alerts.WEBHOOK_VARIABLE, "https://hooks.example/T0/B0/key")
    assert configured_destination(None, None).webhook == "https://hooks.example/T0/B0/key"
    assert configured_destination(None, "slack-webhook/fms").block == "slack-webhook/fms"
    with pytest.raises(AlertsError, match="http:// or https://") as refused:
        configured_destination("ftp://hooks.example/secret-key", None)
    assert "secret-key" not in str(refused.value)
    with pytest.raises(AlertsError, match="TYPE/NAME"):
        configured_destination(None, "fms-alerts")


def test_the_nightly_window_ends_at_six_for_the_scheduled_nightly():
    config = yaml.safe_load(Path(settings.PROJECT_ROOT, "prefect.yaml").read_text())
    (nightly,) = [d for d in config["deployments"] if d["name"] == "nightly-refresh"]
    (schedule,) = nightly["schedules"]
    minute, hour = schedule["cron"].split()[:2]
    assert schedule["timezone"] == "America/New_York"
    due = datetime(2026, 12, 2, int(hour), int(minute))
    assert due.time() == alerts.NIGHTLY_DUE
    assert due + alerts.NIGHTLY_WITHIN == due.replace(hour=6, minute=0)
    assert alerts.NIGHTLY_DEADLINE == (due + alerts.NIGHTLY_WITHIN).time()
