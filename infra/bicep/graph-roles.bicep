// Grants the syncwatch managed identity its two Microsoft Graph application roles, both read-only:
//   Synchronization.Read.All  (read the provisioning jobs)
//   Application.Read.All      (list the service principals)
//
// An administrator runs this once, after main.bicep, with Privileged Role Administrator (or Global Administrator,
// or another role that may grant Microsoft Graph application permissions): granting app roles is tenant-wide consent.
//
//   az deployment group create -g <rg> -f infra/bicep/graph-roles.bicep -p principalId=<principalId output of main>
//
// Microsoft Graph Bicep (extension alias in bicepconfig.json) deploys in the public cloud only. In a national cloud,
// or to re-check the grants later, run infra/grant-graph-roles.sh instead: it does the same and is idempotent.
// Kept out of main.bicep on purpose: checkov's parser does not understand extensions (tests/infra parses and checks
// this file with pycep-parser), and the main deployment must not need directory-wide rights.

extension microsoftGraphV1

@description('Object (principal) id of the managed identity: the principalId output of main.bicep.')
@minLength(36)
@maxLength(36)
param principalId string

// Least privilege: exactly these two roles. Changing the list changes what the Function may read in the directory.
var graphAppRoles = [
  'Synchronization.Read.All'
  'Application.Read.All'
]

// Microsoft Graph's service principal in this tenant, by its well-known application id.
resource microsoftGraph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: '00000003-0000-0000-c000-000000000000'
}

// Role ids are looked up by name in Graph's own appRoles (application permissions) rather than hard-coded.
resource grants 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [for role in graphAppRoles: {
  principalId: principalId
  resourceId: microsoftGraph.id
  appRoleId: filter(microsoftGraph.appRoles, appRole => appRole.value == role)[0].id
}]

@description('The application roles granted to the identity.')
output grantedRoles array = graphAppRoles
