// The agent's RBAC, per mode. The one source for the manifest registerCluster returns and for the
// agent's Helm chart. Every rule carries its reason (listed in the README).
//
// MONITOR reads what the agent's informers, `linkerd check` and the mTLS status read, and the
// proxies' admin port through the pod proxy. MANAGED adds what install, upgrade, uninstall,
// issuer rotation, data-plane restarts and mesh adoption write, scoped by resourceNames to the objects
// `linkerd install` renders wherever their names are known. The agent applies with server-side
// apply (a PATCH that names the object: Kubernetes authorizes its create with that name too),
// gets and deletes by name, so name-scoped rules cover all of it.
//
// Linkerd's install contains ClusterRoles, Roles and their bindings. Kubernetes refuses to create
// a role granting permissions the creator does not hold (unless it has `escalate` on it) and to
// bind one (unless it has `bind` on it). Holding every permission of Linkerd's roles would give
// the agent more than it needs (tokenreviews, endpointslices, ...), so it holds `escalate` and
// `bind` only on Linkerd's own role names: it can create exactly those, nothing else.

export type AgentMode = 'MONITOR' | 'MANAGED';

export interface AgentRbacRule {
  reason: string;
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** Meshfleet installs Linkerd into this namespace (imports are refused for any other). */
const CP = 'linkerd';

/** Names of the objects `linkerd install` (CLI and Helm, default and HA) renders, by kind. */
export const LINKERD_OBJECT_NAMES = {
  namespaces: [CP],
  clusterRoles: [
    `linkerd-${CP}-identity`,
    `linkerd-${CP}-destination`,
    `linkerd-${CP}-proxy-injector`,
    'linkerd-policy',
    'linkerd-heartbeat',
  ],
  clusterRoleBindings: [
    `linkerd-${CP}-identity`,
    `linkerd-${CP}-destination`,
    `linkerd-${CP}-proxy-injector`,
    'linkerd-destination-policy',
    'linkerd-heartbeat',
  ],
  roles: ['linkerd-heartbeat', 'remote-discovery', `ext-namespace-metadata-${CP}-config`],
  roleBindings: [
    'linkerd-heartbeat',
    'linkerd-destination-remote-discovery',
    `ext-namespace-metadata-${CP}-config`,
  ],
  configMaps: [`${CP}-config`, `${CP}-identity-trust-roots`],
  secrets: [
    'linkerd-identity-issuer',
    'linkerd-config-overrides',
    'linkerd-proxy-injector-k8s-tls',
    'linkerd-sp-validator-k8s-tls',
    'linkerd-policy-validator-k8s-tls',
  ],
  services: [
    'linkerd-identity',
    'linkerd-identity-headless',
    'linkerd-dst',
    'linkerd-dst-headless',
    'linkerd-sp-validator',
    'linkerd-policy',
    'linkerd-policy-validator',
    'linkerd-proxy-injector',
  ],
  serviceAccounts: ['linkerd-identity', 'linkerd-destination', 'linkerd-heartbeat', 'linkerd-proxy-injector'],
  deployments: ['linkerd-identity', 'linkerd-destination', 'linkerd-proxy-injector'],
  cronJobs: ['linkerd-heartbeat'],
  podDisruptionBudgets: ['linkerd-identity', 'linkerd-dst', 'linkerd-proxy-injector'],
  mutatingWebhooks: ['linkerd-proxy-injector-webhook-config'],
  validatingWebhooks: ['linkerd-sp-validator-webhook-config', 'linkerd-policy-validator-webhook-config'],
  crds: [
    'authorizationpolicies.policy.linkerd.io',
    'egressnetworks.policy.linkerd.io',
    'httplocalratelimitpolicies.policy.linkerd.io',
    'httproutes.policy.linkerd.io',
    'meshtlsauthentications.policy.linkerd.io',
    'networkauthentications.policy.linkerd.io',
    'serverauthorizations.policy.linkerd.io',
    'servers.policy.linkerd.io',
    'serviceprofiles.linkerd.io',
    'externalworkloads.workload.linkerd.io',
    // The Gateway API CRDs Linkerd 2.19+ expects (`linkerd install --crds` can render them).
    'gatewayclasses.gateway.networking.k8s.io',
    'gateways.gateway.networking.k8s.io',
    'httproutes.gateway.networking.k8s.io',
    'grpcroutes.gateway.networking.k8s.io',
    'referencegrants.gateway.networking.k8s.io',
    'tcproutes.gateway.networking.k8s.io',
    'tlsroutes.gateway.networking.k8s.io',
    'udproutes.gateway.networking.k8s.io',
    'backendtlspolicies.gateway.networking.k8s.io',
  ],
  // linkerd-viz's tap APIService: only touched when an imported render carries it.
  apiServices: ['v1alpha1.tap.linkerd.io'],
} as const;

/** Names of the objects `linkerd viz install` and `linkerd multicluster install` render (issue 18). */
export const EXTENSION_OBJECT_NAMES = {
  namespaces: ['linkerd-viz', 'linkerd-multicluster'],
  clusterRoles: [
    ...['metrics-api', 'prometheus', 'tap', 'tap-admin', 'web-check', 'web-api'].map(
      (r) => `linkerd-linkerd-viz-${r}`,
    ),
    'linkerd-tap-injector',
    'linkerd-service-mirror-remote-access-default',
    'linkerd-local-service-mirror-access-local-resources',
  ],
  clusterRoleBindings: [
    ...['metrics-api', 'prometheus', 'tap', 'web-check', 'web-api', 'tap-auth-delegator', 'web-admin'].map(
      (r) => `linkerd-linkerd-viz-${r}`,
    ),
    'linkerd-tap-injector',
    'linkerd-service-mirror-remote-access-default',
    'linkerd-local-service-mirror-access-local-resources',
  ],
  /** Roles the extensions' bindings refer to without rendering them (the API server's own). */
  boundRoles: ['system:auth-delegator', 'extension-apiserver-authentication-reader'],
  roles: ['web'],
  roleBindings: ['web', 'linkerd-linkerd-viz-tap-auth-reader'],
  /** viz up to 2.11 bundled Grafana: an upgrade from such a release prunes these. */
  configMaps: ['prometheus-config', 'grafana-config'],
  secrets: ['tap-k8s-tls', 'tap-injector-k8s-tls', 'linkerd-service-mirror-remote-access-default-token'],
  services: ['metrics-api', 'prometheus', 'tap', 'tap-injector', 'web', 'linkerd-gateway', 'grafana'],
  serviceAccounts: [
    'metrics-api',
    'prometheus',
    'tap',
    'tap-injector',
    'web',
    'linkerd-gateway',
    'linkerd-service-mirror-remote-access-default',
    'linkerd-local-service-mirror',
  ],
  deployments: [
    'metrics-api',
    'prometheus',
    'tap',
    'tap-injector',
    'web',
    'linkerd-gateway',
    'linkerd-local-service-mirror',
  ],
  mutatingWebhooks: ['linkerd-tap-injector-webhook-config'],
  crds: ['links.multicluster.linkerd.io'],
  policies: [
    'metrics-api',
    'metrics-api-web',
    'prometheus-admin',
    'kubelet',
    'tap-api',
    'tap',
    'tap-injector-webhook',
    'tap-injector',
    'kube-api-server',
    'linkerd-gateway',
    'any-meshed',
    // `linkerd viz allow-scrapes` in default-deny namespaces
    'proxy-admin',
    'proxy-metrics',
    'proxy-probes',
    'prometheus-scrape',
  ],
} as const;

const READ = ['get', 'list', 'watch'];
/** Server-side apply (create or patch by name), get and delete by name. */
const WRITE_NAMED = ['get', 'create', 'update', 'patch', 'delete'];

/** The ConfigMap in which the agent keeps its drift detection's desired state (as the agent protocol names it). */
export const DESIRED_STATE_CONFIGMAP = 'meshfleet-desired-state';

const names = (list: readonly string[]) => [...list];

const MONITOR_RULES: AgentRbacRule[] = [
  {
    reason:
      'cluster facts: provider from spec.providerID, region from topology labels; cluster-networks check',
    apiGroups: [''],
    resources: ['nodes'],
    verbs: READ,
  },
  {
    reason:
      'injection settings of every namespace (mTLS coverage) and the Linkerd namespaces (existence checks)',
    apiGroups: [''],
    resources: ['namespaces'],
    verbs: READ,
  },
  {
    reason: 'mesh coverage: pods and their proxies in every namespace; data-plane checks',
    apiGroups: [''],
    resources: ['pods'],
    verbs: READ,
  },
  {
    reason:
      'traffic mTLS and collectProxyMetrics: the linkerd-proxy admin port (:4191/metrics) through the API server; ' +
      "mesh adoption: the proxy injector's skip counters (:9995/metrics)",
    apiGroups: [''],
    resources: ['pods/proxy'],
    verbs: ['get'],
  },
  {
    reason: 'resource usage: proxy and control-plane CPU/memory from metrics-server (PodMetrics)',
    apiGroups: ['metrics.k8s.io'],
    resources: ['pods'],
    verbs: ['get', 'list'],
  },
  {
    reason:
      'linkerd-config, the trust roots, the issuer and webhook serving certificates (public parts only leave the cluster); ' +
      'the informers list them in the Linkerd namespaces, and list/watch cannot be narrowed by name',
    apiGroups: [''],
    resources: ['configmaps', 'secrets'],
    verbs: READ,
  },
  {
    reason:
      'control-plane Services and ServiceAccounts (existence checks); Service cluster IPs for the cluster-networks check',
    apiGroups: [''],
    resources: ['services', 'serviceaccounts'],
    verbs: READ,
  },
  {
    reason: 'control-plane readiness and proxy versions of workloads',
    apiGroups: ['apps'],
    resources: ['deployments', 'daemonsets'],
    verbs: READ,
  },
  {
    reason: 'Linkerd and Gateway API CRDs present and established (linkerd check)',
    apiGroups: ['apiextensions.k8s.io'],
    resources: ['customresourcedefinitions'],
    verbs: READ,
  },
  {
    reason: 'the proxy injector and validator webhooks and their caBundles (webhook certificate checks)',
    apiGroups: ['admissionregistration.k8s.io'],
    resources: ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'],
    verbs: READ,
  },
  {
    reason: 'linkerd-viz: "tap API service is running"',
    apiGroups: ['apiregistration.k8s.io'],
    resources: ['apiservices'],
    verbs: READ,
  },
  {
    reason:
      "Linkerd's ClusterRoles and bindings (selected by Linkerd's labels) for the RBAC existence checks",
    apiGroups: ['rbac.authorization.k8s.io'],
    resources: ['clusterroles', 'clusterrolebindings'],
    verbs: READ,
  },
  {
    reason:
      'mesh adoption plan: StatefulSets are workloads to mesh (replicas, pod template, update strategy)',
    apiGroups: ['apps'],
    resources: ['statefulsets'],
    verbs: READ,
  },
  {
    reason:
      'mesh adoption plan: Jobs and CronJobs (a proxy without native sidecars keeps a Job from completing)',
    apiGroups: ['batch'],
    resources: ['jobs', 'cronjobs'],
    verbs: READ,
  },
  {
    reason: 'mesh adoption plan: disruption budgets bound how many pods a restart batch may take down',
    apiGroups: ['policy'],
    resources: ['poddisruptionbudgets'],
    verbs: READ,
  },
  {
    reason:
      "GitOps source: the sync and health status of the Argo CD Application owning Linkerd (by name, from Linkerd's tracking marks; only the status leaves the cluster)",
    apiGroups: ['argoproj.io'],
    resources: ['applications'],
    verbs: ['get'],
  },
  {
    reason:
      "GitOps source: the Ready condition of the Flux HelmRelease owning Linkerd (by name, from helm-controller's labels; only the status leaves the cluster)",
    apiGroups: ['helm.toolkit.fluxcd.io'],
    resources: ['helmreleases'],
    verbs: ['get'],
  },
];

const MANAGED_RULES: AgentRbacRule[] = [
  {
    reason: 'install creates the control-plane namespace, uninstall deletes it',
    apiGroups: [''],
    resources: ['namespaces'],
    verbs: WRITE_NAMED,
    resourceNames: names(LINKERD_OBJECT_NAMES.namespaces),
  },
  {
    reason: 'linkerd-config and the trust roots (install, upgrade, anchor bundles)',
    apiGroups: [''],
    resources: ['configmaps'],
    verbs: WRITE_NAMED,
    resourceNames: names(LINKERD_OBJECT_NAMES.configMaps),
  },
  {
    reason:
      'the identity issuer (its key is generated in the cluster; issuer rotation patches it), the config overrides ' +
      'and the webhook serving certificates the agent issues',
    apiGroups: [''],
    resources: ['secrets'],
    verbs: WRITE_NAMED,
    resourceNames: names(LINKERD_OBJECT_NAMES.secrets),
  },
  {
    reason:
      'drift detection keeps the control-plane objects the agent applied (never Secrets) in the control-plane ' +
      'namespace, to compare the cluster with after an agent restart',
    apiGroups: [''],
    resources: ['configmaps'],
    verbs: WRITE_NAMED,
    resourceNames: [DESIRED_STATE_CONFIGMAP],
  },
  {
    reason: 'drift detection leaves spec.replicas of a control-plane workload an HPA scales to the HPA',
    apiGroups: ['autoscaling'],
    resources: ['horizontalpodautoscalers'],
    verbs: ['get', 'list'],
  },
  {
    reason: 'control-plane Services',
    apiGroups: [''],
    resources: ['services'],
    verbs: WRITE_NAMED,
    resourceNames: names(LINKERD_OBJECT_NAMES.services),
  },
  {
    reason: 'control-plane ServiceAccounts',
    apiGroups: [''],
    resources: ['serviceaccounts'],
    verbs: WRITE_NAMED,
    resourceNames: names(LINKERD_OBJECT_NAMES.serviceAccounts),
  },
  {
    reason:
      'data-plane restarts patch the pod-template annotation of meshed workloads in any namespace (their names are ' +
      "the cluster's own); control-plane Deployments are applied through the same rule",
    apiGroups: ['apps'],
    resources: ['deployments', 'daemonsets', 'statefulsets'],
    verbs: ['patch'],
  },
  {
    reason: 'control-plane Deployments (install, upgrade, uninstall)',
    apiGroups: ['apps'],
    resources: ['deployments'],
    verbs: WRITE_NAMED,
    resourceNames: names(LINKERD_OBJECT_NAMES.deployments),
  },
  {
    reason:
      'data-plane restarts wait for StatefulSets to roll, mesh adoption lists them in the namespaces it meshes ' +
      '(Deployments and DaemonSets are read anyway)',
    apiGroups: ['apps'],
    resources: ['statefulsets'],
    verbs: ['get', 'list'],
  },
  {
    reason:
      'mesh adoption sets or removes `linkerd.io/inject` on the namespaces it is asked to mesh (their names are ' +
      "the cluster's own, so no resourceNames; the agent refuses kube-system and Linkerd's namespaces itself)",
    apiGroups: [''],
    resources: ['namespaces'],
    verbs: ['patch'],
  },
  {
    reason:
      "mesh adoption reads the proxy injector's InjectionSkipped events to say why a batch's pods started " +
      'without a proxy',
    apiGroups: [''],
    resources: ['events'],
    verbs: ['get', 'list'],
  },
  {
    reason:
      'mesh adoption waits for disruption headroom (status.disruptionsAllowed) before restarting a workload a ' +
      'PodDisruptionBudget covers',
    apiGroups: ['policy'],
    resources: ['poddisruptionbudgets'],
    verbs: ['get', 'list'],
  },
  {
    reason: 'the Linkerd heartbeat CronJob',
    apiGroups: ['batch'],
    resources: ['cronjobs'],
    verbs: WRITE_NAMED,
    resourceNames: names(LINKERD_OBJECT_NAMES.cronJobs),
  },
  {
    reason: 'control-plane disruption budgets (HA variant)',
    apiGroups: ['policy'],
    resources: ['poddisruptionbudgets'],
    verbs: WRITE_NAMED,
    resourceNames: names(LINKERD_OBJECT_NAMES.podDisruptionBudgets),
  },
  {
    reason: 'Linkerd CRDs and the Gateway API CRDs (install --crds, upgrades, uninstall)',
    apiGroups: ['apiextensions.k8s.io'],
    resources: ['customresourcedefinitions'],
    verbs: WRITE_NAMED,
    resourceNames: names(LINKERD_OBJECT_NAMES.crds),
  },
  {
    reason:
      'the proxy injector webhook (applied with the caBundle of the serving certificate the agent issues)',
    apiGroups: ['admissionregistration.k8s.io'],
    resources: ['mutatingwebhookconfigurations'],
    verbs: WRITE_NAMED,
    resourceNames: names(LINKERD_OBJECT_NAMES.mutatingWebhooks),
  },
  {
    reason: 'the service-profile and policy validator webhooks',
    apiGroups: ['admissionregistration.k8s.io'],
    resources: ['validatingwebhookconfigurations'],
    verbs: WRITE_NAMED,
    resourceNames: names(LINKERD_OBJECT_NAMES.validatingWebhooks),
  },
  {
    reason: "linkerd-viz's tap APIService caBundle, when an imported render carries it",
    apiGroups: ['apiregistration.k8s.io'],
    resources: ['apiservices'],
    verbs: WRITE_NAMED,
    resourceNames: names(LINKERD_OBJECT_NAMES.apiServices),
  },
  {
    reason:
      "Linkerd's ClusterRoles: `escalate` lets the agent create exactly these without holding their permissions " +
      '(tokenreviews, endpointslices, ...) itself',
    apiGroups: ['rbac.authorization.k8s.io'],
    resources: ['clusterroles'],
    verbs: [...WRITE_NAMED, 'escalate', 'bind'],
    resourceNames: names(LINKERD_OBJECT_NAMES.clusterRoles),
  },
  {
    reason: "Linkerd's ClusterRoleBindings (allowed by `bind` on the ClusterRoles above)",
    apiGroups: ['rbac.authorization.k8s.io'],
    resources: ['clusterrolebindings'],
    verbs: WRITE_NAMED,
    resourceNames: names(LINKERD_OBJECT_NAMES.clusterRoleBindings),
  },
  {
    reason:
      "Linkerd's Roles in the control-plane namespace (heartbeat, remote discovery): `escalate` and `bind` as for " +
      'the ClusterRoles; a ClusterRole grants on these names in every namespace, and only Linkerd uses them',
    apiGroups: ['rbac.authorization.k8s.io'],
    resources: ['roles'],
    verbs: [...WRITE_NAMED, 'escalate', 'bind'],
    resourceNames: names(LINKERD_OBJECT_NAMES.roles),
  },
  {
    reason: "Linkerd's RoleBindings",
    apiGroups: ['rbac.authorization.k8s.io'],
    resources: ['rolebindings'],
    verbs: WRITE_NAMED,
    resourceNames: names(LINKERD_OBJECT_NAMES.roleBindings),
  },
  {
    reason: 'extensions (viz, multicluster): their namespaces, created on install and deleted on uninstall',
    apiGroups: [''],
    resources: ['namespaces'],
    verbs: WRITE_NAMED,
    resourceNames: names(EXTENSION_OBJECT_NAMES.namespaces),
  },
  {
    reason:
      "extensions' ConfigMaps, Secrets (tap and tap-injector serving certificates the agent issues), Services and ServiceAccounts",
    apiGroups: [''],
    resources: ['configmaps', 'secrets', 'services', 'serviceaccounts'],
    verbs: WRITE_NAMED,
    resourceNames: [
      ...EXTENSION_OBJECT_NAMES.configMaps,
      ...EXTENSION_OBJECT_NAMES.secrets,
      ...EXTENSION_OBJECT_NAMES.services,
      ...EXTENSION_OBJECT_NAMES.serviceAccounts,
    ],
  },
  {
    reason: "extensions' Deployments",
    apiGroups: ['apps'],
    resources: ['deployments'],
    verbs: WRITE_NAMED,
    resourceNames: names(EXTENSION_OBJECT_NAMES.deployments),
  },
  {
    reason: "the tap injector's webhook",
    apiGroups: ['admissionregistration.k8s.io'],
    resources: ['mutatingwebhookconfigurations'],
    verbs: WRITE_NAMED,
    resourceNames: names(EXTENSION_OBJECT_NAMES.mutatingWebhooks),
  },
  {
    reason: "multicluster's Link CRD",
    apiGroups: ['apiextensions.k8s.io'],
    resources: ['customresourcedefinitions'],
    verbs: WRITE_NAMED,
    resourceNames: names(EXTENSION_OBJECT_NAMES.crds),
  },
  {
    reason: "extensions' ClusterRoles and Roles (`escalate` and `bind` as for Linkerd's)",
    apiGroups: ['rbac.authorization.k8s.io'],
    resources: ['clusterroles', 'roles'],
    verbs: [...WRITE_NAMED, 'escalate', 'bind'],
    resourceNames: [...EXTENSION_OBJECT_NAMES.clusterRoles, ...EXTENSION_OBJECT_NAMES.roles],
  },
  {
    reason:
      "viz's tap binds the API server's own roles (auth delegation, the front proxy's CA): `bind` only, they are never written",
    apiGroups: ['rbac.authorization.k8s.io'],
    resources: ['clusterroles', 'roles'],
    verbs: ['bind'],
    resourceNames: names(EXTENSION_OBJECT_NAMES.boundRoles),
  },
  {
    reason: "extensions' ClusterRoleBindings and RoleBindings",
    apiGroups: ['rbac.authorization.k8s.io'],
    resources: ['clusterrolebindings', 'rolebindings'],
    verbs: WRITE_NAMED,
    resourceNames: [...EXTENSION_OBJECT_NAMES.clusterRoleBindings, ...EXTENSION_OBJECT_NAMES.roleBindings],
  },
  {
    reason: "extensions' policy objects (Servers, AuthorizationPolicies and their authentications)",
    apiGroups: ['policy.linkerd.io'],
    resources: [
      'servers',
      'authorizationpolicies',
      'meshtlsauthentications',
      'networkauthentications',
      'httproutes',
    ],
    verbs: WRITE_NAMED,
    resourceNames: names(EXTENSION_OBJECT_NAMES.policies),
  },
  {
    reason:
      'extension uninstall and prune find their objects by `linkerd.io/extension` in every namespace and delete them, ' +
      'as `linkerd viz uninstall` does (the allow-scrapes Server/AuthorizationPolicy objects in application ' +
      'namespaces have names Meshfleet does not know); multicluster uninstall lists Links first',
    apiGroups: [
      'policy.linkerd.io',
      'linkerd.io',
      'rbac.authorization.k8s.io',
      'apiregistration.k8s.io',
      'multicluster.linkerd.io',
    ],
    resources: [
      'servers',
      'authorizationpolicies',
      'httproutes',
      'meshtlsauthentications',
      'networkauthentications',
      'serviceprofiles',
      'roles',
      'rolebindings',
      'apiservices',
      'links',
    ],
    verbs: ['list'],
  },
  {
    reason: 'uninstall of an extension deletes the allow-scrapes policies it left in application namespaces',
    apiGroups: ['policy.linkerd.io'],
    resources: ['servers', 'authorizationpolicies', 'httproutes'],
    verbs: ['delete'],
  },
];

/** The agent's ClusterRole rules in a mode: MANAGED is MONITOR plus the name-scoped writes. */
export function agentRbacRules(mode: AgentMode): AgentRbacRule[] {
  return mode === 'MANAGED' ? [...MONITOR_RULES, ...MANAGED_RULES] : [...MONITOR_RULES];
}

/** The agent's Role in its own namespace (both modes). */
export function agentNamespaceRules(agentSecret: string): AgentRbacRule[] {
  return [
    {
      reason: 'its own Secret only: it saves the credential it receives at enrollment',
      apiGroups: [''],
      resources: ['secrets'],
      resourceNames: [agentSecret],
      verbs: ['get', 'update', 'patch'],
    },
  ];
}

/** Rules as Kubernetes takes them (the reasons stay in this file and the README). */
export function kubernetesRules(rules: readonly AgentRbacRule[]): Record<string, string[]>[] {
  return rules.map(({ apiGroups, resources, verbs, resourceNames }) => ({
    apiGroups,
    resources,
    verbs,
    ...(resourceNames ? { resourceNames } : {}),
  }));
}

export interface RbacRequest {
  apiGroup: string;
  resource: string;
  verb: string;
  /** The object's name; absent for list/watch/collection requests. */
  name?: string;
}

/** Whether the rules allow a request, as Kubernetes' RBAC authorizer decides it. */
export function rulesAllow(rules: readonly AgentRbacRule[], req: RbacRequest): boolean {
  return rules.some(
    (r) =>
      (r.apiGroups.includes(req.apiGroup) || r.apiGroups.includes('*')) &&
      (r.resources.includes(req.resource) || r.resources.includes('*')) &&
      (r.verbs.includes(req.verb) || r.verbs.includes('*')) &&
      (!r.resourceNames?.length || (req.name !== undefined && r.resourceNames.includes(req.name))),
  );
}
