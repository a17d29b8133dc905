"""The jobs as Prefect flows, run end to end on small landings under a test Prefect server."""

from __future__ import annotations

from tests.tiers import end_to_end_folder

pytest_collection_modifyitems = end_to_end_folder(__file__)
