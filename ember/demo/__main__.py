"""``python -m ember.demo``: see ``ember/demo/__init__.py``."""
import sys

from . import PROG, main

try:
    status = main()
except KeyboardInterrupt:
    # Ctrl-C is the user's choice, not a failure worth a traceback
    print(f"\n{PROG}: interrupted", file=sys.stderr)
    status = 130
sys.exit(status)
