"""Each job is declared once (flows/jobs.py): its flow, its deployment and its `fms run` command
agree on its name and on every parameter's name."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from prefect.utilities.callables import parameter_schema

from app.cli import job_options
from app.serve import PREFECT_FILE
from flows.jobs import JOBS

DEPLOYMENTS = {d["name"]: d for d in yaml.safe_load(PREFECT_FILE.read_text())["deployments"]}


def flow_of(job):
    module, name = job.flow.split(":")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("job", JOBS, ids=lambda j: j.command)
def test_the_deployment_carries_exactly_the_parameters_of_its_flow(job):
    deployment = DEPLOYMENTS[job.name]
    module, name = job.flow.split(":")
    assert deployment["entrypoint"] == f"{module.replace('.', '/')}.py:{name}"
    assert flow_of(job).name == job.name
    assert set(deployment["parameters"]) == set(parameter_schema(flow_of(job)).properties)


@pytest.mark.parametrize("job", JOBS, ids=lambda j: j.command)
def test_every_option_of_the_command_is_a_parameter_of_its_flow_of_the_same_name(job):
    assert set(job_options(job)) == set(parameter_schema(flow_of(job)).properties)


def test_every_deployment_is_a_job():
    assert set(DEPLOYMENTS) == {job.name for job in JOBS}


@pytest.mark.parametrize(
    ("option", "value"), [("--purchaser", "UKK"), ("--case", "UK-D-AA"), ("--runner", "spark")]
)
def test_a_selection_the_flow_would_refuse_is_refused_before_anything_starts(
    tmp_path, option, value
):
    fms = Path(sys.executable).with_name("fms")
    done = subprocess.run(
        [str(fms), "run", "closure", "--warehouse", str(tmp_path / "w.duckdb"), option, value],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert option in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing created
