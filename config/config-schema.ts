import { Setting } from "../modules/private/setting";
import { CONFIG_SPEC, FieldSpec, ObjectSpec } from "./config-spec";

/** Where the schema is written, relative to the repository root; the shipped configurations point at it with `"$schema"`. */
export const CONFIG_SCHEMA_FILE = "config/config.schema.json";

type JsonSchema = Record<string, unknown>;

/**
 * The JSON Schema (draft-07) of the configuration file, generated from the
 * same spec the validator reads the file with, so that editors complete and
 * check the file as it is typed. The schema checks each field on its own
 * (type, range, pattern, allowed values, unknown fields); rules across
 * fields (unique names, secrets a function uses, ciphertexts per stack) and
 * rules no pattern can say (bucket and alias names) are the validator's
 * alone, and config load reports them.
 */
export function configJsonSchema(): JsonSchema {
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "cdktf-lambda-kms configuration",
    ...schemaOf(CONFIG_SPEC),
  };
}

function schemaOf(spec: FieldSpec): JsonSchema {
  switch (spec.kind) {
    case "object":
      return objectSchema(spec);
    case "list":
      return {
        type: "array",
        description: spec.doc,
        items: schemaOf(spec.items),
        ...(spec.minItems ? { minItems: spec.minItems } : {}),
        // The validator refuses a value listed twice in a list of plain values.
        ...(isSetting(spec.items) ? { uniqueItems: true } : {}),
      };
    case "map":
      return { type: "object", description: `${spec.doc} Keys: ${spec.keys}.`, additionalProperties: schemaOf(spec.values) };
    default:
      return settingSchema(spec);
  }
}

function objectSchema(spec: ObjectSpec): JsonSchema {
  if (spec.variants) {
    const { field, cases } = spec.variants;
    return {
      type: "object",
      description: spec.doc,
      required: [field],
      oneOf: Object.values(cases).map((variant) => objectSchema(variant)),
    };
  }
  return {
    type: "object",
    description: spec.doc,
    properties: Object.fromEntries(Object.entries(spec.fields).map(([name, field]) => [name, schemaOf(field)])),
    ...(spec.required?.length ? { required: [...spec.required] } : {}),
    additionalProperties: false,
  };
}

function settingSchema(setting: Setting): JsonSchema {
  const common = { description: setting.doc, ...(setting.default !== undefined ? { default: setting.default } : {}) };
  switch (setting.kind) {
    case "integer":
      return setting.allowed ? { type: "integer", enum: [...setting.allowed], ...common } : { type: "integer", minimum: setting.min, maximum: setting.max, ...common };
    case "boolean":
      return { type: "boolean", ...common };
    case "choice":
      return { type: "string", enum: [...setting.values], ...common };
    case "text":
      // JSON Schema patterns have no flags: a pattern that needs one is left to the validator.
      return { type: "string", ...(setting.pattern && !setting.pattern.flags ? { pattern: setting.pattern.source } : {}), ...common };
  }
}

function isSetting(spec: FieldSpec): spec is Setting {
  return spec.kind !== "object" && spec.kind !== "list" && spec.kind !== "map";
}

/** The schema file's text, as written. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
