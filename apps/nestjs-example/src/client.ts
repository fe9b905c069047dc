// The calling side: ClientKafka.send() a request and wait for the reply (Nest routes it back through
// `math.sum.reply`, its own consumer group "math-client-client" and the kafka_correlationId header), then
// emit() an event. Prints the results as one JSON line.
//   node -r ./tools/runtime/paths.js dist/apps/nestjs-example/src/client.js 1 2 3
import 'reflect-metadata';
import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientKafka, ClientsModule, Transport } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import { brokers } from './config';

@Injectable()
class MathClient {
  constructor(@Inject('MATH') private readonly client: ClientKafka) {}

  async start(): Promise<void> {
    // Reply topics must be subscribed before connect().
    this.client.subscribeToResponseOf('math.sum');
    await this.client.connect();
  }

  sum(numbers: number[]): Promise<{ sum: number }> {
    return firstValueFrom(this.client.send<{ sum: number }>('math.sum', { numbers }).pipe(timeout(30_000)));
  }

  userCreated(id: number, name: string): Promise<unknown> {
    return firstValueFrom(this.client.emit('user.created', { id, name }));
  }
}

@Module({
  imports: [
    ClientsModule.register([
      {
        name: 'MATH',
        transport: Transport.KAFKA,
        options: {
          client: { clientId: 'math-client', brokers: brokers() },
          consumer: { groupId: 'math-client' },
          // Replies written while this client was still starting are not skipped.
          subscribe: { fromBeginning: true },
        },
      },
    ]),
  ],
  providers: [MathClient],
})
class ClientAppModule {}

async function main(): Promise<void> {
  const numbers = process.argv.slice(2).map(Number).filter((n) => Number.isFinite(n));
  const app = await NestFactory.createApplicationContext(ClientAppModule, { logger: ['error', 'warn'] });
  const math = app.get(MathClient);
  await math.start();
  const result = await math.sum(numbers.length > 0 ? numbers : [1, 2, 3]);
  await math.userCreated(42, 'Ada');
  process.stdout.write(`${JSON.stringify({ result })}\n`);
  await app.close();
}

void main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
