import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { IssuerCsrRequestSchema, IssuerCsrResponse, ReleaseBundlesResponse } from '@meshfleet/agent-protocol';
import { AgentOnly, AgentPrincipal, CurrentAgent } from '@meshfleet/auth';
import { parseBody } from '@meshfleet/agent-gateway';
import { ValidationError } from '@meshfleet/core';
import { AgentLifecycleService } from './agent-lifecycle.service';

/** Agent gateway endpoints for lifecycle tasks: release bundles and issuer CSR signing. */
@Controller('agent/v1')
export class AgentLifecycleController {
  constructor(private readonly lifecycle: AgentLifecycleService) {}

  @Get('releases/:version/:variant')
  @AgentOnly()
  release(
    @CurrentAgent() agent: AgentPrincipal,
    @Param('version') version: string,
    @Param('variant') variant: string,
  ): Promise<ReleaseBundlesResponse> {
    if (variant !== 'default' && variant !== 'ha')
      throw new ValidationError('variant must be default or ha', 'variant');
    return this.lifecycle.bundles(agent, version, variant);
  }

  @Post('tasks/:id/issuer-csr')
  @AgentOnly()
  @HttpCode(200)
  signCsr(
    @CurrentAgent() agent: AgentPrincipal,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<IssuerCsrResponse> {
    return this.lifecycle.signIssuer(agent, id, parseBody(IssuerCsrRequestSchema, body).csrPem);
  }
}
