"""Campaigns: their settings, sending switches, the organisers' pages."""
