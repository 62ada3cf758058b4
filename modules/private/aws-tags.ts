import { Token } from "cdktf";
import { excerpt } from "./safe-output";

/**
 * AWS tag rules, the ones every service that takes tags agrees on, so that a
 * tag in the config (`defaultTags`, `accounts[].tags`) is refused when the
 * config is read rather than by one service in the middle of a deploy.
 *
 * - Tag naming limits and requirements
 *   (https://docs.aws.amazon.com/tag-editor/latest/userguide/best-practices-and-strats.html):
 *   a key has 1–128 Unicode characters, a value 0–256; at most 50 user
 *   created tags per resource; tags that begin with `aws:` are reserved for
 *   AWS use; in general, letters, numbers, spaces representable in UTF-8 and
 *   `_ . : / = + - @`.
 * - The Resource Groups Tagging API states the same as a pattern, for keys and
 *   values alike: `^([\p{L}\p{Z}\p{N}_.:\/=+\-@]*)$`
 *   (https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_Tag.html).
 * - `aws:` in values: the Tag Editor page speaks of tags (keys) that begin
 *   with it; the rules that KMS key tags refer to say that AWS generated tag
 *   names and values carry the `aws:` prefix, which you can't assign
 *   (https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/allocation-tag-restrictions.html),
 *   and services such as AWS Batch say not to use `aws:`, `AWS:` or any upper
 *   or lowercase combination as a prefix for either keys or values
 *   (https://docs.aws.amazon.com/batch/latest/userguide/tag-restrictions.html).
 *   Default tags reach every taggable resource of every service in a stack,
 *   so the prefix is refused in keys and values, in any case.
 *
 * Lengths count Unicode characters (code points), not UTF-16 units: "€" and
 * "😀" count one each.
 */

/** Longest tag key, in Unicode characters. */
export const TAG_KEY_MAX_LENGTH = 128;
/** Longest tag value, in Unicode characters (a value may be empty). */
export const TAG_VALUE_MAX_LENGTH = 256;
/**
 * Most user tags on one resource. The Terraform AWS provider merges its
 * `default_tags` with a resource's own `tags` (the resource's win on equal
 * keys; https://www.hashicorp.com/blog/default-tags-in-the-terraform-aws-provider),
 * so the limit applies to the merged set, not to either map alone.
 */
export const MAX_TAGS_PER_RESOURCE = 50;

/** Unicode letters, separators (spaces), numbers and `_ . : / = + - @`. */
const TAG_CHARACTER = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]$/u;
const RESERVED_PREFIX = /^aws:/i;
const ALLOWED = "use only letters, digits, spaces and _ . : / = + - @ (no emoji or other symbols)";

/**
 * Why AWS refuses `key` as a tag key, or undefined. The message quotes the
 * key (escaped, cut to 40 characters), names the rule and the fix; it has no
 * subject: the caller puts the field in front. Unresolved tokens pass.
 */
export function tagKeyProblem(key: string): string | undefined {
  if (Token.isUnresolved(key)) return undefined;
  const length = codePointLength(key);
  if (length === 0) return `"" is empty; a tag key needs 1–${TAG_KEY_MAX_LENGTH} characters, e.g. "CostCenter"`;
  if (length > TAG_KEY_MAX_LENGTH) return `${excerpt(key)} has ${length} characters; a tag key has at most ${TAG_KEY_MAX_LENGTH}, shorten it`;
  const prefix = RESERVED_PREFIX.exec(key);
  if (prefix) return `${excerpt(key)} starts with "${prefix[0]}"; AWS reserves that prefix (in any case) for its own tags, so drop it or use your own, e.g. "acme:"`;
  const bad = firstRefusedCharacter(key);
  if (bad) return `${excerpt(key)} contains ${describeCharacter(bad)}, which AWS does not allow in tag keys; ${ALLOWED}`;
  return undefined;
}

/**
 * Why AWS refuses `value` as a tag value, or undefined; an empty value is
 * allowed. Messages as for {@link tagKeyProblem}. Unresolved tokens pass.
 */
export function tagValueProblem(value: string): string | undefined {
  if (Token.isUnresolved(value)) return undefined;
  const length = codePointLength(value);
  if (length > TAG_VALUE_MAX_LENGTH) return `${excerpt(value)} has ${length} characters; a tag value has at most ${TAG_VALUE_MAX_LENGTH}, shorten it`;
  const prefix = RESERVED_PREFIX.exec(value);
  if (prefix) return `${excerpt(value)} starts with "${prefix[0]}"; AWS reserves that prefix (in any case) in tag values as well as keys, so reword the value`;
  const bad = firstRefusedCharacter(value);
  if (bad) return `${excerpt(value)} contains ${describeCharacter(bad)}, which AWS does not allow in tag values; ${ALLOWED}`;
  return undefined;
}

function codePointLength(text: string): number {
  return Array.from(text).length;
}

function firstRefusedCharacter(text: string): string | undefined {
  for (const character of text) {
    if (!TAG_CHARACTER.test(character)) return character;
  }
  return undefined;
}

/** E.g. `"#" (U+0023)`, `"\n" (U+000A)`. */
function describeCharacter(character: string): string {
  const codePoint = character.codePointAt(0) ?? 0;
  return `${excerpt(character)} (U+${codePoint.toString(16).toUpperCase().padStart(4, "0")})`;
}
