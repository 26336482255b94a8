"""Backends and the portfolio that combines them."""
