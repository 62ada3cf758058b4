/**
 * Frees the tokens of an app that is done.
 *
 * cdktf registers every token it creates in one map per process
 * (`global.__cdktfTokenMap`, shared by every copy of the library), and never
 * removes one. A token holds what it resolves from (a reference its stack, a
 * Lazy value its closure), so through that map every account's construct
 * tree stayed in memory after its stacks were written: about 1.8 MB per
 * account, which made a worker's heap grow from 25 MB to 230 MB over 125
 * accounts.
 *
 * Accounts are synthesized by apps of their own, whose construction and
 * synthesis run without a pause (no `await`), so every token registered
 * between a {@link tokenMark} and its {@link releaseTokensSince} belongs to
 * that app. A released token used again is not resolved silently wrong:
 * cdktf throws "Unrecognized Token Key".
 */

/** The part of cdktf's TokenMap this uses: two maps that only ever grow, in insertion order. */
interface TokenMapStorage {
  readonly stringTokenMap: Map<string, unknown>;
  readonly numberTokenMap: Map<number, unknown>;
}

/** How many tokens were registered at a point in time. */
export interface TokenMark {
  readonly strings: number;
  readonly numbers: number;
}

function tokenMap(): TokenMapStorage | undefined {
  const map = (globalThis as { __cdktfTokenMap?: Partial<TokenMapStorage> }).__cdktfTokenMap;
  return map?.stringTokenMap instanceof Map && map.numberTokenMap instanceof Map ? (map as TokenMapStorage) : undefined;
}

/** The tokens registered so far; a library without the map (none created yet) counts none. */
export function tokenMark(): TokenMark {
  const map = tokenMap();
  return { strings: map?.stringTokenMap.size ?? 0, numbers: map?.numberTokenMap.size ?? 0 };
}

/** Removes every token registered after `mark` from cdktf's map; returns how many. */
export function releaseTokensSince(mark: TokenMark): number {
  const map = tokenMap();
  if (!map) return 0;
  return dropAfter(map.stringTokenMap, mark.strings) + dropAfter(map.numberTokenMap, mark.numbers);
}

function dropAfter<K>(map: Map<K, unknown>, keep: number): number {
  const dropped = [...map.keys()].slice(keep);
  for (const key of dropped) map.delete(key);
  return dropped.length;
}
