/** The detect module inside a running node: the detection index (one per node) and its routes. */
import type { ModuleServer } from '../../core/module.js';
import { observeGauge } from '../../core/metrics.js';
import { detectRoutes } from './detect.routes.js';
import { Detection } from './detect.service.js';

export const detectServer: ModuleServer<Detection> = {
  create: (ctx) => {
    const detection = new Detection(ctx);
    observeGauge(ctx.metrics, 'shieldwall_detect_indicators', 'Indicators in the detection index (0 until it is built).', () => detection.status().indicators);
    return detection;
  },
  routes: (ctx, detection) => detectRoutes(ctx, detection),
};
