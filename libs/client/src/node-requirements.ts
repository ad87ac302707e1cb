/** What a function (or a task) needs of a node: the `capabilities` of the API, less the timeout. */
export interface NodeRequirements {
  readonly cpuCount: number;
  readonly memSize: number;
  readonly networkLatency: number;
  readonly privileged: boolean;
}

/** What a function needs of a node, in words: `cpu 2, mem 512 MiB`, or `any node`. */
export function requirementsText(needs: NodeRequirements): string {
  const parts = [
    needs.cpuCount > 0 ? `cpu ${needs.cpuCount}` : undefined,
    needs.memSize > 0 ? `mem ${needs.memSize} MiB` : undefined,
    needs.networkLatency > 0 ? `latency ≤ ${needs.networkLatency} ms` : undefined,
    needs.privileged ? 'privileged' : undefined,
  ].filter((part) => part !== undefined);
  return parts.length === 0 ? 'any node' : parts.join(', ');
}
