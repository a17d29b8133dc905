"""The two test tiers. A folder of end-to-end tests (Prefect flows and servers, the command line,
generated data, crashes) says so in its conftest.py with

    pytest_collection_modifyitems = end_to_end_folder(__file__)

and a folder of rule tests whose pages are also opened in a real browser names those files:

    pytest_collection_modifyitems = end_to_end_files(__file__, "test_x_in_chromium.py")

`make test-fast` (`-m "not e2e"`) leaves them out; `make test` runs both tiers."""

from __future__ import annotations

from pathlib import Path

import pytest


def end_to_end_folder(conftest_file: str):
    folder = Path(conftest_file).parent
    return _marking(lambda path: path.is_relative_to(folder))


def end_to_end_files(conftest_file: str, *names: str):
    files = {Path(conftest_file).parent / name for name in names}
    return _marking(lambda path: path in files)


def _marking(is_end_to_end):
    def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
        for item in items:
            if is_end_to_end(item.path):
                item.add_marker(pytest.mark.e2e)

    return pytest_collection_modifyitems
