// The microservice's handlers: a request/response pattern answered to ClientKafka.send(), and an event
// pattern receiving ClientKafka.emit()s.
import { Controller, Logger } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';

export interface SumRequest {
  numbers: number[];
}

export interface UserCreated {
  id: number;
  name: string;
}

@Controller()
export class MathController {
  private readonly logger = new Logger(MathController.name);
  /** Events received so far (the example prints them; tests read them from stdout). */
  readonly received: UserCreated[] = [];

  @MessagePattern('math.sum')
  sum(@Payload() request: SumRequest): { sum: number } {
    return { sum: request.numbers.reduce((a, b) => a + b, 0) };
  }

  @EventPattern('user.created')
  userCreated(@Payload() user: UserCreated): void {
    this.received.push(user);
    this.logger.log(`user.created ${JSON.stringify(user)}`);
    // One JSON line per event on stdout, for scripts and tests watching the process.
    process.stdout.write(`${JSON.stringify({ event: 'user.created', user })}\n`);
  }
}
