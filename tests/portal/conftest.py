"""One published warehouse and users' database for the portal's tests of a module."""

from __future__ import annotations

import pytest

from tests.portal.published import build_published
from tests.tiers import end_to_end_files

pytest_collection_modifyitems = end_to_end_files(__file__, "test_portal_in_chromium.py")


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    return build_published(tmp_path_factory.mktemp("portal"))
