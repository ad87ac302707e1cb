import { z } from 'zod';

/**
 * The admin listener's variables, for a service's config schema: `ADMIN_PORT` (unset: no admin
 * listener; 0: a free port) and `ADMIN_HOST` (default 127.0.0.1; 0.0.0.0 in a container, for probes
 * and Prometheus).
 */
export const adminConfigShape = {
  ADMIN_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
};
