/** Raised for any configuration problem; `key` names the offending configuration when there is one. */
export class ConfigError extends Error {
  readonly key?: string;

  constructor(message: string, key?: string) {
    super(message);
    this.name = 'ConfigError';
    this.key = key;
  }

  /** Kafka's wording: "Invalid value X for configuration KEY: reason". */
  static invalid(key: string, value: unknown, reason: string, source?: string): ConfigError {
    const where = source ? ` (from ${source})` : '';
    return new ConfigError(`Invalid value ${String(value)} for configuration ${key}${where}: ${reason}`, key);
  }
}
