"""Singer target for Gong's Digital Interactions API (POST /v2/digital-interaction)."""
