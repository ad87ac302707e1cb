import { accountAggregate } from '@canopy/account-domain';
import { accountStreamId } from '@canopy/contracts';
import { CommandHandler, openEventStore } from '@canopy/event-store';
import { generateApiKey, newObjectId } from '@canopy/identity';
import { eventStoreSelectionOf, type ServiceLogger } from '@canopy/service-runtime';
import type { CliConfig } from '../cli-config.js';
import { provideLocalServices } from '../local-stack/local-services.js';

export const accountCreateHelp = `
Creates an account with its first API key and prints {"accountId","apiKey"} as JSON. The key is
shown only this once: store it. Exchange it for an access token with POST /v1/auth/apiKey.`;

export interface CreatedAccount {
  readonly accountId: string;
  readonly apiKey: string;
}

/** Records AccountCreated and ApiKeyIssued in the account's new stream. */
export async function createAccount(
  config: CliConfig,
  input: { name: string; label: string | null },
  logger: ServiceLogger,
): Promise<CreatedAccount> {
  const services = await provideLocalServices(config, logger, { nats: false });
  try {
    const store = await openEventStore(
      eventStoreSelectionOf({ ...config, DATABASE_URL: services.databaseUrl }),
    );
    try {
      const accountId = newObjectId();
      const key = generateApiKey(accountId);
      const accounts = new CommandHandler({
        store,
        ...accountAggregate,
      });
      await accounts.handle(accountStreamId(accountId), {
        type: 'CreateAccount',
        data: {
          accountId,
          name: input.name,
          keyId: key.keyId,
          keyHash: key.keyHash,
          label: input.label,
          now: new Date().toISOString(),
        },
      });
      logger.info({ accountId, keyId: key.keyId }, 'account created');
      return { accountId, apiKey: key.key };
    } finally {
      await store.close();
    }
  } finally {
    await services.stop();
  }
}
