"""Supporters: submissions, confirmation, abuse rules, privacy, public pages."""
