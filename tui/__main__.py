"""``python -m tui`` and the ``senderdeck`` script: hands the command line to ``tui.cli``."""

from __future__ import annotations

import sys

from tui.cli import build_parser, main

__all__ = ["build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
