// syncwatch: everything the Function App needs, in one resource group, with no secret or account key anywhere.
//
//   az deployment group create -g <rg> -f infra/bicep/main.bicep -p infra/bicep/main.bicepparam
//
// Step by step, from an empty resource group to the first alert: docs/deploy.md.
// The Microsoft Graph application roles are granted by infra/bicep/graph-roles.bicep, a separate deployment that
// an administrator runs (it needs Privileged Role Administrator or equivalent).
//
// Plain resources only: registry modules (br/public:) cannot be restored offline. The file stays within what
// checkov's Bicep parser understands (no lambdas, no user-defined functions, no nested resource loops), and no
// variable shares an output's name (checkov then stops rendering variables into resources). CI scans it with
// checkov and parses it with pycep-parser (tests/infra).

targetScope = 'resourceGroup'

// ---------------------------------------------------------------------------------------------------------------
// Where and how it is named
// ---------------------------------------------------------------------------------------------------------------

@description('Region of every resource. It must offer Flex Consumption: az functionapp list-flexconsumption-locations.')
param location string = resourceGroup().location

@description('Prefix of every resource name: 3-11 lowercase letters and digits. A hash of the resource group keeps global names unique.')
@minLength(3)
@maxLength(11)
param appName string = 'syncwatch'

@description('Tags put on every resource.')
param tags object = {}

// ---------------------------------------------------------------------------------------------------------------
// The product's app settings (README, "Settings"). Defaults are the code's defaults (shared/settings.py DEFAULTS);
// tests/infra/test_settings_drift.py keeps them in step.
// ---------------------------------------------------------------------------------------------------------------

@description('AZURE_TENANT_ID: the directory whose provisioning jobs are watched. The managed identity can only sign in to its own tenant, so keep the default unless you know better.')
param tenantId string = tenant().tenantId

@description('GRAPH_BASE_URL: Microsoft Graph endpoint; a national cloud such as https://graph.microsoft.us/v1.0.')
param graphBaseUrl string = 'https://graph.microsoft.com/v1.0'

@description('GRAPH_SERVICE_PRINCIPAL_IDS: comma-separated service principal object ids to watch; empty watches every service principal.')
param graphServicePrincipalIds string = ''

@description('SNAPSHOT_TABLE: table holding the last seen status of every job (3-63 letters and digits, starting with a letter).')
@minLength(3)
@maxLength(63)
param snapshotTableName string = 'syncsnapshot'

@description('TRANSITIONS_QUEUE: queue receiving one CloudEvent per transition (3-56 lowercase letters, digits, single hyphens; its poison queue adds "-poison").')
@minLength(3)
@maxLength(56)
param transitionsQueueName string = 'sync-transitions'

@description('TRANSITIONS_MESSAGE_TTL: message time-to-live in seconds; -1 means never expires.')
@minValue(-1)
param transitionsMessageTtl int = 604800

@description('OUTBOX_DEAD_LETTER_AFTER: seconds after which a delivery that keeps failing is dead-lettered (kept in the outbox, counted in every tick\'s summary, no longer retried).')
@minValue(1)
param outboxDeadLetterAfter int = 604800

@description('DISCOVERY_INTERVAL: how often a discovery cycle (list every SP, ask each for jobs) starts: seconds, or 90s, 30m, 6h, 1d.')
param discoveryInterval string = '6h'

@description('DISCOVERY_PAGES_PER_TICK: listing pages (999 SPs each) one tick reads of the current discovery cycle.')
@minValue(1)
param discoveryPagesPerTick int = 1

@description('GRAPH_UNITS_PER_10S: the most Graph resource units spent in any sliding 10 s (Graph\'s large-tenant limit by default).')
@minValue(1)
param graphUnitsPer10s int = 8000

@description('POLL_SCHEDULE: the timer\'s NCRONTAB expression (6 fields).')
param pollSchedule string = '0 */5 * * * *'

@description('TEAMS_WEBHOOK_URL: true once the Key Vault holds the secret "teams-webhook-url" (the default Teams Workflows webhook). While false the setting stays empty: no default Teams channel. Never true before the secret exists: an unresolved Key Vault reference leaves the raw reference in the setting and every tick fails on it.')
param teamsWebhookUrlInKeyVault bool = false

