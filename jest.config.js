// One Jest run over every project. The kind of a test is in its file name:
// *.unit.spec.ts (no I/O), *.int.spec.ts (real PostgreSQL / NATS), *.e2e.spec.ts (real processes).
import { readdirSync, existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const swcOptions = {
  swcrc: false,
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

const projectDirs = ['apps', 'libs'].flatMap((group) =>
  existsSync(group)
    ? readdirSync(group, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(`${group}/${entry.name}/package.json`))
        .map((entry) => `${group}/${entry.name}`)
    : [],
);

const project = (dir) => ({
  displayName: dir,
  rootDir: dir,
  testEnvironment: 'node',
  // Resolve workspace packages to their TypeScript sources, as the type checker does.
  testEnvironmentOptions: { customExportConditions: ['@canopy/source', 'node', 'node-addons'] },
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swcOptions] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
});

export default {
  projects: projectDirs.map(project),
  globalSetup: '<rootDir>/tools/jest/global-setup.js',
  globalTeardown: '<rootDir>/tools/jest/global-teardown.js',
  reporters: ['default', '<rootDir>/tools/jest/summary-reporter.js'],
  testTimeout: 30_000,
  // Jest's default, one fewer than the cores, is a single worker on two: the integration and
  // end-to-end suites mostly wait (for processes, PostgreSQL, NATS), and two workers there ran the
  // whole suite in 11.5 minutes instead of 20.6.
  maxWorkers: Math.max(2, availableParallelism() - 1),
};
