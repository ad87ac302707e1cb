import {
  applyDecorators,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiParam, ApiResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../auth/access-tokens.js';
import { CurrentCaller } from '../auth/authentication.js';
import { answerPage, parsePageParameters } from '../http/page-parameters.js';
import type { QueryRecord } from '../http/query-parameters.js';
import {
  AUTHENTICATED_ROUTE_ERRORS,
  ApiErrorResponses,
  ApiJsonResponse,
  ApiPageParameters,
  nextPageLinkHeader,
} from '../openapi/api-description.js';
import { openApiSchema } from '../openapi/json-schema.js';
import {
  nodeBodySchema,
  nodeJsonSchema,
  nodeListSchema,
  registeredNodeSchema,
} from './node-api-schemas.js';
import { nodeBody, nodeHashParameter } from './node-parameters.js';
import { NodeRegistrations } from './node-registrations.js';
import type { NodeJson, RegisteredNodeJson } from './node-registrations.js';

const exampleNode = {
  hash: 'rack-7',
  nodeId: '3f0c9a51d2b7e84a6c1d0e92',
  description: 'GPU box',
  available: true,
  disabled: false,
  capabilities: { cpuCount: 8, memSize: 16384, networkLatency: 3, privileged: false },
  slots: 4,
  runningTasks: 1,
  lastSeenAt: '1764504000',
  registeredAt: '1764500000',
};

const HASH_INVALID = {
  description:
    'the hash is not 1 to 64 of `A-Z a-z 0-9 _ -`, or the body is not a JSON object with at most a `description` of up to 500 characters',
  example: {
    error: 'INVALID_REQUEST',
    message: 'hash must be 1 to 64 characters of A-Z, a-z, 0-9, "_" or "-"',
    field: 'hash',
  },
};
const NODE_NOT_FOUND = {
  description: "no node with this hash in the caller's account",
  codes: ['NODE_NOT_FOUND'],
};

/** The `:hash` path parameter. */
const ApiHashParam = () =>
  ApiParam({
    name: 'hash',
    required: true,
    description: "The account's name for the node: 1 to 64 of `A-Z a-z 0-9 _ -`",
    schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', example: 'rack-7' },
  });

/** The optional `{ "description" }` body of POST and PATCH. */
const ApiNodeBody = (description: string) =>
  applyDecorators(
    ApiConsumes('application/json'),
    ApiBody({ required: false, description, schema: openApiSchema(nodeBodySchema, 'input') }),
  );

@Controller('v1/node')
export class NodeController {
  constructor(@Inject(NodeRegistrations) private readonly nodes: NodeRegistrations) {}

  /** The account's nodes, newest registration first, paged like the function list. */
  @Get('list')
  @ApiOperation({
    summary: 'List nodes',
    description:
      "The caller's nodes, newest registration first, in keyset pages like the other lists. Read from the read models: a change shows once the projector has applied it.",
  })
  @ApiPageParameters()
  @ApiJsonResponse(200, {
    description: 'One page of nodes',
    schema: nodeListSchema,
    headers: nextPageLinkHeader,
    example: [exampleNode],
  })
  @ApiErrorResponses({
    400: {
      description: 'limit is not 1 to 500, or cursor was not given out by this API',
      example: {
        error: 'INVALID_REQUEST',
        message: 'cursor is not a cursor this API gave out',
        field: 'cursor',
      },
    },
    ...AUTHENTICATED_ROUTE_ERRORS,
  })
  async list(
    @CurrentCaller() caller: Caller,
    @Query() query: QueryRecord,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<NodeJson[]> {
    return answerPage(
      request,
      reply,
      await this.nodes.list(caller.accountId, parsePageParameters(query)),
    );
  }

  /** 201 with the node's credentials, shown this once. */
  @Post(':hash')
  @ApiOperation({
    summary: 'Register a node',
    description:
      "Registers a node of the caller's account under `hash` and returns its NATS credentials, once: only their public key is stored. The node id is derived from the account and the hash.",
  })
  @ApiHashParam()
  @ApiNodeBody('Optional; an empty body is `{}`')
  @ApiJsonResponse(201, {
    description: 'The node is registered; keep `credentials`, they are not shown again',
    schema: registeredNodeSchema,
    example: {
      hash: 'rack-7',
      nodeId: '3f0c9a51d2b7e84a6c1d0e92',
      description: 'GPU box',
      credentials: '-----BEGIN NATS USER JWT-----\n…',
    },
  })
  @ApiErrorResponses({
    400: HASH_INVALID,
    ...AUTHENTICATED_ROUTE_ERRORS,
    409: {
      description: 'the account has a node with this hash already',
      codes: ['NODE_ALREADY_REGISTERED'],
    },
    503: {
      description:
        'this gateway cannot issue node credentials (no NATS authority configured), or the event store is unavailable',
      codes: ['NODE_REGISTRATION_UNAVAILABLE', 'UNAVAILABLE'],
    },
  })
  async register(
    @CurrentCaller() caller: Caller,
    @Param('hash') hash: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RegisteredNodeJson> {
    const validHash = nodeHashParameter(hash);
    const { description = '' } = nodeBody(body);
    // The credentials must not linger in any cache.
    void reply.header('cache-control', 'no-store');
    return this.nodes.register(caller.accountId, validHash, description);
  }

  /** Disables the node: no new work, its tasks go elsewhere, its credentials stop working. */
  @Delete(':hash')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Disable a node',
    description:
      'The node gets no new work, its running tasks are unassigned (`NODE_DISABLED`) and matched elsewhere, its reports are refused and its NATS credentials revoked. Disabling a disabled node is a 204 again.',
  })
  @ApiHashParam()
  @ApiResponse({ status: 204, description: 'The node is disabled' })
  @ApiErrorResponses({ 400: HASH_INVALID, ...AUTHENTICATED_ROUTE_ERRORS, 404: NODE_NOT_FOUND })
  async disable(@CurrentCaller() caller: Caller, @Param('hash') hash: string): Promise<void> {
    await this.nodes.disable(caller.accountId, nodeHashParameter(hash));
  }

  /** Restores a disabled node, and changes its description when the body has one. */
  @Patch(':hash')
  @ApiOperation({
    summary: 'Restore a node',
    description:
      'Enables a disabled node (its credentials work again; it gets work once it announces itself again) and changes its description when the body has one. Answers the node as the list shows it, read from its stream.',
  })
  @ApiHashParam()
  @ApiNodeBody('Optional: a new description')
  @ApiJsonResponse(200, {
    description: 'The node, enabled',
    schema: nodeJsonSchema,
    example: { ...exampleNode, available: false },
  })
  @ApiErrorResponses({ 400: HASH_INVALID, ...AUTHENTICATED_ROUTE_ERRORS, 404: NODE_NOT_FOUND })
  async restore(
    @CurrentCaller() caller: Caller,
    @Param('hash') hash: string,
    @Body() body: unknown,
  ): Promise<NodeJson> {
    const validHash = nodeHashParameter(hash);
    const { description } = nodeBody(body);
    return this.nodes.restore(caller.accountId, validHash, description);
  }
}
