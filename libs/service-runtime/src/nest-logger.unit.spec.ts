import { NestLogger } from './nest-logger.js';
import { recordingLogger } from './testing/recording-logger.js';

interface Line {
  readonly level: number;
  readonly msg: string;
  readonly context?: string;
  readonly trace?: string;
  readonly err?: { readonly message: string };
}

function recordingNestLogger(): { nest: NestLogger; lines: Line[] } {
  const { logger, lines } = recordingLogger<Line>({ level: 'trace', base: null });
  return { nest: new NestLogger(logger), lines };
}

const levels = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

describe('NestLogger', () => {
  test("Nest's log is debug, verbose is trace, the others keep their level", () => {
    const { nest, lines } = recordingNestLogger();
    nest.log('Nest application successfully started', 'NestApplication');
    nest.verbose('mapped', 'RouterExplorer');
    nest.debug('debugging');
    nest.warn('careful', 'Server');
    nest.error('failed', 'Server');
    nest.fatal('over');
    expect(lines.map(({ level, msg, context }) => ({ level, msg, context }))).toEqual([
      {
        level: levels.debug,
        msg: 'Nest application successfully started',
        context: 'NestApplication',
      },
      { level: levels.trace, msg: 'mapped', context: 'RouterExplorer' },
      { level: levels.debug, msg: 'debugging', context: undefined },
      { level: levels.warn, msg: 'careful', context: 'Server' },
      { level: levels.error, msg: 'failed', context: 'Server' },
      { level: levels.fatal, msg: 'over', context: undefined },
    ]);
  });

  test("an error's stack is its trace and the last string its context", () => {
    const { nest, lines } = recordingNestLogger();
    const stack = 'Error: failed\n    at handler (file.js:1:1)';
    nest.error('failed', stack, 'ExceptionsHandler');
    expect(lines[0]).toMatchObject({ msg: 'failed', trace: stack, context: 'ExceptionsHandler' });
  });

  test('an Error is logged as err with its message', () => {
    const { nest, lines } = recordingNestLogger();
    nest.error(new Error('socket closed'), undefined, 'ExceptionHandler');
    expect(lines[0]).toMatchObject({
      level: levels.error,
      msg: 'socket closed',
      context: 'ExceptionHandler',
      err: { message: 'socket closed' },
    });
  });

  test('other messages as JSON', () => {
    const { nest, lines } = recordingNestLogger();
    nest.warn({ status: 'disconnected' });
    expect(lines[0]?.msg).toBe('{"status":"disconnected"}');
  });
});
