import { Token } from "cdktf";

/** Throws unless `value` is a whole number in [min, max]; the message names the field, the value and the limits. */
export function checkIntegerRange(field: string, value: number, min: number, max: number): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${field} is ${value}; it must be a whole number from ${min} to ${max}`);
  }
}
