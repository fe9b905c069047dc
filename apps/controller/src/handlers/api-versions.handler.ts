import { ApiKey } from '@runnel/protocol';
import { ControllerApiHandler } from '../network/handler';
import { ControllerServices } from './services';

export function apiVersionsHandler(s: ControllerServices): ControllerApiHandler {
  return {
    apiKey: ApiKey.ApiVersions,
    minVersion: 0,
    maxVersion: 3,
    async handle() {
      return {
        errorCode: 0,
        apiKeys: s.apiVersions(),
        throttleTimeMs: 0,
        supportedFeatures: [{ name: 'metadata.version', minVersion: 1, maxVersion: 21 }],
        finalizedFeaturesEpoch: BigInt(s.controller.image.offset),
        finalizedFeatures: [...s.controller.image.features].map(([name, level]) => ({ name, maxVersionLevel: level, minVersionLevel: level })),
        zkMigrationReady: false,
      };
    },
  };
}
