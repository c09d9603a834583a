import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import pytest

from pipelines.alerts import (
    DAGSTER_URL_ENV,
    WEBHOOK_ENV,
    capscore_run_failure_alert,
    failure_message,
    notify_failure,
    run_partition,
)
from tests.busy_root import launched_while_busy


class Receiver:
    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        self.bodies: list[dict] = []
        self.headers: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                receiver.headers.append(self.headers["Content-Type"])
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@dg.op
def explode() -> None:
    raise RuntimeError("registry drop has no credit_code column")


@dg.job
def nightly_like() -> None:
    explode()


def _failure_of(job: dg.JobDefinition, instance: dg.DagsterInstance) -> dg.RunFailureSensorContext:
    result = job.execute_in_process(
        instance=instance, raise_on_error=False, tags={"dagster/partition": "2026-07-15"}
    )
    assert not result.success
    return dg.build_run_status_sensor_context(
        sensor_name="capscore_run_failure_alert",
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    ).for_run_failure()


@pytest.fixture
def failure_context() -> Iterator[dg.RunFailureSensorContext]:
    with dg.instance_for_test() as instance:
        yield _failure_of(nightly_like, instance)


def test_a_run_that_fails_before_any_step_says_why() -> None:
    # The resource holding the data root could not start (another run held it): no step
    # failed, and the run's own message says only that an exception was thrown.
    with dg.instance_for_test() as instance:
        message = notify_failure(_failure_of(launched_while_busy, instance), {})
    assert "busy: capscore run (pid 7) holds it" in message["error"]


def test_failed_run_is_posted_as_json(failure_context):
    with Receiver() as receiver:
        sent = notify_failure(
            failure_context,
            {WEBHOOK_ENV: receiver.url, DAGSTER_URL_ENV: "http://127.0.0.1:3000/"},
        )
    [body] = receiver.bodies
    assert body == sent
    run_id = failure_context.dagster_run.run_id
    assert body["run_id"] == run_id
    assert body["job"] == "nightly_like"
    assert body["partition"] == "2026-07-15"
    assert "explode" in body["error"] and "no credit_code column" in body["error"]
    assert body["dagster_url"] == f"http://127.0.0.1:3000/runs/{run_id}"
    assert receiver.headers == ["application/json; charset=utf-8"]


def test_no_webhook_only_logs(failure_context):
    message = notify_failure(failure_context, {})
    assert message["job"] == "nightly_like"
    assert "dagster_url" not in message


@pytest.mark.parametrize("status", [500, 404])
def test_a_failing_webhook_never_raises(failure_context, status):
    with Receiver(status=status) as receiver:
        notify_failure(failure_context, {WEBHOOK_ENV: receiver.url})
    assert len(receiver.bodies) == 1


def test_an_unreachable_webhook_never_raises(failure_context):
    with Receiver() as receiver:
        url = receiver.url
    # The server is shut down: the port refuses connections.
    notify_failure(failure_context, {WEBHOOK_ENV: url})
    notify_failure(failure_context, {WEBHOOK_ENV: "not a url"})


def test_partition_of_single_ranged_and_unpartitioned_runs():
    assert run_partition({"dagster/partition": "2026-07-15"}) == "2026-07-15"
    assert (
        run_partition(
            {
                "dagster/asset_partition_range_start": "2026-07-01",
                "dagster/asset_partition_range_end": "2026-07-03",
            }
        )
        == "2026-07-01..2026-07-03"
    )
    assert run_partition({}) is None


def test_long_errors_are_cut():
    message = failure_message("r1", "capscore_daily", {}, ["x" * 10_000], None)
    assert len(message["error"]) == 4000
    assert message["partition"] is None


def test_sensor_is_on_by_default():
    assert capscore_run_failure_alert.default_status == dg.DefaultSensorStatus.RUNNING
