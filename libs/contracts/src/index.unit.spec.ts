import { CONTRACTS_VERSION } from './index.js';
test('resolves', () => { expect(CONTRACTS_VERSION).toBe(1); });
