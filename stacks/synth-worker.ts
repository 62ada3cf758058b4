/**
 * A worker thread of the synth (see synth-workers.ts): synthesizes the
 * groups of accounts it is sent, one at a time, into the shared staging
 * folder, and sends back each group's result; when told it is done, the
 * decisions its access checks made.
 */
import { parentPort, workerData } from "worker_threads";
import { DecisionCache } from "../access/decision-cache";
import { DecisionStore } from "../access/decision-store";
import type { FromWorker, SynthWorkerSetup, ToWorker } from "./synth-workers";
import { synthesizeGroup } from "./synthesize-app";

const setup = workerData as SynthWorkerSetup;
const store = setup.storeFile === undefined ? undefined : DecisionStore.open(setup.storeFile);
const context = {
  config: setup.config,
  finalOutdir: setup.finalOutdir,
  staging: setup.staging,
  options: { failOnWarnings: setup.failOnWarnings, keepAccessResults: false },
  decisions: new DecisionCache(store),
  hashFiles: setup.hashFiles,
};
const port = parentPort!;

port.on("message", (message: ToWorker) => {
  if ("done" in message) {
    port.postMessage({ decisions: store?.fresh() ?? [] } satisfies FromWorker);
    return;
  }
  synthesizeGroup(context, message.index, message.accounts).then(
    (result) => port.postMessage({ result } satisfies FromWorker),
    (error: unknown) => {
      const { name, message: text } = error instanceof Error ? error : new Error(String(error));
      port.postMessage({ error: { name, message: text } } satisfies FromWorker);
    },
  );
});
