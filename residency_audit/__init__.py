"""residency-audit: where does a repository keep Russian users' personal data?"""

__version__ = "0.1.0"
