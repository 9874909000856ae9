"""Secretless Graph tokens for customer tenants.

A multi-tenant app registration (CROSS_TENANT_CLIENT_ID) trusts syncwatch's managed identity as a federated
identity credential. For each customer tenant, azure-identity's ClientAssertionCredential asks that
tenant for a token as the app, presenting the managed identity's token (audience api://AzureADTokenExchange)
as the client assertion: no secret or certificate exists anywhere. docs/deploy.md, "Many tenants", has the
set-up and the consent step per customer tenant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from azure.identity import ManagedIdentityCredential
from azure.identity.aio import ClientAssertionCredential

from shared.cloud import Cloud


class TokenSource(Protocol):
    """What gives the assertion: the managed identity's synchronous credential (azure-identity calls the
    assertion callback synchronously)."""

    def get_token(self, *scopes: str) -> Any: ...


def cross_tenant_credential(
    tenant_id: str, app_client_id: str, cloud: Cloud, *, managed_identity_client_id: str | None,
    assertion_source: TokenSource | None = None, **options: Any,
) -> ClientAssertionCredential:
    """`assertion_source` defaults to the managed identity; tests inject theirs, and `options` (e.g. a
    transport) reach the credential's own HTTP pipeline."""
    source = assertion_source or ManagedIdentityCredential(client_id=managed_identity_client_id)
    return ClientAssertionCredential(
        tenant_id, app_client_id, _assertion(source, cloud.token_exchange_scope), authority=cloud.authority_host, **options
    )


def _assertion(source: TokenSource, scope: str) -> Callable[[], str]:
    """Called for every new token of the customer tenant (hourly); the managed identity caches its own."""
    return lambda: str(source.get_token(scope).token)
