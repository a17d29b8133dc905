"""Flow parameter types: what the Prefect UI's run form and every call accept.

Prefect validates a flow's parameters against their types before the run starts, so an ad-hoc
run for "uk" or "UK-D-AA" is refused with the pattern it should match, from the UI, the CLI and
`prefect deployment run` alike. Descriptions come from each flow's docstring (Args), which
Prefect shows beside each field.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from fms.contract import CASE_ID_PATTERN, COUNTRY_CODE_PATTERN

PurchaserCode = Annotated[
    str, Field(pattern=COUNTRY_CODE_PATTERN, examples=["UK"], title="purchaser")
]
"""A purchaser's 2-character country code, as in the contract (`countries.country_code`)."""

CaseId = Annotated[str, Field(pattern=CASE_ID_PATTERN, examples=["UK-D-AAA"], title="case")]
"""A case id CC-I-DDD: country code, implementing agency, case designator."""
