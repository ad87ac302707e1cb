import { Command } from '@commander-js/extra-typings';
import { candidates } from './completion-command.js';

describe('shell completion candidates', () => {
  const program = new Command('canopy').option('-o, --output <format>');
  const task = program.command('task');
  task.command('run').option('--wait [seconds]');
  task.command('list');
  program.command('__complete');

  test('the sub-commands and options of the command the words lead to', () => {
    expect(candidates(program, [])).toEqual(['task', '--output', '--help']);
    expect(candidates(program, ['task'])).toEqual(['run', 'list', '--output', '--help']);
    expect(candidates(program, ['task', 'run', 'fn'])).toEqual(['--wait', '--output', '--help']);
  });

  test('the values of --output', () => {
    expect(candidates(program, ['task', 'list', '--output'])).toEqual(['table', 'json']);
  });
});
