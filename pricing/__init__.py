"""Pricing catalog and all of powertune's money math (Decimal, never float)."""
