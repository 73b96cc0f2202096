/**
 * Whether a backend (a lookup store, the shared configuration store) is reachable, and since
 * when: what the health endpoint shows, and one log line per change (not one per retry).
 */

export interface BackendStatus {
  /** The store's name in the configuration. */
  name: string;
  /** `redis`, `postgresql`, `sqlite`, `dns`, … */
  type: string;
  ok: boolean;
  /** Since when the store is in this state (ISO 8601). */
  since: string;
  /** Why it is unreachable. */
  error?: string;
}

/** Receives each change of a backend's state (reachable → unreachable and back). */
export type StatusListener = (status: BackendStatus) => void;

export class StatusTracker {
  private current: BackendStatus;
  private closed = false;

  constructor(
    name: string,
    type: string,
    private readonly listener?: StatusListener,
    /** A new backend is taken as reachable until it fails (a pool connects on demand). */
    ok = true,
  ) {
    this.current = { name, type, ok, since: new Date().toISOString() };
  }

  status(): BackendStatus {
    return { ...this.current };
  }

  up(): void {
    if (this.current.ok || this.closed) return;
    this.current = { name: this.current.name, type: this.current.type, ok: true, since: new Date().toISOString() };
    this.listener?.(this.status());
  }

  down(error: unknown): void {
    if (this.closed) return;
    const message = error instanceof Error ? error.message || (error as { code?: string }).code || error.name : String(error);
    if (!this.current.ok && this.current.error === message) return;
    const wasDown = !this.current.ok;
    this.current = { name: this.current.name, type: this.current.type, ok: false, since: wasDown ? this.current.since : new Date().toISOString(), error: message };
    if (!wasDown) this.listener?.(this.status());
  }

  /** Stopped on purpose: no more changes reported. */
  closing(): void {
    this.closed = true;
  }
}
