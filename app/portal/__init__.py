"""The FMS portal: every published figure explained, to analysts and purchasers."""
