"""`python tests/local/localaws` (or `python -m localaws` from tests/local): start everything and print the
endpoints until Ctrl-C."""

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a folder: make the package importable by its name.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from localaws import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
