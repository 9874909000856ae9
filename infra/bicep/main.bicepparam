// Example parameters for main.bicep. Copy this file next to it (e.g. infra/bicep/contoso.bicepparam) and edit:
//   az deployment group create -g <rg> -f infra/bicep/main.bicep -p infra/bicep/contoso.bicepparam
// Every parameter not set here keeps the template's default, which is the code's default (README, "Settings").
using 'main.bicep'

// Where. The region must offer Flex Consumption: az functionapp list-flexconsumption-locations -o table
param location = 'westeurope'
param appName = 'syncwatch'
param tags = {
  app: 'syncwatch'
}

// What to watch. The tenant defaults to the subscription's own: the managed identity can sign in nowhere else.
param graphBaseUrl = 'https://graph.microsoft.com/v1.0'
param graphServicePrincipalIds = ''

// Snapshot table, transitions queue and timer.
param snapshotTableName = 'syncsnapshot'
param transitionsQueueName = 'sync-transitions'
param transitionsMessageTtl = 604800
param outboxDeadLetterAfter = 604800
param discoveryInterval = '6h'
param discoveryPagesPerTick = 1
param graphUnitsPer10s = 8000
param pollSchedule = '0 */5 * * * *'

// Health rules and noise control (docs/events.md). Leave test or retired apps out with the exclusions.
param excludeServicePrincipalIds = ''
param excludeTemplateIds = ''
param failureStreakThresholds = '1,3,10'
param stallFloor = '2h'
param escrowSpikeFactor = '2'
param escrowSpikeMin = 10
param flapMaxChanges = 3
param flapWindow = '6h'
param flapCooldown = '2h'
param remindInterval = '24h'

// Many tenants (docs/deploy.md, "Many tenants"): a JSON list of tenants, or a table of them (its name in tenantsTable,
// one row per tenant, edited with `syncwatch tenants add`), and the multi-tenant app registration (made by
// infra/create-cross-tenant-app.sh) that trusts this deployment's managed identity.
param watchTenants = ''
param tenantsTable = ''
param workQueueName = 'syncwatch-work'
param crossTenantClientId = ''

// Teams: off on the first deployment. Once the webhook URLs are in the Key Vault (docs/deploy.md, step 5), uncomment
// what you use and deploy again. Each setting in teamsRouteUrlSettings reads the secret named like it in lower case,
// "_" -> "-" (TEAMS_WEBHOOK_ONCALL -> teams-webhook-oncall); TEAMS_WEBHOOK_URL reads teams-webhook-url.
// param teamsWebhookUrlInKeyVault = true
// param teamsRoutes = '[{"name":"oncall","urlSetting":"TEAMS_WEBHOOK_ONCALL","minSeverity":"critical"}]'
// param teamsRouteUrlSettings = ['TEAMS_WEBHOOK_ONCALL']
// param teamsDigestThreshold = 5
