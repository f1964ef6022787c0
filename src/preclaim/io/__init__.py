"""Input and output adapters for JSON: claims and history in, the report contract out."""
