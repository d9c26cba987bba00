/** The demo module's definition (core/module.ts; docs/MODULES.md). */
import { defineModule } from '../../core/module.js';

export const demoModule = defineModule({
  name: 'demo',
  summary: "the synthetic demo alliance and the synthetic intel the benchmarks use",
  permissions: [],
  commands: [
    {
      name: 'demo',
      term: 'demo [options]',
      description: 'seed the synthetic demo alliance (members, intel, incidents, assistance, assessment and decisions) into the configured store; a store that holds members already is left as it is, so it is safe to repeat',
      load: async () => (await import('../../cli/demo.js')).registerDemo,
    },
    {
      name: 'generate',
      term: 'generate [options]',
      description: "write synthetic STIX 2.1 intel (the benchmarks' mix: indicators, observables, relationships, sightings) to standard output",
      load: async () => (await import('../../cli/generate.js')).registerGenerate,
    },
  ],
});
