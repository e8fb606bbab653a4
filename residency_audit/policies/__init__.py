"""Built-in policies, shipped as package data (one YAML file each)."""
