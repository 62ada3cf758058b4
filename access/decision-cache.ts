/**
 * Shares policy-engine decisions between requests whose simulations are the
 * same: the same principal, action, resource, context and policies. An
 * organisation's stacks differ mostly by account ID, so a simulation is
 * keyed with the stack's own account ID replaced by a placeholder wherever
 * that renaming cannot change the engine's answer (see {@link renamable}).
 * At 250 accounts of one shape, every account after the first reuses the
 * decisions of the first: each distinct simulation runs once.
 */
import { createHash } from "crypto";
import type { DecisionStore } from "./decision-store";
import { PolicyJson } from "./stack-model";

/** Twelve digits that stand for the stack's own account ID in a shared key. */
export const ACCOUNT_PLACEHOLDER = "000000000000";

/** What a simulation decided, with the stack's account ID as a placeholder when the key was renamed. */
export interface CachedDecision {
  readonly decision: string;
  readonly decisive: readonly string[];
}

/** The inputs of one simulation, as the access check passes them to the engine. */
export interface SimulationInputs {
  /** Principal, action, resource, its account and the context keys. */
  readonly request: unknown;
  readonly identityPolicies: readonly { readonly name: string; readonly policy: PolicyJson }[];
  readonly resourcePolicy: PolicyJson | undefined;
  readonly boundary: PolicyJson | undefined;
}

/** A prepared lookup: its key, and how a decision goes from the stack's account ID to the stored form and back. */
export interface DecisionLookup {
  readonly key: string;
  readonly toStored: (decision: CachedDecision) => CachedDecision;
  readonly restore: (decision: CachedDecision) => CachedDecision;
}

interface PolicyText {
  readonly raw: string;
  readonly accountId: string;
  readonly renamed: boolean;
  /** SHA-256 of the text as it is, and with the account ID renamed; set on first use. */
  rawId?: string;
  renamedId?: string;
}

const NO_RENAME = (decision: CachedDecision): CachedDecision => decision;

/**
 * Wildcards next to a digit could match part of an account ID, and numeric
 * or date operators compare its value: renaming the ID could then change a
 * match, so such inputs are keyed as they are.
 */
const ORDER_SENSITIVE = /[*?]\d|\d[*?]|(Numeric|Date|Binary)\w*"\s*:/;

/**
 * Whether replacing `accountId` with {@link ACCOUNT_PLACEHOLDER} in `text`
 * keeps every string comparison the engine makes: the placeholder is not in
 * the text already, the ID never runs into other digits, and no wildcard or
 * numeric comparison could tell the two apart. Under these conditions the
 * renaming is one-to-one on every string, and a wildcard matches a renamed
 * string exactly when it matched the original.
 */
export function renamable(text: string, accountId: string): boolean {
  if (text.includes(ACCOUNT_PLACEHOLDER) || ORDER_SENSITIVE.test(text)) return false;
  for (let at = text.indexOf(accountId); at !== -1; at = text.indexOf(accountId, at + 1)) {
    if (isDigit(text[at - 1]) || isDigit(text[at + accountId.length])) return false;
  }
  return true;
}

function isDigit(character: string | undefined): boolean {
  return character !== undefined && character >= "0" && character <= "9";
}

/**
 * Decisions of one synth, keyed by their simulation inputs (policies by the
 * SHA-256 of their text, so keys stay small however large the policies are);
 * with a `store`, also those of earlier synths (see DecisionStore).
 */
export class DecisionCache {
  private readonly decisions = new Map<string, CachedDecision>();
  /** Per policy object (each stack's are its own): its text, read once. */
  private readonly texts = new WeakMap<object, PolicyText>();
  private lookups = 0;
  private simulations = 0;

  constructor(private readonly store?: DecisionStore) {}

  /** How many lookups were made, and how many of them ran the engine (found in neither this synth nor the store). */
  public get stats(): { readonly lookups: number; readonly simulations: number } {
    return { lookups: this.lookups, simulations: this.simulations };
  }

  /** The key of `inputs` in a stack of `accountId`, renamed when every input allows it. */
  public prepare(inputs: SimulationInputs, accountId: string): DecisionLookup {
    this.lookups++;
    const policies = [...inputs.identityPolicies.map((p) => p.policy), inputs.resourcePolicy, inputs.boundary];
    const texts = policies.map((policy) => (policy === undefined ? undefined : this.textOf(policy, accountId)));
    const request = JSON.stringify([inputs.request, inputs.identityPolicies.map((p) => p.name)]);
    const rename = renamable(request, accountId) && texts.every((text) => text === undefined || text.renamed);
    const swap = (text: string, from: string, to: string) => (rename ? text.split(from).join(to) : text);
    const ids = texts.map((text) => (text === undefined ? "-" : this.idOf(text, rename)));
    const key = `${swap(request, accountId, ACCOUNT_PLACEHOLDER)}|${ids.join(",")}`;
    if (!rename) return { key, toStored: NO_RENAME, restore: NO_RENAME };
    const renamed = (from: string, to: string) => (decision: CachedDecision) => ({ decision: decision.decision, decisive: decision.decisive.map((line) => swap(line, from, to)) });
    return { key, toStored: renamed(accountId, ACCOUNT_PLACEHOLDER), restore: renamed(ACCOUNT_PLACEHOLDER, accountId) };
  }

  public get(lookup: DecisionLookup): CachedDecision | undefined {
    let stored = this.decisions.get(lookup.key);
    if (!stored) {
      stored = this.store?.get(lookup.key);
      if (stored) this.decisions.set(lookup.key, stored);
    }
    return stored && lookup.restore(stored);
  }

  /** Stores a decision as computed for the lookup's stack (its own account ID in it). */
  public set(lookup: DecisionLookup, decision: CachedDecision): void {
    const stored = lookup.toStored(decision);
    this.simulations++;
    this.decisions.set(lookup.key, stored);
    this.store?.set(lookup.key, stored);
  }

  private textOf(policy: PolicyJson, accountId: string): PolicyText {
    let text = this.texts.get(policy);
    if (!text || text.accountId !== accountId) {
      const raw = text?.raw ?? JSON.stringify(policy);
      text = { raw, accountId, renamed: renamable(raw, accountId) };
      this.texts.set(policy, text);
    }
    return text;
  }

  private idOf(text: PolicyText, renamed: boolean): string {
    if (renamed) return (text.renamedId ??= sha256(text.raw.split(text.accountId).join(ACCOUNT_PLACEHOLDER)));
    return (text.rawId ??= sha256(text.raw));
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
