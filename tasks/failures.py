"""How a step fails: retried when the failure is transient, named when it is final.

Every step touches the warehouse file or the output folders, so each one takes
`**RETRY_TRANSIENT`: two more tries, a few seconds apart, but only for failures that can pass on
their own (fms/failures.py says which); a deterministic one fails at once. Every step is safe
to run again: a batch loads in one transaction, marts are rebuilt with CREATE OR REPLACE,
publication is one transaction and statement publication rewrites only what is missing.

When a step fails for good, `name_failed_step` adds the step's name to the exception (as a note
and as `failed_step`), so the flow's log and the command line say which step failed and why.
"""

from __future__ import annotations

from prefect import Task
from prefect.client.schemas.objects import TaskRun
from prefect.states import State

from fms.failures import is_transient

RETRIES = 2
RETRY_DELAY_SECONDS = 3


def retry_if_transient(task: Task, task_run: TaskRun, state: State) -> bool:
    """Prefect `retry_condition_fn`: retry the failed step only if its failure is transient."""
    try:
        state.result()
    except Exception as exc:  # the step's own exception, raised again by Prefect
        return is_transient(exc)
    return False


def name_failed_step(task: Task, task_run: TaskRun, state: State) -> None:
    """Prefect `on_failure` hook (runs once retries are spent): name the step on the error."""
    exc = state.result(raise_on_failure=False)
    if not isinstance(exc, BaseException) or getattr(exc, "failed_step", None):
        return
    # A task run named from its parameters ("load batch 20261101-01-daily") says more than
    # the task's name; otherwise the task's name, without Prefect's random suffix.
    step = task_run.name if task.task_run_name else task.name
    exc.failed_step = step
    exc.add_note(f"failed step: {step}")


RETRY_TRANSIENT = {
    "retries": RETRIES,
    "retry_delay_seconds": RETRY_DELAY_SECONDS,
    "retry_condition_fn": retry_if_transient,
    "on_failure": [name_failed_step],
}
