import { ApiKey } from '@runnel/protocol';
import { ControllerApiHandler } from '../network/handler';
import { alterConfigs } from '../controller/config-ops';
import { uncleanElectionsForLeaderless } from '../controller/elections';
import { ControllerServices } from './services';
import { toErrorCode } from './errors';

function handler(s: ControllerServices, apiKey: number, maxVersion: number, incremental: boolean): ControllerApiHandler {
  return {
    apiKey,
    minVersion: 0,
    maxVersion,
    async handle(_ctx, req) {
      const resources = (req.resources ?? []).map((r: any) => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        configs: (r.configs ?? []).map((c: any) => ({ name: c.name, value: c.value ?? null, configOperation: c.configOperation })),
      }));
      try {
        const responses = await s.controller.write((image) => alterConfigs(image, s.config, resources, incremental, !!req.validateOnly));
        // Turning unclean.leader.election.enable on elects leaders for partitions that are offline now, not only
        // for the next leader loss.
        const touchesUnclean = resources.some((r: any) => r.configs.some((c: any) => c.name === 'unclean.leader.election.enable'));
        if (touchesUnclean && !req.validateOnly) {
          await s.controller
            .write((image) => ({ records: uncleanElectionsForLeaderless(image, s.config), result: undefined, electionKind: 'unclean' }))
            .catch(() => undefined);
        }
        return { throttleTimeMs: 0, responses };
      } catch (e) {
        const { code, message } = toErrorCode(e);
        return {
          throttleTimeMs: 0,
          responses: resources.map((r: any) => ({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode: code, errorMessage: message })),
        };
      }
    },
  };
}

export const alterConfigsHandler = (s: ControllerServices) => handler(s, ApiKey.AlterConfigs, 2, false);
export const incrementalAlterConfigsHandler = (s: ControllerServices) => handler(s, ApiKey.IncrementalAlterConfigs, 1, true);
