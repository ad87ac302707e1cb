import { decodeKeysetCursor } from '@canopy/read-models';
import type { KeysetKey } from '@canopy/read-models';
import { UseInterceptors, createParamDecorator } from '@nestjs/common';
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map } from 'rxjs';
import type { Observable } from 'rxjs';
import { invalidParameter } from './api-error.js';
import type { QueryRecord } from './query-parameters.js';
import { integerParameter, singleParameter } from './query-parameters.js';

// Lists are pages, newest first: `limit` rows (1..500, default 50) after `cursor`, the opaque value
// of the previous page's `Link: <...>; rel="next"` header. The last page has no such link.

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export interface PageParameters {
  readonly limit: number;
  readonly after: KeysetKey | null;
}

export function parsePageParameters(query: QueryRecord): PageParameters {
  const limit = singleParameter(query, 'limit');
  const cursor = singleParameter(query, 'cursor');
  const after = cursor === undefined ? null : decodeKeysetCursor(cursor);
  if (cursor !== undefined && after === null) {
    throw invalidParameter('cursor', 'is not a cursor this API gave out');
  }
  return {
    limit:
      limit === undefined ? DEFAULT_PAGE_SIZE : integerParameter('limit', limit, 1, MAX_PAGE_SIZE),
    after,
  };
}

/**
 * The Link header value for the next page: the request's own path and query with `cursor` replaced,
 * so the next page keeps the same filters and page size.
 */
export function nextPageLink(requestUrl: string, nextCursor: string): string {
  const url = new URL(requestUrl, 'http://gateway.invalid');
  url.searchParams.set('cursor', nextCursor);
  return `<${url.pathname}${url.search}>; rel="next"`;
}

/** One page of a list, as the list services return it. */
export interface Page<Entry> {
  readonly entries: Entry[];
  readonly nextCursor: string | null;
}

/** The request's `limit` and `cursor`, parsed (a 400 naming the one at fault). */
export const PageQuery = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  parsePageParameters(context.switchToHttp().getRequest<FastifyRequest>().query as QueryRecord),
);

/**
 * The handler returns a Page: the response is its entries, with the `Link` header to the next page
 * when there is one.
 */
export const Paged = () => UseInterceptors(new PageInterceptor());

class PageInterceptor implements NestInterceptor<Page<unknown>, unknown[]> {
  intercept(context: ExecutionContext, next: CallHandler<Page<unknown>>): Observable<unknown[]> {
    const http = context.switchToHttp();
    return next.handle().pipe(
      map((page) => {
        if (page.nextCursor !== null) {
          const link = nextPageLink(http.getRequest<FastifyRequest>().url, page.nextCursor);
          void http.getResponse<FastifyReply>().header('link', link);
        }
        return page.entries;
      }),
    );
  }
}
