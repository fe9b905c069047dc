import { ApiKey } from '@runnel/protocol';
import { MetadataImage } from '@runnel/metadata';
import { MetadataCache } from '../metadata/metadata-cache';
import { MetadataLoader } from '../metadata/metadata-loader';
import { MiniController } from '../testing/mini-controller';
import { silentLogger } from '../util/logger';
import { ControllerChannel, parseVoters } from './controller-channel';

describe('ControllerChannel with several voters', () => {
  let follower: MiniController;
  let leader: MiniController;
  beforeEach(async () => {
    follower = new MiniController();
    leader = new MiniController();
    await follower.start(0);
    await leader.start(0);
    follower.follower = { leaderId: 2 };
  });
  afterEach(async () => {
    await follower.stop();
    await leader.stop();
  });

  it('moves from a follower voter to the leader on NOT_CONTROLLER and retries', async () => {
    const metadata = new MetadataCache();
    const channel = new ControllerChannel({
      voters: [
        { id: 1, host: '127.0.0.1', port: follower.port },
        { id: 2, host: '127.0.0.1', port: leader.port },
      ],
      clientId: 'spec',
      metadata,
      log: silentLogger,
      requestTimeoutMs: 5000,
    });
    const res = await channel.send<any>(ApiKey.BrokerRegistration, 0, {
      brokerId: 5, clusterId: '', incarnationId: 'AAAAAAAAAAAAAAAAAAAAAA', listeners: [], features: [], rack: null,
    });
    expect(res.errorCode).toBe(0);
    channel.close();
  });

  it('lets the metadata loader follow the currentLeader hint of a follower', async () => {
    const image = new MetadataImage();
    const metadata = new MetadataCache(image);
    const channel = new ControllerChannel({
      voters: [
        { id: 1, host: '127.0.0.1', port: follower.port },
        { id: 2, host: '127.0.0.1', port: leader.port },
      ],
      clientId: 'spec',
      metadata,
      log: silentLogger,
    });
    const loader = new MetadataLoader({ image, controller: channel, nodeId: 5, log: silentLogger, maxWaitMs: 50 });
    loader.start();
    await loader.waitCaughtUp();
    expect(image.features.get('metadata.version')).toBe(20);
    await loader.stop();
    channel.close();
  });

  it('parses controller.quorum.voters', () => {
    expect(parseVoters('1@127.0.0.1:9093, 2@[::1]:9094')).toEqual([
      { id: 1, host: '127.0.0.1', port: 9093 },
      { id: 2, host: '::1', port: 9094 },
    ]);
  });
});
