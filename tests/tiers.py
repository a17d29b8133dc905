"""The two test tiers. A folder of end-to-end tests (Prefect flows and servers, the command line,
generated data, crashes) says so in its conftest.py with

    pytest_collection_modifyitems = end_to_end_folder(__file__)

and `make test-fast` (`-m "not e2e"`) leaves its tests out; `make test` runs both tiers."""

from __future__ import annotations

from pathlib import Path

import pytest


def end_to_end_folder(conftest_file: str):
    folder = Path(conftest_file).parent

    def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
        for item in items:
            if item.path.is_relative_to(folder):
                item.add_marker(pytest.mark.e2e)

    return pytest_collection_modifyitems
