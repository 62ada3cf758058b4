"use strict";

// Example handler: reads its non-secret configuration from environment
// variables, which Lambda decrypted with the customer-managed key before the
// runtime started.
exports.handler = async () => ({
  statusCode: 200,
  body: JSON.stringify({
    service: process.env.SERVICE_NAME,
    logLevel: process.env.LOG_LEVEL,
    region: process.env.AWS_REGION,
  }),
});
