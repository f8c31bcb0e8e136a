import type { ContainerConfig } from '../pipeline-types.js';
import { checkTypes } from './body.js';

/**
 * The create fields Skep and its plugins read: a wrong type is the engine's 400, not a failure
 * further on.
 */
const CREATE_FIELDS = {
  Image: 'string',
  Env: 'string list',
  Labels: 'string map',
  ExposedPorts: 'object',
  HostConfig: 'object',
  NetworkingConfig: 'object',
  'HostConfig.CpuShares': 'number',
  'HostConfig.Memory': 'number',
  'HostConfig.PortBindings': 'object',
  'HostConfig.Binds': 'string list',
  'HostConfig.Links': 'string list',
  'HostConfig.VolumesFrom': 'string list',
  'HostConfig.NetworkMode': 'string',
  'HostConfig.IpcMode': 'string',
  'HostConfig.PidMode': 'string',
  'HostConfig.Mounts': 'object list',
  'NetworkingConfig.EndpointsConfig': 'object',
} as const;

/**
 * A create body (or a dry run's) with the fields Skep reads of the right JSON types;
 * the engine's 400 otherwise.
 */
export function checkCreateBody(body: ContainerConfig): void {
  checkTypes(body, CREATE_FIELDS, 'Config');
}
