"""`python -m t2t` runs the CLI."""

from t2t.cli import main

main()
