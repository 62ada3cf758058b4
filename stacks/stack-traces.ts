/**
 * Construct and token stack traces, kept only when debugging.
 *
 * cdktf records the complete call stack (no depth limit) of every token it
 * creates, Lazy values and references alike, only to print it if that token
 * later fails to resolve; and of every annotation, into manifest.json. A
 * synth creates hundreds of thousands of tokens: the traces cost about a
 * fifth of its time and half of its memory. They are off unless
 * `LAMBDA_KMS_STACK_TRACES=1`, which brings them back for a synth that fails
 * with "Object creation stack" worth reading.
 */
import { App } from "cdktf";

/** The environment switch that keeps the traces. */
export const STACK_TRACES_ENV = "LAMBDA_KMS_STACK_TRACES";

/** Whether this process keeps stack traces (see {@link STACK_TRACES_ENV}). */
export function stackTracesWanted(env: NodeJS.ProcessEnv): boolean {
  return env[STACK_TRACES_ENV] === "1";
}

/**
 * An App for the main job: annotations without traces unless wanted, and
 * cdktf's token traces switched off (or back on) for this process to match.
 */
export function newApp(outdir: string, env: NodeJS.ProcessEnv = process.env): App {
  const traces = stackTracesWanted(env);
  tokenTraces.captureStackTrace = traces ? captureFullStackTrace : noTrace;
  return new App({ outdir, stackTraces: traces });
}

/**
 * cdktf's module that records token traces. Its export is read at every call
 * (`(0, stack_trace_1.captureStackTrace)()`), so replacing it takes effect for
 * every token created from then on. require(), not import: an import would
 * copy the exports.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tokenTraces = require("cdktf/lib/tokens/private/stack-trace") as { captureStackTrace: () => string[] };
const captureFullStackTrace = tokenTraces.captureStackTrace;

function noTrace(): string[] {
  return [];
}
