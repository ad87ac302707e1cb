import { applyDecorators } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse } from '@nestjs/swagger';
import {
  ApiAuthenticatedRouteErrors,
  ApiJsonBody,
  ApiJsonResponse,
  ApiPageListOperation,
} from '../openapi/api-description.js';
import {
  nodeBodySchema,
  nodeJsonSchema,
  nodeListSchema,
  registeredNodeSchema,
} from './node-api-schemas.js';

// The OpenAPI description of NodeController's operations (openapi/api-description.ts).

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

export const ApiListNodes = () =>
  ApiPageListOperation({
    summary: 'List nodes',
    description:
      "The caller's nodes, newest registration first, in keyset pages like the other lists. Read from the read models: a change shows once the projector has applied it.",
    page: { description: 'One page of nodes', schema: nodeListSchema, example: [exampleNode] },
  });

export const ApiRegisterNode = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Register a node',
      description:
        "Registers a node of the caller's account under `hash` and returns its NATS credentials, once: only their public key is stored. The node id is derived from the account and the hash.",
    }),
    ApiHashParam(),
    ApiJsonBody({
      description: 'Optional; an empty body is `{}`',
      schema: nodeBodySchema,
      required: false,
    }),
    ApiJsonResponse(201, {
      description: 'The node is registered; keep `credentials`, they are not shown again',
      schema: registeredNodeSchema,
      example: {
        hash: 'rack-7',
        nodeId: '3f0c9a51d2b7e84a6c1d0e92',
        description: 'GPU box',
        credentials: '-----BEGIN NATS USER JWT-----\n…',
      },
    }),
    ApiAuthenticatedRouteErrors({
      400: HASH_INVALID,
      409: {
        description: 'the account has a node with this hash already',
        codes: ['NODE_ALREADY_REGISTERED'],
      },
      503: {
        description:
          'this gateway cannot issue node credentials (no NATS authority configured), or the event store is unavailable',
        codes: ['NODE_REGISTRATION_UNAVAILABLE', 'UNAVAILABLE'],
      },
    }),
  );

export const ApiDisableNode = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Disable a node',
      description:
        'The node gets no new work, its running tasks are unassigned (`NODE_DISABLED`) and matched elsewhere, its reports are refused and its NATS credentials revoked. Disabling a disabled node is a 204 again.',
    }),
    ApiHashParam(),
    ApiResponse({ status: 204, description: 'The node is disabled' }),
    ApiAuthenticatedRouteErrors({ 400: HASH_INVALID, 404: NODE_NOT_FOUND }),
  );

export const ApiRestoreNode = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Restore a node',
      description:
        'Enables a disabled node (its credentials work again; it gets work once it announces itself again) and changes its description when the body has one. Answers the node as the list shows it, read from its stream.',
    }),
    ApiHashParam(),
    ApiJsonBody({
      description: 'Optional: a new description',
      schema: nodeBodySchema,
      required: false,
    }),
    ApiJsonResponse(200, {
      description: 'The node, enabled',
      schema: nodeJsonSchema,
      example: { ...exampleNode, available: false },
    }),
    ApiAuthenticatedRouteErrors({ 400: HASH_INVALID, 404: NODE_NOT_FOUND }),
  );
