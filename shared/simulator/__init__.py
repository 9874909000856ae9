"""Local stand-ins for cloud services, for tests and local runs."""
