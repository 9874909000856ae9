#!/usr/bin/env bash
# Grants the syncwatch managed identity its two Microsoft Graph application roles, both read-only:
#   Synchronization.Read.All  (read the provisioning jobs)
#   Application.Read.All      (list the service principals)
#
# Does what infra/bicep/graph-roles.bicep does, for where that cannot run: Microsoft Graph Bicep deploys in the public
# cloud only, so national clouds use this script. It is idempotent: roles already granted are left alone, so it also
# re-checks the grants.
#
# Run it as an administrator with Privileged Role Administrator (or Global Administrator, or another role that may
# grant Microsoft Graph application permissions), signed in with the Azure CLI to the tenant (`az cloud set --name
# AzureUSGovernment` first for a national cloud):
#
#   infra/grant-graph-roles.sh <principalId>      # the principalId output of main.bicep
set -euo pipefail

# shellcheck source=lib/graph.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/graph.sh"

principal_id=${1:-}
if [[ ! $principal_id =~ ^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$ ]]; then
  echo "usage: $0 <principalId>   (the managed identity's object id: the principalId output of main.bicep)" >&2
  exit 2
fi

graph=$(graph_endpoint)
graph_sp=$(graph_service_principal "$graph")

for role in "${GRAPH_ROLES[@]}"; do
  role_id=$(graph_role_id "$graph" "$graph_sp" "$role")
  granted=$(az rest --method get --url "$graph/servicePrincipals/$principal_id/appRoleAssignments" \
    --query "length(value[?appRoleId=='$role_id' && resourceId=='$graph_sp'])" --output tsv)
  if [[ $granted != 0 ]]; then
    echo "already granted: $role"
    continue
  fi
  az rest --method post --url "$graph/servicePrincipals/$graph_sp/appRoleAssignedTo" \
    --headers Content-Type=application/json \
    --body "{\"principalId\":\"$principal_id\",\"resourceId\":\"$graph_sp\",\"appRoleId\":\"$role_id\"}" \
    --output none
  echo "granted: $role"
done
