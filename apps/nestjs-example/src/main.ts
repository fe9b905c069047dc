// NestJS microservice on the Kafka transport, served by Runnel:
//   npm start                                   # Runnel on 127.0.0.1:9092
//   node -r ./tools/runtime/paths.js dist/apps/nestjs-example/src/main.js
// It joins consumer group "math-server" (Nest appends "-server"), answers `math.sum` requests on
// `math.sum.reply` and logs `user.created` events. Topics are auto-created by Runnel on first use.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { brokers } from './config';
import { MathController } from './math.controller';

@Module({ controllers: [MathController] })
export class MathModule {}

async function main(): Promise<void> {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(MathModule, {
    transport: Transport.KAFKA,
    options: {
      client: { clientId: 'math', brokers: brokers() },
      consumer: { groupId: 'math' },
      // A new group starts at the beginning, so requests sent while the service was starting are answered.
      subscribe: { fromBeginning: true },
    },
  });
  await app.listen();
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  const stop = (): void => {
    void app.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
