export { WorkQueue, type QueueKey, type WorkQueueOptions } from './queue.ts';
export type { QueueMetrics } from './metrics.ts';
export {
  defaultControllerRateLimiter,
  itemExponentialLimiter,
  maxOfLimiters,
  tokenBucketLimiter,
  type ItemExponentialOptions,
  type RateLimiter,
  type TokenBucketOptions,
} from './rate-limiter.ts';
