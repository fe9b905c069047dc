import { Kafka, logLevel, LogEntry } from 'kafkajs';

export interface LoggedKafka {
  kafka: Kafka;
  /** kafkajs log lines at ERROR level (connection errors, protocol errors...). */
  errors: LogEntry[];
}

/** A kafkajs client for one broker with quick retries and its ERROR logs collected. */
export function kafkajs(bootstrap: string, clientId = 'runnel-e2e-kafkajs'): LoggedKafka {
  const errors: LogEntry[] = [];
  const kafka = new Kafka({
    clientId,
    brokers: [bootstrap],
    connectionTimeout: 3000,
    requestTimeout: 15000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
    logLevel: logLevel.ERROR,
    logCreator: () => (entry) => {
      if (entry.level <= logLevel.ERROR) errors.push(entry);
    },
  });
  return { kafka, errors };
}
