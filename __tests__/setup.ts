import { Testing } from "cdktf";
import { registerExactMatchers } from "./support/matchers";

// Adds the cdktf matchers (toHaveResourceWithProperties, toBeValidTerraform, ...) to expect().
Testing.setupJest();
// Adds toHaveResourceWithExactly, for security-critical attributes (__tests__/support/matchers.ts).
registerExactMatchers();
