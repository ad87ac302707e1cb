// A subscription's place in the PostgreSQL store is the pair it is ordered by:
// (transaction_id, global_position), written "<xid>:<position>".

export interface LogPosition {
  /** xid8 as a decimal string. */
  readonly transactionId: string;
  /** bigint as a decimal string. */
  readonly globalPosition: string;
}

/** Before every event. */
export const startOfLog: LogPosition = { transactionId: '0', globalPosition: '0' };

export function encodeCheckpoint(position: LogPosition): string {
  return `${position.transactionId}:${position.globalPosition}`;
}

export function decodeCheckpoint(checkpoint: string): LogPosition {
  const match = /^(\d{1,20}):(\d{1,19})$/.exec(checkpoint);
  if (match?.[1] === undefined || match[2] === undefined) {
    throw new RangeError(
      `not a checkpoint of the PostgreSQL event store: ${JSON.stringify(checkpoint)}`,
    );
  }
  return { transactionId: match[1], globalPosition: match[2] };
}
