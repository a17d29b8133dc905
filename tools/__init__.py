"""Developer tools, not the product: the synthetic data generator (`tools.generate`) and the
benchmarks (`tools.benchmarks`). Installed with the `dev` extra; nothing in `fms/`, `flows/` or
`tasks/` imports them.
"""
