# Shared by the infra scripts (sourced, not run): Microsoft Graph look-ups through the Azure CLI, in the cloud
# the CLI is signed in to.

readonly GRAPH_APP_ID=00000003-0000-0000-c000-000000000000
readonly GRAPH_ROLES=(Synchronization.Read.All Application.Read.All)  # what syncwatch reads with, both read-only

# The Graph v1.0 endpoint of the signed-in cloud (https://graph.microsoft.com/v1.0, https://graph.microsoft.us/v1.0, ...).
graph_endpoint() {
  local graph
  graph=$(az cloud show --query endpoints.microsoftGraphResourceId --output tsv)
  echo "${graph%/}/v1.0"
}

# Microsoft Graph's own service principal in the signed-in tenant.
graph_service_principal() {
  az rest --method get --url "$1/servicePrincipals(appId='$GRAPH_APP_ID')?\$select=id" --query id --output tsv
}

# graph_role_id <graph endpoint> <Graph's service principal> <role>: the id of one of Graph's application roles.
graph_role_id() {
  local role_id
  role_id=$(az rest --method get --url "$1/servicePrincipals/$2?\$select=appRoles" \
    --query "appRoles[?value=='$3'].id | [0]" --output tsv)
  if [[ -z $role_id ]]; then
    echo "Microsoft Graph has no application role named $3" >&2
    return 1
  fi
  echo "$role_id"
}