@description('TEAMS_ROUTES: JSON list of Teams routes, as the app setting expects it; empty for none. Each route\'s "urlSetting" must be listed in teamsRouteUrlSettings.')
param teamsRoutes string = ''

@description('The app settings that hold the webhook URLs of TEAMS_ROUTES (each route\'s "urlSetting"), e.g. ["TEAMS_WEBHOOK_ONCALL"]. Each becomes a Key Vault reference to the secret named like the setting in lower case with "-" for "_" (TEAMS_WEBHOOK_ONCALL -> teams-webhook-oncall). Put the secret in the vault before listing its setting here.')
param teamsRouteUrlSettings array = []

@description('TEAMS_DIGEST_THRESHOLD: from this many transitions in one tick, a route gets one digest card instead of one card each.')
@minValue(1)
param teamsDigestThreshold int = 5

@description('EXCLUDE_SERVICE_PRINCIPAL_IDS: comma-separated service principal object ids left out entirely (test or retired apps).')
param excludeServicePrincipalIds string = ''

@description('EXCLUDE_TEMPLATE_IDS: comma-separated job template ids left out entirely.')
param excludeTemplateIds string = ''

@description('FAILURE_STREAK_THRESHOLDS: countSuccessiveCompleteFailures values that raise failureStreak; the highest is critical.')
param failureStreakThresholds string = '1,3,10'

@description('STALL_FLOOR: an Active job with no success within max(3 x its interval, this) is stalled.')
param stallFloor string = '2h'

@description('ESCROW_SPIKE_FACTOR: countEscrowed growing by more than this factor between runs is an escrowSpike.')
param escrowSpikeFactor string = '2'

@description('ESCROW_SPIKE_MIN: a jump of fewer escrowed entries than this is no spike.')
@minValue(1)
param escrowSpikeMin int = 10

@description('FLAP_MAX_CHANGES: more status changes than this within FLAP_WINDOW is flapping (one card, then quiet on Teams).')
@minValue(1)
param flapMaxChanges int = 3

@description('FLAP_WINDOW: the window in which status changes are counted for flapping.')
param flapWindow string = '6h'

@description('FLAP_COOLDOWN: a flapping job stable this long ends flapping.')
param flapCooldown string = '2h'

@description('REMIND_INTERVAL: how often a job still in Quarantine is posted again, with the duration so far.')
param remindInterval string = '24h'

@description('WATCH_TENANTS: JSON list of tenants to watch ([{"tenantId": "...", "displayName": "...", "graphBaseUrl": "...", "teamsRoutes": [...]}]); empty watches AZURE_TENANT_ID alone, or the rows of tenantsTable.')
param watchTenants string = ''

@description('A table of tenants to watch, one row per tenant (`syncwatch tenants add`), created with the code\'s table role on it alone; WATCH_TENANTS becomes table:<name> unless watchTenants is given. Empty: no tenants table.')
param tenantsTable string = ''

@description('WORK_QUEUE: the queue of per-tenant work items (with WATCH_TENANTS the timer fans out, the queue trigger ticks).')
param workQueueName string = 'syncwatch-work'

@description('CROSS_TENANT_CLIENT_ID: client id of the multi-tenant app registration that trusts the managed identity (federated credential), for customer tenants.')
param crossTenantClientId string = ''

// ---------------------------------------------------------------------------------------------------------------
// Platform sizing
// ---------------------------------------------------------------------------------------------------------------

@description('Flex Consumption instance memory in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Most instances the app may scale out to. A timer-only app runs one at a time; this is only a ceiling.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Days the Log Analytics workspace keeps logs.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

// ---------------------------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------------------------

var suffix = uniqueString(resourceGroup().id)
var storageName = take('${appName}${suffix}', 24)
var siteName = '${appName}-${suffix}'
var planName = 'plan-${appName}-${suffix}'
var identityName = 'id-${appName}-${suffix}'
var workspaceName = 'log-${appName}-${suffix}'
var insightsName = 'appi-${appName}-${suffix}'
var vaultName = take('kv-${appName}-${suffix}', 24)
var deploymentContainerName = 'app-package'
var poisonQueueName = '${transitionsQueueName}-poison'
// A name even when no tenants table is made: ARM evaluates a conditional resource's name all the same.
var tenantsTableName = empty(tenantsTable) ? 'syncwatchtenants' : tenantsTable

// Built-in role definitions (Azure RBAC).
var roleStorageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var roleStorageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var roleStorageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var roleMonitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'
var roleKeyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

// ---------------------------------------------------------------------------------------------------------------
// Identity: one user-assigned managed identity for the host, the code, Key Vault references and App Insights.
// ---------------------------------------------------------------------------------------------------------------

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: identityName
  location: location
  tags: tags
}

