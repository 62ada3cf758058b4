/**
 * The checks that keep Terraform state safe while synth replaces the output
 * folder: state never lives where a synth deletes it, a stack folder whose
 * state still holds resources is never dropped, one synth at a time, and
 * state stranded by an interrupted synth is found before it is lost.
 */
import * as fs from "fs";
import * as path from "path";
import { AppConfig, STACK_FOLDER_STATE_FILE } from "../config/app-config";
import { ConfigError, isInside } from "../config/validate-config";

/** Terraform's folder for the state of non-default workspaces, next to the default state (its default `workspace_dir`). */
export const STACK_FOLDER_WORKSPACES = "terraform.tfstate.d";
/** The local backend's lock, written next to the state while a Terraform command runs. */
const STATE_LOCK_INFO = ".terraform.tfstate.lock.info";

/** Names of the folders under `<outdir>/stacks/` (none when there is no output yet). */
export function stackFolders(outdir: string): string[] {
  const stacksDir = path.join(outdir, "stacks");
  if (!fs.existsSync(stacksDir)) return [];
  return fs
    .readdirSync(stacksDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
}

/**
 * A local state folder inside the output folder would be deleted by the
 * next synth, which replaces the output folder as a whole.
 */
export function checkStateOutsideOutdir(config: AppConfig, outdir: string): void {
  const backend = config.backend;
  if (backend.type !== "local" || backend.stateInStackFolder) return;
  // Through symbolic links too: a link to a folder inside the output folder is inside it.
  if (isInside(realPath(backend.directory), realPath(outdir))) {
    throw new ConfigError(config.sourceFile, [
      {
        path: "backend.directory",
        message:
          `${JSON.stringify(backend.directory)} is inside the output folder ${outdir}, which every synth replaces, state files included; ` +
          'choose a folder outside it, or set "stateInStackFolder": true to keep each stack\'s state in its own folder, which synth carries across',
      },
    ]);
  }
}

/** `file` with symbolic links resolved, for the part of it that exists. */
function realPath(file: string): string {
  const absolute = path.resolve(file);
  if (fs.existsSync(absolute)) return fs.realpathSync(absolute);
  const parent = path.dirname(absolute);
  return parent === absolute ? absolute : path.join(realPath(parent), path.basename(absolute));
}

/**
 * Refuses to drop a stack folder that holds Terraform state with resources
 * (`stateInStackFolder`): deleting it would forget resources that still
 * exist. A stack whose resources were destroyed leaves an empty state, which
 * may go.
 */
export function checkRemovedStacks(outdir: string, stacks: readonly string[]): void {
  const held = stackFolders(outdir)
    .filter((name) => !stacks.includes(name))
    .map((name) => {
      const folder = path.join(outdir, "stacks", name);
      return { name, resources: stateResources(path.join(folder, STACK_FOLDER_STATE_FILE), path.join(folder, STACK_FOLDER_WORKSPACES)) };
    })
    .filter((stack) => stack.resources !== 0);
  if (held.length === 0) return;
  const list = held.map((s) => `${s.name} (${s.resources === undefined ? "unreadable state" : resourceCount(s.resources)})`).join(", ");
  throw new Error(
    `the configuration no longer has the stacks ${list}, but their folders under ${path.join(outdir, "stacks")} hold their Terraform state, ` +
      "so their resources still exist and synthesizing would delete that state. Put the accounts and regions back into the configuration, " +
      "destroy the stacks (npm run destroy -- <stack>), then remove them; or, to keep the resources, move each folder's terraform.tfstate " +
      "(and terraform.tfstate.d) somewhere safe and delete them from the folder.",
  );
}

/**
 * Warns about state with resources in the local state folder for stacks the
 * configuration no longer has: those resources are still deployed, and
 * nothing in the output manages them any more.
 */
export function orphanedStateWarnings(config: AppConfig, stacks: readonly string[]): string[] {
  const backend = config.backend;
  if (backend.type !== "local" || backend.stateInStackFolder || !fs.existsSync(backend.directory)) return [];
  const names = new Set(
    fs
      .readdirSync(backend.directory)
      .map((file) => /^(.+)\.tfstate(\.d)?$/.exec(file)?.[1])
      .filter((name): name is string => name !== undefined && !stacks.includes(name)),
  );
  return [...names]
    .map((stack) => ({ stack, resources: stateResources(path.join(backend.directory, `${stack}.tfstate`), path.join(backend.directory, `${stack}.tfstate.d`)) }))
    .filter((state) => state.resources !== 0)
    .map(
      (state) =>
        `${path.join(backend.directory, `${state.stack}.tfstate`)} holds ${state.resources === undefined ? "unreadable state" : resourceCount(state.resources)} of the stack ${state.stack}, ` +
        "which this configuration no longer has: they are still deployed, unless another configuration uses this state folder. " +
        "Put the account or region back and destroy the stack (npm run destroy -- <stack>) if they should go.",
    );
}

/**
 * Refuses to replace stack folders while a Terraform command runs in one of
 * them (its state lock is held): the folder would move away under it, and
 * with `stateInStackFolder` the state it writes would be lost.
 */
export function checkNoTerraformRunning(outdir: string): void {
  const locked = stackFolders(outdir).filter((name) => fs.existsSync(path.join(outdir, "stacks", name, STATE_LOCK_INFO)));
  if (locked.length === 0) return;
  throw new Error(
    `a Terraform command holds the state lock in ${locked.map((name) => path.join(outdir, "stacks", name)).join(", ")} (${STATE_LOCK_INFO}); ` +
      "synthesizing now would move the folder away under it. Wait for it to finish; if no Terraform runs there any more, " +
      `remove the lock with terraform force-unlock in that folder.`,
  );
}

/**
 * Refuses to go on when an interrupted synth left state in a staging folder
 * beside the output folder (`.<outdir>.staging-*`): the next clean-up of those
 * folders would delete it. Says where it is and how to put it back.
 */
export function checkNoStrandedState(outdir: string): void {
  const parent = path.dirname(outdir);
  const prefix = `.${path.basename(outdir)}.staging-`;
  const stranded = stagingFolders(outdir).flatMap((name) =>
    stackFolders(path.join(parent, name))
      .map((stack) => path.join(parent, name, "stacks", stack))
      .filter((folder) => fs.existsSync(path.join(folder, STACK_FOLDER_STATE_FILE)) || fs.existsSync(path.join(folder, STACK_FOLDER_WORKSPACES))),
  );
  if (stranded.length === 0) return;
  throw new Error(
    `an interrupted synth left Terraform state in ${stranded.join(", ")}. Move each folder's terraform.tfstate* and terraform.tfstate.d back into ` +
      `${path.join(outdir, "stacks")}/<the same stack>/ (if both hold one, keep the one with the higher "serial"), then delete the ${prefix}* folders and synthesize again.`,
  );
}

/** Names of the staging folders of `outdir` beside it (`.<outdir>.staging-*`, and their `.old` copies). */
function stagingFolders(outdir: string): string[] {
  const parent = path.dirname(outdir);
  if (!fs.existsSync(parent)) return [];
  const prefix = `.${path.basename(outdir)}.staging-`;
  return fs.readdirSync(parent).filter((name) => name.startsWith(prefix));
}

/**
 * Removes the staging folders a killed synth left behind. Called with the
 * synth lock held, so no other synth is using them, and after
 * {@link checkNoStrandedState}, so none holds state.
 */
export function removeStaleStaging(outdir: string): void {
  for (const name of stagingFolders(outdir)) fs.rmSync(path.join(path.dirname(outdir), name), { recursive: true, force: true });
}

/**
 * Takes the synth lock beside the output folder, so two synths never replace
 * it at once; returns the function that releases it. A lock left by a synth
 * that no longer runs is taken over.
 */
export function acquireSynthLock(outdir: string): () => void {
  const lock = path.join(path.dirname(outdir), `.${path.basename(outdir)}.synth.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: "wx" });
      return () => fs.rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number.parseInt(fs.readFileSync(lock, "utf8"), 10);
      if (isRunning(pid)) {
        throw new Error(`another synth (process ${pid}) is writing ${outdir}; wait for it to finish (its lock: ${lock})`);
      }
      fs.rmSync(lock, { force: true });
    }
  }
  throw new Error(`cannot take the synth lock ${lock}; remove it if no synth is running`);
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Managed resource instances in a state file and in the states of its
 * workspaces (`<workspaces>/<name>/terraform.tfstate`); 0 when there are
 * none, undefined when one cannot be read.
 */
function stateResources(stateFile: string, workspaces: string): number | undefined {
  const files = [stateFile, ...(fs.existsSync(workspaces) ? fs.readdirSync(workspaces).map((name) => path.join(workspaces, name, "terraform.tfstate")) : [])];
  let total = 0;
  for (const file of files.filter((f) => fs.existsSync(f))) {
    try {
      const state = JSON.parse(fs.readFileSync(file, "utf8")) as { resources?: { mode?: string; instances?: unknown[] }[] };
      total += (state.resources ?? []).filter((r) => r.mode === "managed").reduce((sum, r) => sum + (r.instances?.length ?? 0), 0);
    } catch {
      return undefined;
    }
  }
  return total;
}

function resourceCount(n: number): string {
  return `${n} ${n === 1 ? "resource" : "resources"}`;
}
