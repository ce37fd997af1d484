export const MAIN_HELP = `meshfleet: manage Linkerd across your clusters through the Meshfleet API

Usage: meshfleet <command> [options]

Commands:
  login                     store the API URL and key for this user
  clusters list             list clusters
  cluster register          register a cluster; prints its agent manifest (or helm command)
  install <cluster>         install Linkerd on a cluster and follow it live
  upgrade <cluster>         upgrade Linkerd on a cluster and follow it live
  operation <id>            follow (or show) a lifecycle operation
  rollout start             start a fleet rollout to a version
  rollout status <id>       a rollout's per-wave progress
  alerts                    list alerts
  identity-domains          list identity domains (install needs one's id)
  gitops export             write a cluster's (or a selector's) Linkerd as Argo CD / Flux files

Global options:
  --api-url URL             API base URL (else MESHFLEET_API_URL, else the stored login)
  --api-key KEY             API key (else MESHFLEET_API_KEY, else the stored login)
  -o, --output table|json   output format (default table)
  -h, --help                help; \`meshfleet <command> --help\` for a command

A <cluster> is a cluster id or its exact name. Errors exit non-zero and name the API's
error code, e.g. "meshfleet: Invalid API key (UNAUTHENTICATED)".
`;

export const HELP: Record<string, string> = {
  login: `Usage: meshfleet login --api-url URL --api-key KEY

Checks the key against the API ({ viewer }) and stores URL and key in
~/.config/meshfleet/config.json (mode 0600; $XDG_CONFIG_HOME or MESHFLEET_CONFIG move it).
Without flags, MESHFLEET_API_URL and MESHFLEET_API_KEY are used.
`,
  clusters: `Usage: meshfleet clusters list [--selector LABELS] [--provider P] [--search TEXT] [--first N] [-o json]

Columns: name, id, provider, region, status, health, Linkerd version, agent connected.
--selector takes a label selector (env=prod,tier!=edge,team in (a,b)).
`,
  cluster: `Usage: meshfleet cluster register --name NAME --provider AKS|EKS|GKE|ONPREM|OTHER [--region R]
                                 [--label k=v]... [--mode monitor|managed] [-o json]

Registers a cluster and prints what installs its agent: the helm command when the API
offers one, else the agent manifest (pipe it to \`kubectl apply -f -\`). The bootstrap
token inside is shown once.
`,
  install: `Usage: meshfleet install <cluster> --version V --identity-domain ID [--ha] [--detach] [-o json]

Starts installLinkerd and follows the operation live (graphql-ws operationUpdated) with a
progress bar on stderr; exits 0 when it SUCCEEDED, 1 otherwise. --detach prints the
operation and returns at once.
`,
  upgrade: `Usage: meshfleet upgrade <cluster> --version V [--restart-data-plane] [--allow-downgrade]
                         [--detach] [-o json]

Starts upgradeLinkerd and follows it like install.
`,
  operation: `Usage: meshfleet operation <id> [--detach] [-o json]

Follows a lifecycle operation until it ends (or prints it once with --detach).
`,
  rollout: `Usage: meshfleet rollout start --version V [--name N] [--selector LABELS] [--canary-count N]
                             [--health-gate-seconds N] [--max-failures N] [--follow] [-o json]
       meshfleet rollout status <id> [--follow] [-o json]

status prints each wave's progress (targets done of total) and every target; --follow
redraws it on each change (graphql-ws rolloutUpdated) until the rollout ends.
`,
  'identity-domains': `Usage: meshfleet identity-domains [-o json]
`,
  gitops: `Usage: meshfleet gitops export (--cluster <cluster> | --selector LABELS)
                             --format argocd|argocd-applicationset|flux --out DIR [-o json]

Writes the Git-ready tree of gitopsExport under DIR: Argo CD Applications (sync waves),
one ApplicationSet over the clusters, or Flux HelmRepository + HelmReleases. Prints the
clusters exported, those skipped (with the reason) and warnings to read before committing.
No private key is ever part of the export.
`,
  alerts: `Usage: meshfleet alerts [--status FIRING|RESOLVED] [--cluster ID] [--first N] [-o json]
`,
};
