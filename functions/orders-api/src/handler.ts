/**
 * Example handler using all three paths of the docs/security-model.md "Configuration vs
 * secrets": a plain variable (LOG_LEVEL), a client-side encrypted variable
 * (PARTNER_API_KEY) and two secrets (DB_PASSWORD_SECRET_ARN in Secrets
 * Manager, WEBHOOK_TOKEN_PARAMETER in SSM). It never returns or logs a secret
 * value: only whether each one could be read.
 */
import { decryptEnvironment, getParameter, getSecret } from "../../../runtime";

// Started at module load, i.e. once per execution environment (cold start);
// the result is memoized, so warm invocations make no KMS call. A failure here
// is reported by the handler's own call below, which also retries it.
decryptEnvironment().catch(() => undefined);

export const handler = async (): Promise<{ statusCode: number; body: string }> => {
  const [variables, dbPassword, webhookToken] = await Promise.all([
    decryptEnvironment(),
    getSecret(requiredEnv("DB_PASSWORD_SECRET_ARN")),
    getParameter(requiredEnv("WEBHOOK_TOKEN_PARAMETER")),
  ]);
  return {
    statusCode: 200,
    body: JSON.stringify({
      logLevel: process.env.LOG_LEVEL,
      partnerApiKeyLoaded: (variables.PARTNER_API_KEY ?? "").length > 0,
      dbPasswordLoaded: dbPassword.length > 0,
      // An unseeded SSM parameter holds this placeholder until someone sets the value out of band.
      webhookTokenLoaded: webhookToken.length > 0 && webhookToken !== "set-out-of-band",
    }),
  };
};

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set; the function's configuration must name the secret`);
  return value;
}
