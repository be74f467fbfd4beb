"""RQ jobs. Each is a thin wrapper that loads ids and calls a service."""
