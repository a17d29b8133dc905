"""Synthetic landing batches for the FMS finance platform.

`generate(out, scale, seed, dirty_rate, progress)` writes a history batch and daily batches
under `out/landing/` (one CSV per entity; the last daily's deliveries as Parquet; each batch's
`_SUCCESS`, listing its files, written last) plus
`out/manifest.json`, which lists every file's row count, every injected bad row with its
expected quarantine reason, and the valid-but-suspicious rows later stages should flag.
"""

from .landing import generate

__all__ = ["generate"]
