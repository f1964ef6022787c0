"""Electronic data interchange edges: X12 837P/835 in and out (and 278 in edi.x12.x278*)."""
