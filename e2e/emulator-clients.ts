/**
 * AWS SDK clients pointed at the emulator, one per service, account and
 * region. The access key ID is the account ID: the emulator (moto with our
 * patch, or LocalStack) serves the request from that account.
 */

/** The constructor shape shared by the SDK v3 clients. */
interface ClientConstructor<T> {
  new (config: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    forcePathStyle?: boolean;
    maxAttempts?: number;
  }): T;
}

interface Destroyable {
  destroy(): void;
}

export class EmulatorClients {
  private readonly clients = new Map<string, Destroyable>();
  private readonly ids = new Map<ClientConstructor<Destroyable>, number>();

  constructor(public readonly endpoint: string) {}

  /** The client of `Client`'s service for one account and region (created once). */
  public get<T extends Destroyable>(Client: ClientConstructor<T>, accountId: string, region: string): T {
    const key = `${this.idOf(Client)}/${accountId}/${region}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new Client({
        endpoint: this.endpoint,
        region,
        credentials: { accessKeyId: accountId, secretAccessKey: "emulator-dummy-secret" },
        // An emulator on 127.0.0.1 has no DNS names for <bucket>.127.0.0.1.
        forcePathStyle: true,
        maxAttempts: 2,
      });
      this.clients.set(key, client);
    }
    return client as T;
  }

  /** Closes every client's sockets. */
  public destroy(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }

  private idOf(Client: ClientConstructor<Destroyable>): number {
    if (!this.ids.has(Client)) this.ids.set(Client, this.ids.size);
    return this.ids.get(Client) as number;
  }
}
