// One simulated cluster: its store, API semantics, controllers and faults. The HTTP server
// routes requests here; tests and the scenario loader drive it directly.
import { KubeError } from '../api/kube-error';
import { ObjectService } from '../api/object-service';
import { ResourceRegistry } from '../api/registry';
import { ResourceType } from '../api/resource-types';
import { ApiFaults } from '../faults/api-faults';
import { ObjectStore } from '../store/object-store';
import { KubeObject } from '../store/types';
import { versionInfo, VersionInfo } from '../server/discovery';
import { WatchRegistry } from '../server/watch';
import { ControllerManager } from '../controllers/controller-manager';
import { WorkloadFaults } from '../faults/workload-faults';
import { EventRecorder } from './events';

export type Provider = 'aks' | 'eks' | 'gke' | 'onprem';

export interface ClusterSettings {
  name: string;
  provider: Provider;
  region: string;
  kubernetesVersion: string;
  token: string;
  /** How long a scheduled pod takes to become Ready. */
  podReadyDelayMs: number;
  bookmarkIntervalMs: number;
  /** Events a watch can resume from. */
  watchWindow: number;
  /** PEM published as kube-root-ca.crt in every namespace (the serving CA). */
  rootCaPem?: string;
}

export interface ProxyResponse {
  code: number;
  contentType: string;
  body: string;
}

export class SimCluster {
  readonly store: ObjectStore;
  readonly registry = new ResourceRegistry();
  readonly objects: ObjectService;
  readonly watches = new WatchRegistry();
  readonly faults = new ApiFaults();
  readonly workloadFaults = new WorkloadFaults();
  readonly versionInfo: VersionInfo;
  readonly controllers: ControllerManager;
  readonly events: EventRecorder;
  /** Set by the Linkerd model; answers the pod proxy subresource. */
  proxyHandler: (pod: KubeObject, port: string, path: string) => ProxyResponse = () => ({
    code: 503,
    contentType: 'application/json',
    body: '',
  });

  /** Set by the Linkerd model: what metrics-server answers once its APIService is registered. */
  metrics?: {
    read(
      type: ResourceType,
      namespace: string | undefined,
      name: string | undefined,
      q: URLSearchParams,
    ): unknown;
    assertAvailable(): void;
  };

  constructor(readonly settings: ClusterSettings) {
    this.store = new ObjectStore(settings.watchWindow);
    this.objects = new ObjectService(this.store, this.registry);
    this.versionInfo = versionInfo(settings.kubernetesVersion, settings.provider);
    this.events = new EventRecorder(this);
    this.controllers = new ControllerManager(this);
  }

  get name(): string {
    return this.settings.name;
  }

  type(group: string, plural: string): ResourceType {
    const t = this.registry.all().find((x) => x.group === group && x.plural === plural);
    if (!t)
      throw new KubeError('NotFound', `the server could not find the requested resource ${group}/${plural}`);
    return t;
  }

  /** Creates or replaces an object as a cluster-internal actor (scenario loading, installs). */
  ensure(obj: KubeObject): KubeObject {
    const type = this.objects.type(obj.apiVersion, obj.kind);
    const live = this.objects.find(type, obj.metadata.namespace, obj.metadata.name ?? '');
    if (!live) return this.objects.create(type, obj.metadata.namespace, obj, { fieldManager: 'kube-sim' });
    return this.objects.update(
      type,
      obj.metadata.namespace,
      obj.metadata.name ?? '',
      { ...obj, metadata: { ...obj.metadata, resourceVersion: live.metadata.resourceVersion } },
      { fieldManager: 'kube-sim' },
    );
  }

  /**
   * A GitOps controller's write (e.g. argocd-controller syncing with server-side apply): the
   * object is applied with force under that manager, so managedFields name it as a real API
   * server would. `Update` mimics a client-side-apply sync instead.
   */
  applyAs(manager: string, obj: KubeObject, operation: 'Apply' | 'Update' = 'Apply'): KubeObject {
    const type = this.objects.type(obj.apiVersion, obj.kind);
    const ns = obj.metadata?.namespace;
    const name = obj.metadata?.name ?? '';
    if (operation === 'Apply')
      return this.objects.patch(type, ns, name, 'apply', obj, { fieldManager: manager, force: true });
    if (!this.objects.find(type, ns, name))
      return this.objects.create(type, ns, obj, { fieldManager: manager });
    return this.objects.patch(type, ns, name, 'merge', obj, { fieldManager: manager });
  }

  podLog(
    namespace: string,
    name: string,
    container: string | undefined,
    tailLines: number | undefined,
  ): string {
    const pod = this.objects.get(this.type('', 'pods'), namespace, name);
    return this.controllers.kubelet.logs(pod, container, tailLines);
  }

  podProxy(namespace: string, name: string, port: string, path: string): ProxyResponse {
    const pod = this.objects.get(this.type('', 'pods'), namespace, name);
    return this.proxyHandler(pod, port, path);
  }

  start(): void {
    this.controllers.start();
  }

  stop(): void {
    this.controllers.stop();
    this.watches.closeAll(false);
  }
}
