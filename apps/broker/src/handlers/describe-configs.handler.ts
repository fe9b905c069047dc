// DescribeConfigs (key 32, v0-4), answered from this broker's metadata image and static config, as KRaft
// brokers do. TOPIC (2): every topic config with its effective value and source; BROKER (4): "<this node id>"
// for all broker configs, "" for the cluster-wide dynamic defaults; BROKER_LOGGER (8): log levels.
// Synonyms only when asked (v1+), documentation only when asked (v3+); config types always (v3+).
import { ApiKey } from '@runnel/protocol';
import type { DescribeConfigsRequest, DescribeConfigsResponse } from '@runnel/protocol';
import { topicNameError } from '@runnel/metadata';
import type { ApiHandler, RequestContext } from '../api/handler';
import { Err, ResourceType, resourceTypeName } from '../admin/constants';
import { adminView, arr, defaultMessage } from '../admin/common';
import { DescribeOptions, DescribedConfig, describeBrokerConfigs, describeClusterDefaultConfigs, describeTopicConfigs } from '../admin/config-model';
import { brokerLoggersFor } from '../admin/broker-loggers';

type Resource = DescribeConfigsRequest.DescribeConfigsResource;
type Result = DescribeConfigsResponse.DescribeConfigsResult;

class ResourceError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export function configsResult(r: Pick<Resource, 'resourceType' | 'resourceName'>, errorCode: number, errorMessage: string | null, configs: DescribedConfig[] = []): Result {
  return {
    errorCode,
    errorMessage: errorCode === 0 ? null : (errorMessage ?? defaultMessage(errorCode)),
    resourceType: typeof r?.resourceType === 'number' ? r.resourceType : 0,
    resourceName: typeof r?.resourceName === 'string' ? r.resourceName : '',
    configs,
  } as Result;
}

/** A BROKER/BROKER_LOGGER resource name must be this node's id (Kafka's wording for the errors). */
export function checkBrokerId(name: string, nodeId: number, allowEmpty: boolean): void {
  if (name === '') {
    if (allowEmpty) return;
    throw new ResourceError(Err.INVALID_REQUEST, 'Broker id must not be empty');
  }
  if (!/^-?\d+$/.test(name)) throw new ResourceError(Err.INVALID_REQUEST, `Broker id must be an integer, but it is: ${name}`);
  if (Number(name) !== nodeId) {
    throw new ResourceError(
      Err.INVALID_REQUEST,
      `Unexpected broker id, expected ${nodeId}${allowEmpty ? ' or empty string' : ''}, but received ${name}`,
    );
  }
}

function describeOne(ctx: RequestContext, r: Resource, opts: DescribeOptions): DescribedConfig[] {
  const { metadata, nodeId } = ctx.services;
  const name = typeof r.resourceName === 'string' ? r.resourceName : '';
  switch (r.resourceType) {
    case ResourceType.TOPIC: {
      const bad = topicNameError(name);
      if (bad) throw new ResourceError(Err.INVALID_TOPIC_EXCEPTION, bad);
      if (!metadata.topic(name)) throw new ResourceError(Err.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
      const view = adminView(ctx);
      return describeTopicConfigs(metadata.topicConfigOverrides(name), view.catalog, view.state, opts);
    }
    case ResourceType.BROKER: {
      checkBrokerId(name, nodeId, true);
      const view = adminView(ctx);
      return name === '' ? describeClusterDefaultConfigs(view.catalog, view.state, opts) : describeBrokerConfigs(view.catalog, view.state, opts);
    }
    case ResourceType.BROKER_LOGGER:
      checkBrokerId(name, nodeId, false);
      return brokerLoggersFor(ctx.services).describe(opts.keys);
    default:
      throw new ResourceError(Err.INVALID_REQUEST, `Unsupported resource type: ${resourceTypeName(r.resourceType)}`);
  }
}

export async function describeConfigs(ctx: RequestContext, req: DescribeConfigsRequest): Promise<DescribeConfigsResponse> {
  const v = ctx.apiVersion;
  const opts = (r: Resource): DescribeOptions => ({
    keys: Array.isArray(r.configurationKeys) ? r.configurationKeys.filter((k) => typeof k === 'string') : null,
    includeSynonyms: v >= 1 && req.includeSynonyms === true,
    includeDocumentation: v >= 3 && req.includeDocumentation === true,
  });
  const results = arr(req.resources).map((r) => {
    try {
      return configsResult(r, 0, null, describeOne(ctx, r, opts(r)));
    } catch (err) {
      if (err instanceof ResourceError) return configsResult(r, err.code, err.message);
      ctx.services.log.error(`DescribeConfigs ${resourceTypeName(r?.resourceType)} ${r?.resourceName} failed`, err);
      return configsResult(r, Err.UNKNOWN_SERVER_ERROR, 'Unexpected error describing the resource.');
    }
  });
  return { throttleTimeMs: 0, results } as DescribeConfigsResponse;
}

export const describeConfigsHandler: ApiHandler<DescribeConfigsRequest, DescribeConfigsResponse> = {
  apiKey: ApiKey.DescribeConfigs,
  minVersion: 0,
  maxVersion: 4,
  handle: (ctx, req) => describeConfigs(ctx, req),
  errorResponse(_ctx, req, errorCode) {
    return { throttleTimeMs: 0, results: arr(req?.resources).map((r) => configsResult(r, errorCode, null)) } as DescribeConfigsResponse;
  },
};
