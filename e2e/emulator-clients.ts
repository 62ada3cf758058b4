/**
 * AWS SDK clients pointed at the emulator, one per service, account and
 * region. The access key ID is the account ID: the emulator (moto with our
 * patch, or LocalStack) serves the request from that account.
 */

/** The constructor shape shared by the SDK v3 clients. */
interface ClientConstructor<T> {
  new (config: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string }; forcePathStyle?: boolean; maxAttempts?: number }): T;
}

interface Destroyable {
  destroy(): void;
}

export class EmulatorClients {
  /** Client class → `<account>/<region>` → client. */
  private readonly clients = new Map<ClientConstructor<Destroyable>, Map<string, Destroyable>>();

  constructor(public readonly endpoint: string) {}

  /** The client of `Client`'s service for one account and region (created once). */
  public get<T extends Destroyable>(Client: ClientConstructor<T>, accountId: string, region: string): T {
    let perClass = this.clients.get(Client);
    if (!perClass) this.clients.set(Client, (perClass = new Map()));
    const key = `${accountId}/${region}`;
    let client = perClass.get(key);
    if (!client) {
      client = new Client({
        endpoint: this.endpoint,
        region,
        credentials: { accessKeyId: accountId, secretAccessKey: "emulator-dummy-secret" },
        // An emulator on 127.0.0.1 has no DNS names for <bucket>.127.0.0.1.
        forcePathStyle: true,
        maxAttempts: 2,
      });
      perClass.set(key, client);
    }
    return client as T;
  }

  /** Closes every client's sockets. */
  public destroy(): void {
    for (const perClass of this.clients.values()) for (const client of perClass.values()) client.destroy();
    this.clients.clear();
  }
}
