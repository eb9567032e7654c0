"""User-changeable rules (scoring, routing, SLAs): parsed, validated whole, versioned."""
