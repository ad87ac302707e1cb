import { Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Caller } from '../auth/access-tokens.js';
import { CurrentCaller } from '../auth/authentication.js';
import { PageQuery, Paged } from '../http/page-parameters.js';
import type { Page, PageParameters } from '../http/page-parameters.js';
import { JsonBody } from '../http/request-body.js';
import { nodeBodySchema } from './node-api-schemas.js';
import type { NodeBody } from './node-api-schemas.js';
import { nodeHash } from './node-parameters.js';
import { NodeRegistrations } from './node-registrations.js';
import type { NodeJson, RegisteredNodeJson } from './node-registrations.js';
import { ApiDisableNode, ApiListNodes, ApiRegisterNode, ApiRestoreNode } from './node.openapi.js';

@Controller('v1/node')
export class NodeController {
  constructor(@Inject(NodeRegistrations) private readonly nodes: NodeRegistrations) {}

  /** The account's nodes, newest registration first, paged like the function list. */
  @Get('list')
  @Paged()
  @ApiListNodes()
  list(
    @CurrentCaller() caller: Caller,
    @PageQuery() page: PageParameters,
  ): Promise<Page<NodeJson>> {
    return this.nodes.list(caller.accountId, page);
  }

  /** 201 with the node's credentials, shown this once. */
  @Post(':hash')
  @ApiRegisterNode()
  register(
    @CurrentCaller() caller: Caller,
    @Param('hash', nodeHash) hash: string,
    @JsonBody(nodeBodySchema, { optional: true }) body: NodeBody,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RegisteredNodeJson> {
    // The credentials must not linger in any cache.
    void reply.header('cache-control', 'no-store');
    return this.nodes.register(caller.accountId, hash, body.description ?? '');
  }

  /** Disables the node: no new work, its tasks go elsewhere, its credentials stop working. */
  @Delete(':hash')
  @HttpCode(204)
  @ApiDisableNode()
  async disable(
    @CurrentCaller() caller: Caller,
    @Param('hash', nodeHash) hash: string,
  ): Promise<void> {
    await this.nodes.disable(caller.accountId, hash);
  }

  /** Restores a disabled node, and changes its description when the body has one. */
  @Patch(':hash')
  @ApiRestoreNode()
  restore(
    @CurrentCaller() caller: Caller,
    @Param('hash', nodeHash) hash: string,
    @JsonBody(nodeBodySchema, { optional: true }) body: NodeBody,
  ): Promise<NodeJson> {
    return this.nodes.restore(caller.accountId, hash, body.description);
  }
}
