import { Injectable, OnModuleInit } from '@nestjs/common';
import { AgentRouter } from '@meshfleet/agent-gateway';
import { AgentLifecycleService } from './agent-lifecycle.service';

/** The /agent/v1 routes of lifecycle tasks: release bundles and issuer CSR signing. */
@Injectable()
export class AgentLifecycleRoutes implements OnModuleInit {
  constructor(
    private readonly router: AgentRouter,
    private readonly lifecycle: AgentLifecycleService,
  ) {}

  onModuleInit(): void {
    this.router.serve('releaseBundles', ({ agent, params }) =>
      this.lifecycle.bundles(agent, params.version, params.variant),
    );
    this.router.serve('extensionBundle', ({ agent, params }) =>
      this.lifecycle.extensionBundle(agent, params.version, params.extension),
    );
    this.router.serve('issuerCsr', ({ agent, params, body }) =>
      this.lifecycle.signIssuer(agent, params.id, body.csrPem),
    );
  }
}
