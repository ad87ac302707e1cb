import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { Command } from '@commander-js/extra-typings';
import { UsageError } from '../exit-codes.js';
import { utcTime } from '../terminal/output.js';
import { resolveApiUrl, signIn, signOut } from '../user-session/api-session.js';
import { globalOptions, outputAction, show } from './command-context.js';
import type { CommandContext } from './command-context.js';

export function loginCommands(context: CommandContext): Command[] {
  const login = new Command('login')
    .description(
      'sign in with an API key: exchanges it for an access token and keeps both for the other ' +
        'commands, in a file only you can read. The key comes from CANOPY_API_KEY, or standard ' +
        'input (asked for on a terminal, not echoed)',
    )
    .action(
      outputAction(context, async ({ command }) => {
        const apiUrl = resolveApiUrl(context.environment, globalOptions(command).apiUrl);
        const apiKey = context.environment.apiKey ?? (await readApiKey(context));
        if (apiKey === '') throw new UsageError('no API key given');
        const token = await signIn(context.environment, apiUrl, apiKey);
        return show.done(
          `signed in to ${apiUrl} (token valid until ${utcTime(token.expiresAt / 1000)}; renewed when it expires)`,
          { apiUrl, expiresAt: new Date(token.expiresAt).toISOString() },
        );
      }),
    );
  const logout = new Command('logout')
    .description('forget the API key and the access token `canopy login` kept')
    .action(
      outputAction(context, async () => {
        const forgotten = await signOut(context.environment);
        return show.done(forgotten ? 'signed out' : 'was not signed in', { signedOut: forgotten });
      }),
    );
  return [login, logout];
}

async function readApiKey(context: CommandContext): Promise<string> {
  if (context.stdin.isTTY !== true) return (await text(context.stdin)).trim();
  // Asked on the terminal without echoing what is typed.
  let muted = false;
  const echo = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) context.stderr.write(chunk);
      done();
    },
  });
  const prompt = createInterface({ input: context.stdin, output: echo, terminal: true });
  try {
    const answer = prompt.question('API key: ');
    muted = true;
    const key = (await answer).trim();
    context.stderr.write('\n');
    return key;
  } finally {
    prompt.close();
  }
}
