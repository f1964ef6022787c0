"""Input and output adapters: JSON claims and history in, the report contract out, and YAML read within limits."""
