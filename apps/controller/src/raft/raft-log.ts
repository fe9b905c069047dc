/**
 * What the Raft client needs from a partition log. @runnel/storage's PartitionLog provides it;
 * tests may use a small in-memory version. Methods may be sync or async.
 */
export interface RaftLog {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** Latest leader epoch in the log (-1 when none). */
  readonly latestEpoch?: number;
  append(batches: Buffer, opts: { leaderEpoch: number; assignOffsets?: boolean }): any;
  read(offset: number, maxBytes: number, opts?: { maxOffset?: number; minOneBatch?: boolean }): any;
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } | null | undefined | Promise<any>;
  flush(): any;
  truncateTo?(offset: number): any;
  /** Drops everything; the log restarts empty at `offset` (after loading a snapshot that ends there). */
  truncateFullyAndStartAt?(offset: number): any;
  close?(): any;
}

export interface RaftReadResult {
  chunks: Buffer[];
  bytes: number;
}
