"""Entry point for ``python -m residency_audit``."""

from residency_audit.cli import main

if __name__ == "__main__":
    main()
