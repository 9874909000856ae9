import logging

from shared.adapters.log_redaction import QueryRedactingFilter, redact_urls

URL = "https://prod-1.westus.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=SECRET"


def test_query_strings_are_redacted_and_paths_kept():
    assert redact_urls(f'HTTP Request: POST {URL} "HTTP/1.1 202 Accepted"') == (
        'HTTP Request: POST https://prod-1.westus.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?REDACTED "HTTP/1.1 202 Accepted"'
    )


def test_filter_rewrites_records_with_args():
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "HTTP Request: %s %s", ("POST", URL), None)
    assert QueryRedactingFilter().filter(record)
    assert "SECRET" not in record.getMessage() and "POST https://prod-1" in record.getMessage()
