/** How a process leases slices of a shared limit. */
export interface LeaseOptions {
  /** Largest slice of a limit one lease takes (default 1/20); 0 leases exactly what each request needs. */
  leaseShare?: number;
  /** Unused slices go back after this long without use (default 1,000 ms). */
  idleReleaseMs?: number;
}

/** Lease options with defaults applied. */
export function leaseOptions(options: LeaseOptions): { share: number; idleReleaseMs: number } {
  const share = options.leaseShare ?? 1 / 20;
  if (!(share >= 0 && share <= 1)) throw new RangeError(`leaseShare must be within 0..1, got ${share}`);
  return { share, idleReleaseMs: options.idleReleaseMs ?? 1_000 };
}
