"""Scale-out: the per-purchaser marts (delivery, closure, billing) built on several machines.

The coordinator (the flow's process) is DuckDB's single writer: it exports one consistent
Parquet copy of the marts' inputs to shared storage (`export_inputs`), splits the purchasers
into balanced partitions (`partition_purchasers`), and each worker builds its purchasers'
rows from the Parquet files with the same builders as the single-machine run
(`build_partition`). The coordinator writes the gathered rows into `staging.<mart>`
(`stage_gathered`); the audit and publish steps then run unchanged. docs/scale-out.md.
"""

from fms.scaleout.export import ExportTypeError, export_inputs, export_root, remove_export
from fms.scaleout.gather import stage_gathered
from fms.scaleout.inputs import MART_INPUTS
from fms.scaleout.partitions import partition_purchasers, purchaser_workload, selected_purchasers
from fms.scaleout.worker import PARTITION_BUILDERS, build_partition, load_purchaser_slice

__all__ = [
    "MART_INPUTS",
    "PARTITION_BUILDERS",
    "ExportTypeError",
    "build_partition",
    "export_inputs",
    "export_root",
    "load_purchaser_slice",
    "partition_purchasers",
    "purchaser_workload",
    "remove_export",
    "selected_purchasers",
    "stage_gathered",
]
