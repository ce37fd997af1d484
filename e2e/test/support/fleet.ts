// The journey's fleet: a kube-sim scenario of four clusters, and what the test expects of each.
export const FROM = 'enterprise-2.19.1';
export const TO = 'enterprise-2.20.0';

// Two clusters already run Linkerd 2.19 (sharing a trust anchor); two have no mesh yet. EKS has a
// namespace nobody asked to mesh. Regions are not registered: they must come from the nodes.
export const SCENARIO = `
defaults:
  podReadyDelayMs: 50
x-shop: &shop
  - name: shop
    inject: enabled
    workloads:
      - { name: web, replicas: 2, port: 8080 }
      - { name: api, replicas: 1, port: 8080 }
x-traffic: &traffic
  - { from: shop/web, to: shop/api, rps: 2 }
clusters:
  - name: aks-prod-westeurope
    provider: aks
    region: westeurope
    kubernetesVersion: 1.31.3
    nodes: 2
    linkerd: { version: ${FROM}, trustGroup: prod, issuerValidityDays: 365 }
    namespaces: *shop
    traffic: *traffic
  - name: eks-prod-us-east-1
    provider: eks
    region: us-east-1
    kubernetesVersion: 1.31.4
    nodes: 3
    linkerd: { version: ${FROM}, trustGroup: prod, issuerValidityDays: 365 }
    namespaces:
      - name: shop
        inject: enabled
        workloads:
          - { name: web, replicas: 2, port: 8080 }
          - { name: api, replicas: 1, port: 8080 }
      - name: legacy
        workloads:
          - { name: billing, replicas: 2, port: 80 }
          - { name: ledger, replicas: 1, port: 5432 }
    traffic: *traffic
  - name: gke-staging-europe-west1
    provider: gke
    region: europe-west1
    kubernetesVersion: 1.31.5
    nodes: 2
    namespaces: *shop
    traffic: *traffic
  - name: onprem-dc1
    provider: onprem
    region: dc1
    kubernetesVersion: 1.31.2
    nodes: 1
    namespaces: *shop
    traffic: *traffic
`;

/** What registration says (provider, labels) and what the agents must find (region, version, nodes). */
export const FLEET = [
  {
    name: 'aks-prod-westeurope',
    provider: 'AKS',
    region: 'westeurope',
    k8s: 'v1.31.3',
    nodes: 2,
    env: 'prod',
  },
  { name: 'eks-prod-us-east-1', provider: 'EKS', region: 'us-east-1', k8s: 'v1.31.4', nodes: 3, env: 'prod' },
  {
    name: 'gke-staging-europe-west1',
    provider: 'GKE',
    region: 'europe-west1',
    k8s: 'v1.31.5',
    nodes: 2,
    env: 'staging',
  },
  { name: 'onprem-dc1', provider: 'ONPREM', region: 'dc1', k8s: 'v1.31.2', nodes: 1, env: 'dev' },
] as const;
