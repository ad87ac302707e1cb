import { DiagLogLevel, context, diag, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { OtlpProtocol, TraceExporterName, TracingPlan } from './tracing-config.js';

/** Where the SDK's own problems (an export that failed, a bad sampler variable) are logged. */
export interface TracingLogger {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** The process's tracing, once started. */
export interface RunningTracing {
  readonly enabled: boolean;
  /** Sends the spans still buffered and stops tracing; tracing can be started again afterwards. */
  shutdown(): Promise<void>;
}

export interface StartTracingOptions {
  readonly logger?: TracingLogger;
  /**
   * Exporters to use instead of those the plan names, each behind a processor that exports every
   * span as it ends (tests hand their in-memory exporter here).
   */
  readonly exporters?: readonly SpanExporter[];
}

let provider: NodeTracerProvider | undefined;

/**
 * Whether this process traces. Every instrumented path asks this first and does nothing more when it
 * is off: no span, no context read or written, no header or metadata added.
 */
export function tracingEnabled(): boolean {
  return provider !== undefined;
}

const notTracing: RunningTracing = { enabled: false, shutdown: async () => undefined };

/**
 * Starts tracing for the whole process when the plan says so: a tracer provider registered with the
 * OpenTelemetry API (W3C trace context propagation, context kept in AsyncLocalStorage), the
 * resource named `service.name` = `serviceName` unless OTEL_SERVICE_NAME says otherwise, and the
 * plan's exporters behind a batching processor (its OTEL_BSP_* variables apply). Once per process.
 */
export function startTracing(
  serviceName: string,
  plan: TracingPlan,
  options: StartTracingOptions = {},
): RunningTracing {
  if (!plan.enabled) return notTracing;
  if (provider !== undefined) throw new Error('tracing has already been started in this process');
  const { logger } = options;
  if (logger !== undefined) {
    diag.setLogger(
      {
        error: (message, ...args) => logger.error({ args }, `tracing: ${message}`),
        warn: (message, ...args) => logger.warn({ args }, `tracing: ${message}`),
        info: () => undefined,
        debug: () => undefined,
        verbose: () => undefined,
      },
      { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
  }
  const spanProcessors =
    options.exporters?.map((exporter) => new SimpleSpanProcessor(exporter)) ??
    plan.exporters.map((name) => new BatchSpanProcessor(exporterNamed(name, plan.protocol)));
  const started = new NodeTracerProvider({
    resource: defaultResource()
      .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }))
      .merge(detectResources({ detectors: [envDetector] })),
    spanProcessors,
  });
  started.register();
  provider = started;
  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    shutdown: () => {
      stopping ??= started.shutdown().finally(() => {
        if (provider === started) provider = undefined;
        trace.disable();
        propagation.disable();
        context.disable();
        diag.disable();
      });
      return stopping;
    },
  };
}

/**
 * Shuts tracing down, sending the spans still buffered, but waits at most `ms` for it (a collector
 * that does not answer must not hold a stopping process). Whether it finished in time.
 */
export async function shutdownTracingWithin(tracing: RunningTracing, ms: number): Promise<boolean> {
  if (!tracing.enabled) return true;
  let timer: NodeJS.Timeout | undefined;
  const finished = await Promise.race([
    tracing.shutdown().then(
      () => true,
      () => true,
    ),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return finished;
}

function exporterNamed(name: TraceExporterName, protocol: OtlpProtocol): SpanExporter {
  switch (name) {
    case 'console':
      return new ConsoleSpanExporter();
    case 'otlp':
      // Endpoint, headers, timeout, compression and certificates come from OTEL_EXPORTER_OTLP_*.
      return protocol === 'http/json'
        ? new OtlpJsonTraceExporter()
        : new OtlpProtobufTraceExporter();
    default: {
      const unknown: never = name;
      throw new Error(`unknown span exporter ${String(unknown)}`);
    }
  }
}
