import { z } from 'zod';

/** Span exporters a service can be given in OTEL_TRACES_EXPORTER (besides `none`). */
export const traceExporters = ['otlp', 'console'] as const;
export type TraceExporterName = (typeof traceExporters)[number];

/** OTLP transports the services speak: protobuf or JSON over HTTP (no gRPC). */
export const otlpProtocols = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof otlpProtocols)[number];

const exporterList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name !== ''),
  )
  .refine(
    (names) => names.every((name) => name === 'none' || traceExporters.includes(name as never)),
    `must be "none" or a comma-separated list of ${traceExporters.join(', ')}`,
  );

const protocol = z
  .string()
  .transform((value) => value.trim().toLowerCase())
  .refine(
    (value) => otlpProtocols.includes(value as never),
    `must be ${otlpProtocols.join(' or ')} (gRPC is not supported)`,
  );

/**
 * The OpenTelemetry variables that decide whether, and where, a service sends its spans. They keep
 * the meaning the OpenTelemetry specification gives them, with one difference: tracing is off unless
 * OTEL_TRACES_EXPORTER names an exporter or an OTLP endpoint is set (the specification would export
 * to localhost:4318 by default). The exporter reads the rest of its settings (headers, timeout,
 * compression, certificates), the resource OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, and the
 * sampler OTEL_TRACES_SAMPLER, as the specification says.
 */
export const tracingConfigShape = {
  OTEL_SDK_DISABLED: z
    .string()
    .transform((value) => value.trim().toLowerCase() === 'true')
    .optional(),
  OTEL_TRACES_EXPORTER: exporterList.optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol.optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol.optional(),
};

export const tracingConfigSchema = z.object(tracingConfigShape);
export type TracingConfig = z.infer<typeof tracingConfigSchema>;

/** What a service does with spans, as its configuration says. */
export type TracingPlan =
  | { readonly enabled: false }
  | {
      readonly enabled: true;
      readonly exporters: readonly TraceExporterName[];
      /** How the `otlp` exporter sends spans. */
      readonly protocol: OtlpProtocol;
    };

export const tracingOff: TracingPlan = { enabled: false };

/** Whether the service traces, and with which exporters (see {@link tracingConfigShape}). */
export function tracingPlanOf(config: TracingConfig): TracingPlan {
  if (config.OTEL_SDK_DISABLED === true) return tracingOff;
  const endpointSet =
    config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined ||
    config.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined;
  const named = config.OTEL_TRACES_EXPORTER ?? (endpointSet ? ['otlp'] : []);
  // "none" anywhere in the list turns the signal off, as the SDKs do.
  if (named.length === 0 || named.includes('none')) return tracingOff;
  return {
    enabled: true,
    exporters: [...new Set(named as TraceExporterName[])],
    protocol: (config.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ??
      config.OTEL_EXPORTER_OTLP_PROTOCOL ??
      'http/protobuf') as OtlpProtocol,
  };
}
