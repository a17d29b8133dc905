"""The application layer: the command line and `fms serve`, above the flows."""
