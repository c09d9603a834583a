"""Failure alerting: every failed run is logged and, if configured, posted to a webhook.

`CAPSCORE_ALERT_WEBHOOK` is the URL to POST a JSON message to (a chat
incoming webhook, an alert router). `CAPSCORE_DAGSTER_URL`, when set, is the
UI's base URL, so the message links to the run. The sensor never raises into
Dagster: an unreachable webhook is logged, and the run stays visible as
failed in the UI either way.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_shared.error import SerializableErrorInfo

from assets.partitions import tagged_range

WEBHOOK_ENV = "CAPSCORE_ALERT_WEBHOOK"
DAGSTER_URL_ENV = "CAPSCORE_DAGSTER_URL"
SENSOR_NAME = "capscore_run_failure_alert"
TIMEOUT_SECONDS = 10.0
MAX_ERROR_CHARS = 4000


def run_partition(tags: Mapping[str, str]) -> str | None:
    """`2026-07-15` for a one-day run, `2026-07-01..2026-07-15` for a ranged run, else None."""
    dates = tagged_range(tags)
    if dates is None:
        return None
    start, end = dates
    return start if start == end else f"{start}..{end}"


def failure_message(
    run_id: str,
    job: str,
    tags: Mapping[str, str],
    errors: list[str],
    dagster_url: str | None,
) -> dict[str, Any]:
    """The JSON body posted for a failed run."""
    error = "\n".join(e.strip() for e in errors if e and e.strip()) or "run failed"
    if len(error) > MAX_ERROR_CHARS:
        error = error[: MAX_ERROR_CHARS - 1] + "…"
    partition = run_partition(tags)
    message: dict[str, Any] = {
        "text": f"capscore run failed: {job}" + (f" [{partition}]" if partition else ""),
        "run_id": run_id,
        "job": job,
        "partition": partition,
        "error": error,
    }
    if dagster_url:
        message["dagster_url"] = f"{dagster_url.rstrip('/')}/runs/{run_id}"
    return message


def post_json(url: str, payload: Mapping[str, Any], timeout: float = TIMEOUT_SECONDS) -> int:
    """POST `payload` as JSON; returns the HTTP status (raises on transport errors)."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "capscore"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return int(response.status)


def innermost(error: SerializableErrorInfo) -> SerializableErrorInfo:
    """The error that started it all: Dagster wraps user errors in its own."""
    while error.cause is not None:
        error = error.cause
    return error


def _root_cause(error: SerializableErrorInfo | None) -> str:
    """The innermost error's message."""
    return "failed" if error is None else innermost(error).message.strip()


def _errors(context: dg.RunFailureSensorContext) -> list[str]:
    step_errors = [
        f"{event.step_key}: {_root_cause(event.step_failure_data.error)}"
        for event in context.get_step_failure_events()
    ]
    if step_errors:
        return step_errors
    # A run can fail outside any step: a resource that could not start (the data root
    # held by another run) leaves only the run's failure, whose message is generic
    # ("An exception was thrown during execution"); its error says what happened.
    data = context.failure_event.event_specific_data
    error = getattr(data, "error", None)
    if isinstance(error, SerializableErrorInfo):
        return [_root_cause(error)]
    return [context.failure_event.message or ""]


def notify_failure(
    context: dg.RunFailureSensorContext, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    env = os.environ if environ is None else environ
    run = context.dagster_run
    message = failure_message(
        run.run_id, run.job_name, run.tags, _errors(context), env.get(DAGSTER_URL_ENV)
    )
    context.log.error(f"{message['text']} (run {run.run_id}): {message['error']}")
    url = env.get(WEBHOOK_ENV, "").strip()
    if not url:
        return message
    try:
        status = post_json(url, message)
    except Exception as exc:
        # Any transport or protocol error: never raise into Dagster, which would
        # mark the sensor tick failed and hide the alert that was logged above.
        context.log.warning(f"could not post the failure alert to {WEBHOOK_ENV}: {exc}")
    else:
        context.log.info(f"posted the failure alert for run {run.run_id} (HTTP {status})")
    return message


@dg.run_failure_sensor(
    name=SENSOR_NAME,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=f"Logs every failed run and posts it as JSON to ${WEBHOOK_ENV} when set.",
)
def capscore_run_failure_alert(context: dg.RunFailureSensorContext) -> None:
    notify_failure(context)


alert_sensors = [capscore_run_failure_alert]
