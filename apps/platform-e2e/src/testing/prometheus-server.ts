import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from '@canopy/async-testing';
import { findFreePort } from '@canopy/local-services/testing';

// A real Prometheus (Debian's `prometheus` package) of the test's own: a generated configuration
// scraping the given targets every second, a temporary data directory, a free port.

/** The full path of an executable on PATH, or undefined. */
export function executableOnPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface ScrapeJob {
  readonly job: string;
  /** `host:port` of each target; /metrics is scraped. */
  readonly targets: readonly string[];
}

export interface PrometheusSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PrometheusServer {
  readonly url: string;
  /** An instant query; the samples of its vector. */
  query(expression: string): Promise<PrometheusSample[]>;
  /** The sum of an instant query's samples (0 for none). */
  sum(expression: string): Promise<number>;
  /** The alerting rules Prometheus loaded, by name. */
  ruleNames(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startPrometheus(options: {
  readonly executable: string;
  readonly jobs: readonly ScrapeJob[];
  readonly ruleFiles?: readonly string[];
}): Promise<PrometheusServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'canopy-prometheus-'));
  const port = await findFreePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    ...(options.ruleFiles === undefined || options.ruleFiles.length === 0
      ? []
      : ['rule_files:', ...options.ruleFiles.map((file) => `  - ${JSON.stringify(file)}`)]),
    'scrape_configs:',
    ...options.jobs.flatMap((job) => [
      `  - job_name: ${JSON.stringify(job.job)}`,
      '    static_configs:',
      `      - targets: [${job.targets.map((target) => JSON.stringify(target)).join(', ')}]`,
    ]),
  ].join('\n');
  const configFile = path.join(dir, 'prometheus.yml');
  await writeFile(configFile, `${config}\n`);
  const output: string[] = [];
  const child: ChildProcess = spawn(
    options.executable,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString('utf8'));
    output.splice(0, Math.max(0, output.length - 50));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited:\n${output.join('')}`);
        const response = await fetch(`${url}/-/ready`);
        if (response.status !== 200) throw new Error(`prometheus not ready (${response.status})`);
      },
      60_000,
      200,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const query = async (expression: string): Promise<PrometheusSample[]> => {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expression)}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success' || body.data === undefined)
      throw new Error(`query ${expression} failed: ${body.error ?? response.status}`);
    return body.data.result.map(({ metric, value }) => ({ metric, value: Number(value[1]) }));
  };
  return {
    url,
    query,
    sum: async (expression) =>
      (await query(expression)).reduce((total, sample) => total + sample.value, 0),
    ruleNames: async () => {
      const response = await fetch(`${url}/api/v1/rules`);
      const body = (await response.json()) as {
        data: { groups: { rules: { name: string }[] }[] };
      };
      return body.data.groups.flatMap((group) => group.rules.map((rule) => rule.name));
    },
    stop,
  };
}

/** `promtool check metrics` over a /metrics text: resolves with its findings ('' when clean). */
export function promtoolCheckMetrics(
  promtool: string,
  text: string,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(promtool, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code: code ?? -1, output }));
    child.stdin.end(text);
  });
}
