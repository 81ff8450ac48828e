/**
 * ops: what operators watch — readiness checks and Prometheus metrics (prom-client). Nothing here
 * knows HTTP; src/http serves /readyz and /metrics from it.
 */
export { runReadiness, type ReadinessCheck, type ReadinessReport } from './readiness.js'
export {
  ShirenMetrics,
  routeFamily,
  ROUTE_FAMILIES,
  type RouteFamily,
  type QueueStats,
  type MetricsOptions,
} from './metrics.js'
