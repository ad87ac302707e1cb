import { readFileSync } from 'node:fs';
import { DockerfileParser } from 'dockerfile-ast';
import type { Instruction } from 'dockerfile-ast';
import { repositoryRoot } from './service-process.js';

/** The Dockerfile of every Canopy image, relative to the repository root: one target per service. */
export const dockerfilePath = 'infra/docker/Dockerfile';

/** A stage of a Dockerfile: `FROM <base> [AS <name>]` and the instructions up to the next FROM. */
export interface DockerfileStage {
  readonly name: string | null;
  readonly base: string;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  readonly text: string;
  readonly stages: readonly DockerfileStage[];
  /** The stage named `name`; throws if there is none. */
  stage(name: string): DockerfileStage;
  /**
   * What an image built with `--target name` is configured by: the instructions of the stages its
   * stage is FROM (named stages of this file), then its own, in that order.
   */
  instructionsOf(name: string): Instruction[];
}

/** The images' Dockerfile, parsed with dockerfile-ast (the parser of the Dockerfile language server). */
export function readDockerfile(): Dockerfile {
  const text = readFileSync(`${repositoryRoot}${dockerfilePath}`, 'utf8');
  const stages: DockerfileStage[] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const [base = '', as, name] = (instruction.getArgumentsContent() ?? '').split(/\s+/);
      stages.push({
        name: as?.toUpperCase() === 'AS' ? (name ?? null) : null,
        base,
        instructions: [],
      });
    } else {
      (stages.at(-1)?.instructions as Instruction[] | undefined)?.push(instruction);
    }
  }
  const stage = (name: string): DockerfileStage => {
    const found = stages.find((candidate) => candidate.name === name);
    if (found === undefined) throw new Error(`${dockerfilePath} has no stage ${name}`);
    return found;
  };
  const instructionsOf = (name: string): Instruction[] => {
    const own = stage(name);
    const inherited = stages.some((candidate) => candidate.name === own.base)
      ? instructionsOf(own.base)
      : [];
    return [...inherited, ...own.instructions];
  };
  return { text, stages, stage, instructionsOf };
}

/** The arguments of every `keyword` instruction among `instructions`, in order. */
export function argumentsOf(instructions: readonly Instruction[], keyword: string): string[] {
  return instructions
    .filter((instruction) => instruction.getKeyword() === keyword)
    .map((instruction) => instruction.getArgumentsContent() ?? '');
}
