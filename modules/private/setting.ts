import { Token } from "cdktf";
import { describeType, excerpt } from "./safe-output";

/**
 * One configurable value, defined once: its type, default, limits, a line of
 * documentation and a stable error code. The construct that owns a setting
 * applies it with {@link resolveSetting}; the config validator runs the same
 * check with a config path ({@link settingProblem}); the JSON Schema and the
 * configuration reference are generated from it.
 */
export type Setting = IntegerSetting | BooleanSetting | ChoiceSetting | TextSetting;

interface SettingBase<T> {
  /** One sentence for the docs and the JSON Schema. */
  readonly doc: string;
  /** Stable identifier of the check, shown in the configuration reference. */
  readonly code: string;
  /** The value used when the setting is left out; undefined: required or no default. */
  readonly default?: T;
  /** How the default reads in docs when it is derived from other values, e.g. `"<project>-audit"`. */
  readonly defaultText?: string;
}

export interface IntegerSetting extends SettingBase<number> {
  readonly kind: "integer";
  readonly min: number;
  readonly max: number;
  /** Only these values (within min..max), e.g. CloudWatch Logs retention periods. */
  readonly allowed?: readonly number[];
  /** What the allowed values are, for messages, e.g. "a CloudWatch Logs retention value". */
  readonly allowedName?: string;
  /** Unit for docs, e.g. "days". */
  readonly unit?: string;
}

export interface BooleanSetting extends SettingBase<boolean> {
  readonly kind: "boolean";
}

export interface ChoiceSetting<T extends string = string> extends SettingBase<T> {
  readonly kind: "choice";
  readonly values: readonly T[];
}

export interface TextSetting extends SettingBase<string> {
  readonly kind: "text";
  /** Must match; also the JSON Schema `pattern` (so it uses only syntax JSON Schema shares with JavaScript). */
  readonly pattern?: RegExp;
  /** Further rules a pattern cannot say; returns the reason, or undefined. */
  readonly problem?: (value: string) => string | undefined;
  /** How to write a good value, appended to every message. */
  readonly hint: string;
  /** Whether an error message may show the value (false for values that may be secrets). */
  readonly echo?: boolean;
}

export function integerSetting(spec: Omit<IntegerSetting, "kind">): IntegerSetting {
  return { kind: "integer", ...spec };
}

export function booleanSetting(spec: Omit<BooleanSetting, "kind">): BooleanSetting {
  return { kind: "boolean", ...spec };
}

export function choiceSetting<const T extends string>(
  spec: Omit<ChoiceSetting, "kind" | "values" | "default"> & { readonly values: readonly T[]; readonly default?: T },
): ChoiceSetting<T> {
  return { kind: "choice", ...spec };
}

export function textSetting(spec: Omit<TextSetting, "kind">): TextSetting {
  return { kind: "text", ...spec };
}

/** The value type a setting accepts. */
export type SettingValue<S extends Setting> = S extends IntegerSetting ? number : S extends BooleanSetting ? boolean : S extends ChoiceSetting<infer T> ? T : string;

/**
 * Why `value` is refused, naming the value and the fix, or undefined. The
 * message has no subject: the caller puts the field (config path or
 * construct prop) in front.
 */
export function settingProblem(setting: Setting, value: unknown): string | undefined {
  switch (setting.kind) {
    case "integer":
      if (setting.allowed) {
        return typeof value === "number" && setting.allowed.includes(value)
          ? undefined
          : `${show(value)} is not ${setting.allowedName ?? "supported"}; use one of ${setting.allowed.join(", ")}`;
      }
      if (typeof value !== "number" || !Number.isInteger(value) || value < setting.min || value > setting.max) {
        return `${show(value)} is out of range; use a whole number from ${setting.min} to ${setting.max}`;
      }
      return undefined;
    case "boolean":
      return typeof value === "boolean" ? undefined : `expected true or false, got ${show(value)}`;
    case "choice":
      return typeof value === "string" && setting.values.includes(value) ? undefined : `${show(value)} is not supported; use one of ${setting.values.join(", ")}`;
    case "text": {
      const shown = setting.echo === false ? "the value" : show(value);
      if (typeof value !== "string") return `expected a string, got ${setting.echo === false ? describeType(value) : show(value)}; ${setting.hint}`;
      if (setting.pattern && !setting.pattern.test(value)) return `${shown} is invalid; ${setting.hint}`;
      return setting.problem?.(value);
    }
  }
}

/**
 * A construct's value for a setting: the prop when given, else the
 * default. Throws `<where>: <name> <problem>` for a value the setting
 * refuses; unresolved tokens pass (Terraform checks them).
 */
export function resolveSetting<S extends Setting>(where: string, name: string, setting: S, value: SettingValue<S> | undefined): SettingValue<S> {
  if (value === undefined) {
    if (setting.default === undefined) throw new Error(`${where}: ${name} is required`);
    return setting.default as SettingValue<S>;
  }
  if (Token.isUnresolved(value)) return value;
  const problem = settingProblem(setting, value);
  if (problem) throw new Error(`${where}: ${name} ${problem}`);
  return value;
}

/** A value for a message (see {@link excerpt}). */
export function show(value: unknown): string {
  return excerpt(value);
}
