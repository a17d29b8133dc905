"""What a real run exposes: files, ports, processes, messages, code it imports (end to end)."""

from __future__ import annotations

from tests.tiers import end_to_end_folder

pytest_collection_modifyitems = end_to_end_folder(__file__)
