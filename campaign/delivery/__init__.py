"""Queueing, dispatch, throttle, send window, reconcile, queue pages."""
