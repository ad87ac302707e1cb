import { tracingConfigSchema, tracingPlanOf } from './tracing-config.js';

const planOf = (env: Record<string, string>) => tracingPlanOf(tracingConfigSchema.parse(env));

describe('tracing configuration', () => {
  test('off by default', () => {
    expect(planOf({})).toEqual({ enabled: false });
  });

  test('an OTLP endpoint turns it on, over protobuf unless a protocol is named', () => {
    expect(planOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({
      enabled: true,
      exporters: ['otlp'],
      protocol: 'http/protobuf',
    });
    expect(
      planOf({
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'HTTP/JSON',
      }),
    ).toEqual({ enabled: true, exporters: ['otlp'], protocol: 'http/json' });
  });

  test('OTEL_TRACES_EXPORTER names the exporters; none turns tracing off', () => {
    expect(planOf({ OTEL_TRACES_EXPORTER: 'console' })).toMatchObject({
      enabled: true,
      exporters: ['console'],
    });
    expect(planOf({ OTEL_TRACES_EXPORTER: 'otlp, console,otlp' })).toMatchObject({
      exporters: ['otlp', 'console'],
    });
    expect(
      planOf({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }),
    ).toEqual({ enabled: false });
  });

  test('OTEL_SDK_DISABLED=true wins over everything', () => {
    expect(
      planOf({
        OTEL_SDK_DISABLED: 'TRUE',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      }),
    ).toEqual({ enabled: false });
    expect(planOf({ OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'console' }).enabled).toBe(
      true,
    );
  });

  test('refuses exporters, protocols and endpoints it cannot use, naming the variable', () => {
    const parsed = tracingConfigSchema.safeParse({
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url',
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map(({ path }) => path[0]).sort()).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_TRACES_EXPORTER',
    ]);
  });
});
