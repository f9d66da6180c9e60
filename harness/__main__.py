"""`python3 -m harness ARGS` is `./ssespec ARGS` (harness/commands)."""

import sys

from harness.commands import main

sys.exit(main())
