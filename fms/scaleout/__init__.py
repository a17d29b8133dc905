"""Scale-out: the per-purchaser marts (delivery, closure, billing) built on several machines.

The coordinator (the flow's process) is DuckDB's single writer: it exports one consistent
Parquet copy of the marts' inputs to shared storage (`export.export_inputs`), splits the
purchasers into balanced partitions (`partitions.partition_purchasers`), and each worker builds
its purchasers' rows from the Parquet files with the same builders as the single-machine run
(`worker.build_partition`). The coordinator writes the gathered rows into `staging.<mart>`
(`gather.stage_gathered`); the audit and publish steps then run unchanged. docs/scale-out.md.
"""
