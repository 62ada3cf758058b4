export * from "./compliance-rule";
export * from "./stack-view";
export * from "./suppress";
export * from "./compliance-checker";
export * from "./report";
export * from "./rules";
