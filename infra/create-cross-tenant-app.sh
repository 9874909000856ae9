#!/usr/bin/env bash
# Creates the multi-tenant app registration syncwatch watches customer tenants as, with no secret: the app trusts
# the Function's managed identity as a federated identity credential, and asks for the two read-only Microsoft
# Graph application roles (Synchronization.Read.All, Application.Read.All) that each customer consents to.
#
# Run it once, in the home tenant (where syncwatch is deployed), signed in with the Azure CLI as someone who may
# create app registrations:
#
#   infra/create-cross-tenant-app.sh <principalId> [displayName]     # principalId: main.bicep's output
#
# It prints CROSS_TENANT_CLIENT_ID and the admin-consent link to send to each customer tenant (docs/deploy.md,
# "Many tenants"). Running it again reuses the app and its credential.
set -euo pipefail

# shellcheck source=lib/graph.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/graph.sh"
readonly CREDENTIAL_NAME=syncwatch-managed-identity

principal_id=${1:-}
display_name=${2:-syncwatch (cross-tenant)}
if [[ ! $principal_id =~ ^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$ ]]; then
  echo "usage: $0 <principalId> [displayName]   (the managed identity's object id: the principalId output of main.bicep)" >&2
  exit 2
fi

graph=$(graph_endpoint)
login=$(az cloud show --query endpoints.activeDirectory --output tsv)
login="${login%/}"
home_tenant=$(az account show --query tenantId --output tsv)
# The token exchange audience of this cloud (a federated credential accepts only its own cloud's).
case "$login" in
  *microsoftonline.us) audience="api://AzureADTokenExchangeUSGov" ;;
  *chinacloudapi.cn) audience="api://AzureADTokenExchangeChina" ;;
  *) audience="api://AzureADTokenExchange" ;;
esac

app_id=$(az ad app list --display-name "$display_name" --query "[0].appId" --output tsv)
if [[ -z $app_id ]]; then
  app_id=$(az ad app create --display-name "$display_name" --sign-in-audience AzureADMultipleOrgs --query appId --output tsv)
  echo "created the app registration '$display_name' ($app_id)"
else
  echo "reusing the app registration '$display_name' ($app_id)"
fi

# Microsoft Graph's application roles the app asks each customer tenant for.
graph_sp=$(graph_service_principal "$graph")
access=""
for role in "${GRAPH_ROLES[@]}"; do
  role_id=$(graph_role_id "$graph" "$graph_sp" "$role")
  access+="${access:+,}{\"id\":\"$role_id\",\"type\":\"Role\"}"
done
az ad app update --id "$app_id" \
  --required-resource-accesses "[{\"resourceAppId\":\"$GRAPH_APP_ID\",\"resourceAccess\":[$access]}]"

# The trust: tokens the managed identity gets for the exchange audience are this app's client assertion.
existing=$(az ad app federated-credential list --id "$app_id" --query "[?name=='$CREDENTIAL_NAME'] | length(@)" --output tsv)
if [[ $existing == 0 ]]; then
  az ad app federated-credential create --id "$app_id" --parameters "{\"name\":\"$CREDENTIAL_NAME\",\
\"issuer\":\"$login/$home_tenant/v2.0\",\"subject\":\"$principal_id\",\"audiences\":[\"$audience\"]}" >/dev/null
  echo "trusted the managed identity $principal_id as a federated credential"
fi

echo
echo "CROSS_TENANT_CLIENT_ID=$app_id"
echo "Send each customer tenant's administrator this admin-consent link (replace <tenantId> with theirs):"
echo "  $login/<tenantId>/adminconsent?client_id=$app_id"
