#!/usr/bin/env bash
# Headless Chromium for tests/report/test_run_report_in_chromium.py (Debian's `chromium` package;
# the test starts it with --headless --no-sandbox). Idempotent: does nothing when it is installed.
# Needs root (CI containers run as root); elsewhere run it with sudo.
set -euo pipefail
command -v chromium || (apt-get update && apt-get install -y chromium)
dpkg-query -W chromium
