"""prefect.yaml and the flows load: the contract's five deployments, complete and runnable."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from prefect import Flow
from prefect.flows import load_flow_from_entrypoint
from prefect.utilities.callables import parameter_schema

from app.serve import PREFECT_FILE, ServeError, check_server_host, deployments
from fms import settings

CONTRACT_DEPLOYMENTS = [
    "nightly-refresh",
    "monthly-delivery-report",
    "quarterly-billing",
    "weekly-closure-readiness",
    "quarterly-payment-schedule-review",
]
DATE_PARAMETERS = {"as_of", "period_end"}
SPECS = deployments()  # as `fms serve` serves them
AD_HOC = [s for s in SPECS if "purchaser" in s.parameters]  # every job but the nightly refresh


def raw_config() -> dict:
    return yaml.safe_load(PREFECT_FILE.read_text(encoding="utf-8"))


def flow_of(spec) -> Flow:
    """The deployment's flow, as `prefect deploy` and a worker load it: a file path relative
    to the project."""
    entrypoint = next(
        d["entrypoint"] for d in raw_config()["deployments"] if d["name"] == spec.name
    )
    path, function = entrypoint.split(":")
    return load_flow_from_entrypoint(f"{settings.PROJECT_ROOT / path}:{function}")


def test_prefect_yaml_is_at_the_project_root_and_names_the_contracts_deployments():
    assert PREFECT_FILE == settings.PROJECT_ROOT / "prefect.yaml"
    assert [d["name"] for d in raw_config()["deployments"]] == CONTRACT_DEPLOYMENTS
    assert [s.name for s in SPECS] == CONTRACT_DEPLOYMENTS
    assert [s.name for s in AD_HOC] == CONTRACT_DEPLOYMENTS[1:]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_entrypoint_loads_the_flow_of_the_same_name(spec):
    flow = flow_of(spec)
    assert isinstance(flow, Flow)
    assert flow.name == spec.name  # runs show as nightly-refresh/nightly-refresh


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_deployment_has_a_schedule_in_the_fms_timezone(spec):
    assert spec.schedules
    for schedule in spec.schedules:
        assert schedule.schedule.timezone == "America/New_York" == settings.schedule_timezone()
        assert schedule.active
        assert schedule.slug


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_no_date_is_frozen_in_a_deployment(spec):
    flow = flow_of(spec)
    properties = parameter_schema(flow).properties
    assert set(spec.parameters) <= set(properties)
    assert DATE_PARAMETERS & set(spec.parameters)  # the run date is shown, and left null
    assert all(spec.parameters[name] is None for name in DATE_PARAMETERS & set(spec.parameters))
    # everything else too, but a scheduled billing: a record, never a preliminary draft
    assert {k: v for k, v in spec.parameters.items() if v is not None} in (
        {},
        {"preliminary": False},
    )
    for schedule in spec.schedules:
        assert not DATE_PARAMETERS & set(schedule.parameters or {})


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_flow_parameter_has_a_type_and_a_description_for_the_run_form(spec):
    flow = flow_of(spec)
    for name, prop in parameter_schema(flow).properties.items():
        assert prop.get("description"), name
        if prop.get("type") == "boolean":  # a check box
            continue
        assert any(option.get("type") == "string" for option in prop["anyOf"]), name


@pytest.mark.parametrize(
    ("name", "pattern", "accepted", "refused"),
    [
        ("purchaser", r"^[A-Z0-9]{2}$", "UK", "UKK"),
        ("case", r"^[A-Z0-9]{2}-[A-Z]-[A-Z0-9]{3}$", "UK-D-AAA", "UK-D-AA"),
    ],
)
@pytest.mark.parametrize("spec", AD_HOC, ids=lambda s: s.name)
def test_ad_hoc_selections_are_validated_before_a_run_starts(
    spec, name, pattern, accepted, refused
):
    flow = flow_of(spec)
    prop = parameter_schema(flow).properties[name]
    assert {"type": "null"} in prop["anyOf"]
    assert any(option.get("pattern") == pattern for option in prop["anyOf"])
    assert flow.validate_parameters({name: accepted})[name] == accepted
    assert flow.validate_parameters({name: accepted.lower()})[name] == accepted  # uk is UK
    with pytest.raises(Exception, match="should match pattern"):
        flow.validate_parameters({name: refused})


def test_every_deployment_runs_from_the_project_on_the_process_pool():
    config = raw_config()
    assert config["pull"] == [
        {
            "prefect.deployments.steps.set_working_directory": {
                "directory": "{{ project-dir.stdout }}"
            }
        }
    ]
    build = config["build"][0]["prefect.deployments.steps.run_shell_script"]
    assert (build["id"], build["script"]) == ("project-dir", "pwd")
    for deployment in config["deployments"]:
        assert deployment["work_pool"]["name"] == "fms-process"
        path = Path(deployment["entrypoint"].split(":")[0])
        assert not path.is_absolute() and (settings.PROJECT_ROOT / path).is_file()


def test_fms_serve_builds_the_same_deployments_as_prefect_yaml():
    config = raw_config()["deployments"]
    assert [d.name for d in SPECS] == CONTRACT_DEPLOYMENTS
    for deployment, raw in zip(SPECS, config, strict=True):
        path, function = raw["entrypoint"].split(":")
        assert deployment.entrypoint == f"{path.removesuffix('.py').replace('/', '.')}.{function}"
        assert deployment.parameters == raw["parameters"]
        assert [(s.schedule.cron, s.schedule.timezone, s.slug) for s in deployment.schedules] == [
            (s["cron"], s["timezone"], s["slug"]) for s in raw["schedules"]
        ]
        # One run of a job at a time, a second one waiting for it, however it is run.
        assert raw["concurrency_limit"] == {"limit": 1, "collision_strategy": "ENQUEUE"}
        assert deployment.concurrency_limit == 1
        assert deployment.concurrency_options.collision_strategy == "ENQUEUE"


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_a_server_may_listen_on_the_loopback_interface(host):
    check_server_host(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "fms.example.org"])
def test_a_server_beyond_this_machine_needs_authentication(host):
    from prefect.settings import PREFECT_SERVER_API_AUTH_STRING, temporary_settings

    with pytest.raises(ServeError, match="PREFECT_SERVER_API_AUTH_STRING"):
        check_server_host(host)
    with temporary_settings({PREFECT_SERVER_API_AUTH_STRING: "admin:a-long-secret"}):
        check_server_host(host)
