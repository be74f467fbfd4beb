"""Accounts: users, roles, login, second factor, the audit log, admin pages."""
