import { Test } from '@nestjs/testing';
import { MathController } from './math.controller';

describe('MathController', () => {
  it('sums the numbers of a math.sum request and records user.created events', async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [MathController] }).compile();
    const controller = moduleRef.get(MathController);
    expect(controller.sum({ numbers: [1, 2, 3.5] })).toEqual({ sum: 6.5 });
    expect(controller.sum({ numbers: [] })).toEqual({ sum: 0 });
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      controller.userCreated({ id: 1, name: 'Ada' });
    } finally {
      write.mockRestore();
    }
    expect(controller.received).toEqual([{ id: 1, name: 'Ada' }]);
  });
});
