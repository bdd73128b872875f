"""Settings shared by every test folder."""

import os

if os.environ.get("PYTEST_XDIST_WORKER"):
    # pytest-xdist's workers inherit COLUMNS=80 from the controller; the CLI takes COLUMNS as a terminal's
    # width, so drop it and let the CLI write pipe-width tables as it does in a one-process run
    os.environ.pop("COLUMNS", None)
