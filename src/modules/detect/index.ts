/** The detect module's definition (core/module.ts; docs/MODULES.md). */
import { defineModule } from '../../core/module.js';

export const detectModule = defineModule({
  name: 'detect',
  summary: "detection: the in-memory index of indicators, lookup, bulk log matching, sightings, correlation",
  permissions: [],
  commands: [
    {
      name: 'lookup',
      term: 'lookup [options] <values...>',
      description: 'indicators that name each value (address, domain, URL, hash, e-mail, ...), one JSON line per value',
      load: async () => (await import('../../cli/detect.js')).registerDetect,
    },
    {
      name: 'match',
      term: 'match [options] <file>',
      description: 'match a log against the indicators (- for standard input): matches as NDJSON on standard output; matches a warning list suppressed, and a summary, on standard error',
      load: async () => (await import('../../cli/detect.js')).registerDetect,
    },
    {
      name: 'correlated',
      term: 'correlated [options] <indicator>',
      description: 'one indicator as the alliance sees it: indicators of other originators naming the same values, and who sighted it (JSON)',
      load: async () => (await import('../../cli/detect.js')).registerAwareness,
    },
    {
      name: 'sighted',
      term: 'sighted [options]',
      description: 'indicators ranked by how many organisations sighted them, among the sightings you may read (JSON)',
      load: async () => (await import('../../cli/detect.js')).registerAwareness,
    },
  ],
  server: async () => (await import('./detect.server.js')).detectServer,
});