// ---------------------------------------------------------------------------------------------------------------
// Storage: host storage, deployment package, snapshot table and transitions queue. Entra ID only.
// ---------------------------------------------------------------------------------------------------------------

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    isLocalUserEnabled: false
    isSftpEnabled: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
        }
        file: {
          enabled: true
        }
        queue: {
          enabled: true
          keyType: 'Account'
        }
        table: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource transitionsQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: transitionsQueueName
}

// Consumers' Functions hosts move a message here after 5 failed dequeues; created up front so it can be watched.
resource poisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: poisonQueueName
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource snapshotTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: snapshotTableName
}

// With many tenants kept in a table (WATCH_TENANTS=table:<name>): the timer reads its rows on every run.
resource tenantsTableResource 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = if (!empty(tenantsTable)) {
  parent: tableService
  name: tenantsTableName
}

// ---------------------------------------------------------------------------------------------------------------
// Monitoring: Application Insights on a Log Analytics workspace; ingestion only with Entra ID.
// ---------------------------------------------------------------------------------------------------------------

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: logRetentionDays
    features: {
      disableLocalAuth: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: insightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Key Vault (RBAC mode): the Teams webhook URLs. An administrator puts the secrets in; the template never sees them.
// ---------------------------------------------------------------------------------------------------------------

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Role assignments for the identity, each on the narrowest scope that works.
// ---------------------------------------------------------------------------------------------------------------

// The Functions host keeps timer schedules and locks in blob containers it creates itself (azure-webjobs-hosts,
// azure-webjobs-secrets), and reads the deployment package: the account is the narrowest scope covering those.
resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roleStorageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleStorageBlobDataOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The code sends to the transitions queue only (never the poison queue).
resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(transitionsQueue.id, identity.id, roleStorageQueueDataContributor)
  scope: transitionsQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleStorageQueueDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The code reads and writes the snapshot table only.
resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(snapshotTable.id, identity.id, roleStorageTableDataContributor)
  scope: snapshotTable
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleStorageTableDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// With a tenants table, the code reads that table too, and nothing else beside the snapshot table.
resource tenantsTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(tenantsTable)) {
  name: guid(tenantsTableResource.id, identity.id, roleStorageTableDataContributor)
  scope: tenantsTableResource
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleStorageTableDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Telemetry to this Application Insights resource only (local auth is off).
resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identity.id, roleMonitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleMonitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Key Vault references. On the vault: the secrets are added later, by an administrator.
resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, identity.id, roleKeyVaultSecretsUser)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleKeyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// ---------------------------------------------------------------------------------------------------------------
// App settings. AzureWebJobsStorage is identity-based: no connection string exists. Secrets (webhook URLs) are
// Key Vault references resolved with the user-assigned identity (keyVaultReferenceIdentity below).
// ---------------------------------------------------------------------------------------------------------------

