"""The data-quality tests: rules on hand-built warehouses; the Data Docs also in Chromium."""

from tests.tiers import end_to_end_files

pytest_collection_modifyitems = end_to_end_files(__file__, "test_data_docs_offline.py")
