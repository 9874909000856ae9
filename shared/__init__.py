"""syncwatch: watches Entra ID provisioning jobs and turns status transitions into events.

Importing this package is cheap: no SDK loads until a tick runs.
"""

__version__ = "0.1.0"
