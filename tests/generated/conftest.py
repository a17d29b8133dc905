"""The synthetic data generator and what the loader makes of its batches (generated data)."""

from __future__ import annotations

from tests.tiers import end_to_end_folder

pytest_collection_modifyitems = end_to_end_folder(__file__)
