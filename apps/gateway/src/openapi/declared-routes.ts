import { RequestMethod } from '@nestjs/common';
import type { INestApplication, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import type { z } from 'zod';
import { LimitedPerAddress, Public } from '../auth/authentication.js';
import type { AddressLimit } from '../http/rate-limits.js';
import { JsonBodyPipe } from '../http/request-body.js';

// The routes the application's controllers declare, read from the same decorator metadata Nest's
// router registers them from. The OpenAPI document is checked against this list, so a route nobody
// described cannot go unnoticed.

export interface DeclaredRoute {
  /** Lower-case HTTP method, as OpenAPI spells it. */
  readonly method: string;
  /** The path in OpenAPI's template form, e.g. `/v1/task/{id}/result`. */
  readonly path: string;
  /** `TaskController.result`. */
  readonly handler: string;
  /** Marked @Public(): no access token needed. */
  readonly isPublic: boolean;
  /** Marked @LimitedPerAddress(): counted against the client address's allowance. */
  readonly addressLimit?: AddressLimit;
  /** The JSON body the handler parses (@JsonBody), if it takes one. */
  readonly jsonBody?: { readonly schema: z.ZodType; readonly optional: boolean };
}

const PUBLIC_ROUTE_KEY = Public().KEY;
const ADDRESS_LIMIT_KEY = LimitedPerAddress('keyExchanges').KEY;

export function declaredRoutes(app: INestApplication): DeclaredRoute[] {
  const routes: DeclaredRoute[] = [];
  const scanner = new MetadataScanner();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type | null;
      if (controller === null) continue;
      const prefixes = pathsOf(Reflect.getMetadata(PATH_METADATA, controller));
      const classIsPublic = Reflect.getMetadata(PUBLIC_ROUTE_KEY, controller) === true;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as object;
        const requestMethod = Reflect.getMetadata(METHOD_METADATA, handler) as
          RequestMethod | undefined;
        if (requestMethod === undefined) continue;
        const isPublic = classIsPublic || Reflect.getMetadata(PUBLIC_ROUTE_KEY, handler) === true;
        const jsonBody = jsonBodyOf(controller, name);
        const addressLimit = Reflect.getMetadata(ADDRESS_LIMIT_KEY, handler) as
          AddressLimit | undefined;
        for (const prefix of prefixes) {
          for (const path of pathsOf(Reflect.getMetadata(PATH_METADATA, handler))) {
            routes.push({
              method: RequestMethod[requestMethod].toLowerCase(),
              path: openApiPath(prefix, path),
              handler: `${controller.name}.${name}`,
              isPublic,
              ...(addressLimit === undefined ? {} : { addressLimit }),
              ...(jsonBody === undefined ? {} : { jsonBody }),
            });
          }
        }
      }
    }
  }
  return routes;
}

function jsonBodyOf(controller: Type, method: string): DeclaredRoute['jsonBody'] {
  const parameters = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<
    string,
    { readonly pipes?: readonly unknown[] }
  >;
  const pipe = Object.values(parameters)
    .flatMap((parameter) => parameter.pipes ?? [])
    .find((candidate) => candidate instanceof JsonBodyPipe);
  return pipe === undefined
    ? undefined
    : { schema: pipe.schema, optional: pipe.options.optional === true };
}

function pathsOf(metadata: unknown): string[] {
  if (Array.isArray(metadata)) return metadata.map(String);
  return [typeof metadata === 'string' ? metadata : ''];
}

/** `v1/task` + `:id/result` → `/v1/task/{id}/result`. */
function openApiPath(prefix: string, path: string): string {
  const joined = [prefix, path]
    .flatMap((part) => part.split('/'))
    .filter((segment) => segment !== '')
    .map((segment) => segment.replace(/^:(\w+)\??$/, '{$1}'))
    .join('/');
  return `/${joined}`;
}
