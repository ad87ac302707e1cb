import { passOnHeaders } from '@canopy/contracts';

// Which of a function's response headers GET /v1/task/:taskId/result passes on: the contracts' rule
// (nodes already apply it, but any node may report, so the gateway applies it again), and `date`,
// which the gateway sets itself for the response it sends.
export function passedResultHeaders(
  headers: Readonly<Record<string, string>>,
): Record<string, string> {
  return passOnHeaders(Object.entries(headers), { alsoDrop: ['date'] }).headers;
}
