"""Keeps webhook signatures out of logs.

httpx logs every request's full URL at INFO, and a Workflows URL's query carries `sig`, the secret that
grants posting. The Functions host ships INFO to Application Insights, so the query is redacted there.
"""

from __future__ import annotations

import logging
import re

_QUERY = re.compile(r"(https?://[^\s\"'?]+)\?[^\s\"']*")


class QueryRedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_urls(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact_urls(text: str) -> str:
    """Every URL's query string replaced: `https://host/path?REDACTED`."""
    return _QUERY.sub(r"\1?REDACTED", text)


def redact_http_client_logs() -> None:
    """Idempotent: installs the filter on httpx's logger once."""
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, QueryRedactingFilter) for f in logger.filters):
        logger.addFilter(QueryRedactingFilter())
