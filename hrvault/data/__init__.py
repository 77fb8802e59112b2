"""Data files shipped with the service (read with ``importlib.resources``)."""
