import { describe, expect, test } from '@jest/globals';
import { ConfigurationError, createServiceLogger, readConfig } from '@canopy/service-runtime';
import { runProjectorCommand } from './projector-commands.js';
import { projectorConfigSchema } from './projector-config.js';

describe('the projector commands', () => {
  test('an unknown command is a configuration error naming the commands there are', async () => {
    const config = readConfig(projectorConfigSchema, {});
    const run = runProjectorCommand(config, createServiceLogger('projector', 'silent'), [
      'rebiuld',
    ]);
    await expect(run).rejects.toThrow(ConfigurationError);
    await expect(run).rejects.toThrow('command: "rebiuld" is unknown (expected none or "rebuild")');
  });
});
