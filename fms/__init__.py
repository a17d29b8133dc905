"""FMS finance data platform."""
