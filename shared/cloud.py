"""Which cloud a Graph base URL belongs to: its token scope, sign-in authority and portal. Pure. No I/O."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

_PORTAL_BLADE = "#view/Microsoft_AAD_IAM/ManagedAppMenuBlade/~/ProvisioningManagement/objectId/{sp}/appId/{app}"


@dataclass(frozen=True)
class Cloud:
    graph_host: str
    authority_host: str
    portal: str
    loopback: bool = False

    @property
    def token_scope(self) -> str | None:
        """None for a loopback simulator, which takes no token."""
        return None if self.loopback else f"https://{self.graph_host}/.default"

    @property
    def token_exchange_scope(self) -> str:
        """The audience of a managed identity's token that a federated credential accepts as a client
        assertion (workload identity federation), per cloud."""
        suffix = {"login.microsoftonline.us": "USGov", "login.chinacloudapi.cn": "China"}.get(self.authority_host, "")
        return f"api://AzureADTokenExchange{suffix}/.default"

    def provisioning_page(self, service_principal_id: str, app_id: str | None) -> str:
        """Deep link to the app's Provisioning blade in the admin center of this cloud."""
        return f"{self.portal}/{_PORTAL_BLADE.format(sp=service_principal_id, app=app_id or '')}"


_KNOWN = {
    "graph.microsoft.com": ("login.microsoftonline.com", "https://entra.microsoft.com"),
    "graph.microsoft.us": ("login.microsoftonline.us", "https://portal.azure.us"),
    "dod-graph.microsoft.us": ("login.microsoftonline.us", "https://portal.azure.us"),
    "microsoftgraph.chinacloudapi.cn": ("login.chinacloudapi.cn", "https://portal.azure.cn"),
}


def cloud_for(graph_base_url: str) -> Cloud:
    """Unknown https hosts are treated as the global cloud's sign-in and portal."""
    host = (urlsplit(graph_base_url).hostname or "").lower()
    authority, portal = _KNOWN.get(host, _KNOWN["graph.microsoft.com"])
    return Cloud(host, authority, portal, loopback=is_loopback(host))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
