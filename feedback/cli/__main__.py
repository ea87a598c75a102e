"""Allow ``python -m feedback.cli``."""

from feedback.cli import main

main()
