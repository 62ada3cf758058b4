/**
 * Synthesizes groups of accounts in worker threads, as many at once as the
 * synth is given: accounts share nothing but the configuration, so each
 * group is an independent piece of work. A worker takes the next group when
 * it has sent the last one's result; the synth puts the results in config
 * order, so the output is the same bytes whichever worker finished first.
 * The first error stops every worker and fails the synth.
 */
import * as path from "path";
import { Worker } from "worker_threads";
import type { StoredDecision } from "../access/decision-store";
import type { AccountConfig, AppConfig } from "../config/app-config";
import type { GroupResult } from "./synthesize-app";

/** The compiled worker; absent when the app runs from the TypeScript sources (tests), which then synthesize in one thread. */
export const SYNTH_WORKER_FILE = path.join(__dirname, "synth-worker.js");

/** What every worker is started with. */
export interface SynthWorkerSetup {
  readonly config: AppConfig;
  readonly finalOutdir: string;
  readonly staging: string;
  readonly failOnWarnings: boolean;
  /** The access check's kept decisions, read by each worker (see DecisionStore). */
  readonly storeFile: string | undefined;
  /** See GroupContext. */
  readonly hashFiles: boolean;
}

/** A group of accounts and its place in the config. */
export interface IndexedGroup {
  readonly index: number;
  readonly accounts: readonly AccountConfig[];
}

/** Messages between the synth and a worker. */
export type ToWorker = IndexedGroup | { readonly done: true };
export type FromWorker =
  | { readonly result: GroupResult }
  | { readonly decisions: readonly (readonly [string, StoredDecision])[] }
  | { readonly error: { readonly name: string; readonly message: string } };

/**
 * Runs `groups` on `count` workers, calling `finished` with each result as
 * it comes; resolves to the decisions the workers' access checks made, for
 * the synth to keep.
 */
export async function synthesizeInWorkers(
  setup: SynthWorkerSetup,
  groups: readonly IndexedGroup[],
  count: number,
  finished: (result: GroupResult) => void,
): Promise<(readonly [string, StoredDecision])[]> {
  const decisions: (readonly [string, StoredDecision])[] = [];
  const workers: Worker[] = [];
  let next = 0;
  const run = () =>
    new Promise<void>((resolve, reject) => {
      const worker = new Worker(SYNTH_WORKER_FILE, { workerData: setup });
      workers.push(worker);
      const sendNext = () => {
        const group = groups[next++];
        worker.postMessage((group ?? { done: true }) satisfies ToWorker);
      };
      worker.on("message", (message: FromWorker) => {
        if ("result" in message) {
          finished(message.result);
          sendNext();
        } else if ("decisions" in message) {
          decisions.push(...message.decisions);
          resolve();
        } else {
          const error = new Error(message.error.message);
          error.name = message.error.name;
          reject(error);
        }
      });
      worker.on("error", reject);
      worker.on("exit", (code) => reject(new Error(`a synth worker stopped (exit code ${code}) before finishing its accounts`)));
      sendNext();
    });
  try {
    await Promise.all(Array.from({ length: count }, run));
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return decisions;
}
