"""Data Docs renderers that read an expectation's severity (fms.quality.data_docs: why).

A suite whose unmet expectations are all warnings passed the gate: it is published, with the
warnings reported (fms.quality.suites). GX 1.x keeps each expectation's severity in the result
but its renderers call any unmet expectation a failed suite. These subclasses, named in the
site's configuration, say "Passed with warnings" on the suite's page and in the index instead;
every unmet expectation is still listed as unmet, and the result is what GX computed.

GX imports this module by name when it builds a site, never before (a run's arguments are
checked before Great Expectations is imported).
"""

from __future__ import annotations

from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResult,
)
from great_expectations.expectations.metadata_types import FailureSeverity
from great_expectations.render.components import RenderedStringTemplateContent
from great_expectations.render.renderer import (
    SiteIndexPageRenderer,
    ValidationResultsPageRenderer,
)
from great_expectations.render.renderer.site_builder import DefaultSiteIndexBuilder

PASSED_WITH_WARNINGS = "Passed with warnings"
WARNING_ICON = ["fas", "fa-exclamation-triangle", "text-warning", "ge-warning-icon"]


def only_warnings_unmet(result: ExpectationSuiteValidationResult) -> bool:
    """True when the suite has unmet expectations and every one is a warning. An unmet
    expectation without a severity counts as critical, GX's default."""
    unmet = [r for r in result.results if not r.success]
    return bool(unmet) and all(
        r.expectation_config is not None
        and r.expectation_config.get("severity") == FailureSeverity.WARNING
        for r in unmet
    )


class SeverityAwareValidationResultsRenderer(ValidationResultsPageRenderer):
    @classmethod
    def _render_validation_header(cls, validation_results):
        header = super()._render_validation_header(validation_results)
        if only_warnings_unmet(validation_results):
            params = header.subheader.string_template["params"]
            params["success"] = PASSED_WITH_WARNINGS
            # GX's own trusted icon parameter (DefaultJinjaView._TRUSTED_HTML_PARAMS)
            params["html_success_icon"] = f'<i class="{" ".join(WARNING_ICON)}"></i>'
        return header


class SeverityAwareSiteIndexBuilder(DefaultSiteIndexBuilder):
    """Marks each validation link whose suite passed with warnings."""

    def add_resource_info_to_index_links_dict(
        self,
        index_links_dict,
        expectation_suite_name,
        section_name,
        batch_identifier=None,
        run_id=None,
        validation_success=None,
        **kwargs,
    ):
        links = super().add_resource_info_to_index_links_dict(
            index_links_dict,
            expectation_suite_name,
            section_name,
            batch_identifier=batch_identifier,
            run_id=run_id,
            validation_success=validation_success,
            **kwargs,
        )
        if section_name == "validations" and validation_success is False:
            result = self.data_context.get_validation_result(
                batch_identifier=batch_identifier,
                expectation_suite_name=expectation_suite_name,
                run_id=run_id,
                validation_results_store_name=self.source_stores.get("validations"),
            )
            links["validations_links"][-1]["only_warnings_unmet"] = isinstance(
                result, ExpectationSuiteValidationResult
            ) and only_warnings_unmet(result)
        return links


class SeverityAwareIndexRenderer(SiteIndexPageRenderer):
    @classmethod
    def _generate_validation_results_link_table(cls, index_links_dict):
        table = super()._generate_validation_results_link_table(index_links_dict)
        links = index_links_dict.get("validations_links", [])
        for link, row in zip(links, table.table_data, strict=True):
            if link.get("only_warnings_unmet"):
                row["validation_success"] = RenderedStringTemplateContent(
                    content_block_type="string_template",
                    string_template={
                        "template": "$validation_success",
                        "params": {"validation_success": ""},
                        "styling": {
                            "params": {
                                "validation_success": {
                                    "tag": "i",
                                    "classes": WARNING_ICON,
                                    "attributes": {"title": PASSED_WITH_WARNINGS},
                                }
                            },
                            "classes": ["ge-index-page-table-validation-links-item"],
                        },
                    },
                )
                # The status column's filter lists these texts.
                row["_validation_success_text"] = PASSED_WITH_WARNINGS
        return table
