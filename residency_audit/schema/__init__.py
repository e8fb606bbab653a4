"""The report contract's JSON Schema, shipped so users can validate reports too."""