var coreAppSettings = [
  {
    name: 'AzureWebJobsStorage__accountName'
    value: storage.name
  }
  {
    name: 'AzureWebJobsStorage__credential'
    value: 'managedidentity'
  }
  {
    name: 'AzureWebJobsStorage__clientId'
    value: identity.properties.clientId
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: appInsights.properties.ConnectionString
  }
  {
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
    value: 'Authorization=AAD;ClientId=${identity.properties.clientId}'
  }
  {
    name: 'AZURE_TENANT_ID'
    value: tenantId
  }
  {
    name: 'AZURE_CLIENT_ID'
    value: identity.properties.clientId
  }
  {
    name: 'GRAPH_BASE_URL'
    value: graphBaseUrl
  }
  {
    name: 'GRAPH_SERVICE_PRINCIPAL_IDS'
    value: graphServicePrincipalIds
  }
  {
    name: 'SNAPSHOT_TABLE'
    value: snapshotTableName
  }
  {
    name: 'TRANSITIONS_QUEUE'
    value: transitionsQueueName
  }
  {
    name: 'TRANSITIONS_MESSAGE_TTL'
    value: string(transitionsMessageTtl)
  }
  {
    name: 'OUTBOX_DEAD_LETTER_AFTER'
    value: string(outboxDeadLetterAfter)
  }
  {
    name: 'DISCOVERY_INTERVAL'
    value: discoveryInterval
  }
  {
    name: 'DISCOVERY_PAGES_PER_TICK'
    value: string(discoveryPagesPerTick)
  }
  {
    name: 'GRAPH_UNITS_PER_10S'
    value: string(graphUnitsPer10s)
  }
  {
    name: 'POLL_SCHEDULE'
    value: pollSchedule
  }
  {
    name: 'TEAMS_WEBHOOK_URL'
    value: teamsWebhookUrlInKeyVault ? '@Microsoft.KeyVault(SecretUri=${keyVault.properties.vaultUri}secrets/teams-webhook-url)' : ''
  }
  {
    name: 'TEAMS_ROUTES'
    value: teamsRoutes
  }
  {
    name: 'TEAMS_DIGEST_THRESHOLD'
    value: string(teamsDigestThreshold)
  }
  {
    name: 'EXCLUDE_SERVICE_PRINCIPAL_IDS'
    value: excludeServicePrincipalIds
  }
  {
    name: 'EXCLUDE_TEMPLATE_IDS'
    value: excludeTemplateIds
  }
  {
    name: 'FAILURE_STREAK_THRESHOLDS'
    value: failureStreakThresholds
  }
  {
    name: 'STALL_FLOOR'
    value: stallFloor
  }
  {
    name: 'ESCROW_SPIKE_FACTOR'
    value: escrowSpikeFactor
  }
  {
    name: 'ESCROW_SPIKE_MIN'
    value: string(escrowSpikeMin)
  }
  {
    name: 'FLAP_MAX_CHANGES'
    value: string(flapMaxChanges)
  }
  {
    name: 'FLAP_WINDOW'
    value: flapWindow
  }
  {
    name: 'FLAP_COOLDOWN'
    value: flapCooldown
  }
  {
    name: 'REMIND_INTERVAL'
    value: remindInterval
  }
  {
    name: 'WATCH_TENANTS'
    value: empty(watchTenants) ? (empty(tenantsTable) ? '' : 'table:${tenantsTable}') : watchTenants
  }
  {
    name: 'WORK_QUEUE'
    value: workQueueName
  }
  {
    name: 'CROSS_TENANT_CLIENT_ID'
    value: crossTenantClientId
  }
]

// One Key Vault reference per route URL setting; the secret is named after the setting.
var teamsRouteAppSettings = [for setting in teamsRouteUrlSettings: {
  name: setting
  value: '@Microsoft.KeyVault(SecretUri=${keyVault.properties.vaultUri}secrets/${toLower(replace(setting, '_', '-'))})'
}]

// ---------------------------------------------------------------------------------------------------------------
// Function App: Flex Consumption (FC1), Linux, Python 3.11.
// ---------------------------------------------------------------------------------------------------------------

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: siteName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: concat(coreAppSettings, teamsRouteAppSettings)
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
  // The identity must hold its roles before the host starts and resolves its Key Vault references.
  dependsOn: [
    deploymentContainer
    blobOwner
    queueContributor
    tableContributor
    tenantsTableContributor
    metricsPublisher
    secretsUser
  ]
}

// No publishing with basic credentials (FTP or the SCM site): deployments use Entra ID.
resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------------------------

@description('Name of the Function App: the target of the code publish.')
output functionAppName string = functionApp.name

@description('URL of the transitions queue, for consumers.')
output transitionsQueueUrl string = '${storage.properties.primaryEndpoints.queue}${transitionsQueueName}'

@description('Object (principal) id of the managed identity: the principal of the Graph app role grant (graph-roles.bicep).')
output principalId string = identity.properties.principalId

@description('Client id of the managed identity (AZURE_CLIENT_ID).')
output clientId string = identity.properties.clientId

@description('Name of the Key Vault that holds the Teams webhook URLs.')
output keyVaultName string = keyVault.name

@description('Name of the storage account.')
output storageAccountName string = storage.name

@description('Name of the Application Insights resource.')
output appInsightsName string = appInsights.name
