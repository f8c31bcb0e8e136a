import type { SkepPlugin } from 'skep';

export interface AddLabelOptions {
  /** The label's key, e.g. `com.example.owner`. */
  key: string;
  value: string;
}

/**
 * Adds one label to every container created through Skep
 * (a third-party plugin: it imports only from 'skep').
 */
export default function addLabel(options?: AddLabelOptions): SkepPlugin {
  if (!options?.key) throw new Error('add-label needs a "key" option');
  const { key, value } = options;
  return {
    name: 'add-label',
    apply(hooks) {
      hooks.beforeSchedule.tap('add-label', (request) => {
        request.config.Labels = { ...request.config.Labels, [key]: value };
        return request;
      });
    },
  };
}
